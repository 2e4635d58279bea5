"""Instance facts for the types the table does not know yet, asked of EC2.

SageMaker adds training instance types every few months; until the table catches up, EC2
DescribeInstanceTypes says whether a new type has local storage or EFA. When EC2 does not
know the type, or the guard may not ask, the profile is None: the caller treats the facts
as unknown and never stops a job on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import error_code, is_access_denied
from training_guard.facts.instances import (
    InstanceProfile,
    ec2_type_name,
    profile_from_ec2,
    profile_from_table,
)

INSTANCE_PERMISSIONS = ("ec2:DescribeInstanceTypes",)

# DescribeInstanceTypes accepts at most 100 names per request.
_MAX_NAMES = 100

# EC2's answers by ml type, kept for the life of the Lambda environment: an instance type's
# hardware does not change, so a warm invocation never asks twice. None: EC2 does not know
# the type. A denied call is not kept, so granting the permission takes effect at once.
_answers: dict[str, InstanceProfile | None] = {}


def forget() -> None:
    """Drop EC2's answers, as a new Lambda environment would start."""
    _answers.clear()


class InstanceCatalog:
    def __init__(self, ec2: Any) -> None:
        self._ec2 = ec2

    def profile(self, instance_type: str) -> InstanceProfile | None:
        return self.profiles([instance_type])[instance_type]

    def profiles(self, types: Iterable[str]) -> dict[str, InstanceProfile | None]:
        """The table's facts where it has them; EC2's for the rest, all asked in one call."""
        wanted = list(dict.fromkeys(types))
        known = {t: profile_from_table(t) or _answers.get(t) for t in wanted}
        to_ask: dict[str, str] = {}  # EC2 name -> ml type
        for ml_type in wanted:
            name = ec2_type_name(ml_type)
            if known[ml_type] is None and ml_type not in _answers and name is not None:
                to_ask[name] = ml_type
        names = list(to_ask)
        for start in range(0, len(names), _MAX_NAMES):
            batch = {n: to_ask[n] for n in names[start : start + _MAX_NAMES]}
            known.update(self._ask(batch))
        return known

    def _ask(self, names: Mapping[str, str]) -> dict[str, InstanceProfile | None]:
        try:
            items = self._describe(list(names))
        except ClientError as e:
            if is_access_denied(e):
                return dict.fromkeys(names.values(), None)
            if error_code(e) != "InvalidInstanceType":
                raise
            if len(names) > 1:
                # One name EC2 does not know fails the whole request: ask for each alone.
                one_by_one: dict[str, InstanceProfile | None] = {}
                for name, ml_type in names.items():
                    one_by_one.update(self._ask({name: ml_type}))
                return one_by_one
            items = {}
        answers = {
            ml_type: profile_from_ec2(items[name]) if name in items else None
            for name, ml_type in names.items()
        }
        _answers.update(answers)
        return answers

    def _describe(self, names: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        # SageMaker runs training on its own capacity, so a type EC2 does not offer in this
        # Region is still a type whose hardware facts hold.
        pages = self._ec2.get_paginator("describe_instance_types").paginate(
            InstanceTypes=list(names), IncludeUnsupportedInRegion=True
        )
        return {
            item["InstanceType"]: item
            for page in pages
            for item in page.get("InstanceTypes", [])
            if isinstance(item.get("InstanceType"), str)
        }
