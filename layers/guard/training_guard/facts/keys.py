"""KMS keys as DescribeKey describes them. Who may decrypt with them: facts/key_policies.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AWS_MANAGED = "AWS"


@dataclass(frozen=True)
class KeyFacts:
    """What the guard learned of one key reference (an id, ARN, alias or alias ARN)."""

    reference: str
    arn: str | None = None
    manager: str | None = None
    policy: Mapping[str, Any] | None = None
    error: str | None = None

    @property
    def is_aws_managed(self) -> bool:
        # An alias under alias/aws/ always names an AWS managed key, even before AWS
        # has created it in the account, so it is judged without a lookup.
        return self.manager == AWS_MANAGED or is_aws_managed_alias(self.reference)


def is_aws_managed_alias(reference: str) -> bool:
    return reference.startswith("alias/aws/") or ":alias/aws/" in reference
