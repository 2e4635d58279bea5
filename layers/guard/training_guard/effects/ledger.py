"""What was told, and what an invocation is about to do: the state table's notice items.

Once, and never lost. Each notice item (keyed by the resource, or by the change, or by
an SNS message) holds:

* `reported`: the pieces of news already told, confirmed after a publish succeeded;
* a lease (`lease_owner`, `lease_until`): the delivery that is acting on the resource
  right now. Another delivery meeting a live lease leaves the resource to it, so two
  racing deliveries give one message, told by the one that acted. The owner is Lambda's
  request id, which Lambda keeps across the retries of one asynchronous invocation: a
  retry, which comes at least a timeout after its attempt began, takes over its own
  lease at once. A lease that is never confirmed lapses after LEASE_SECONDS, longer than
  the function's 60 s timeout (a live holder is never overtaken) and shorter than the
  three minutes before Lambda's last retry;
* `outbox`: the plans (findings, intended stop or repair) written before acting, and
  `done`: what was done, written as soon as it was; both removed once told. A retry that
  finds them tells them, truthfully, even when AWS now shows the work done (the job
  already Stopping, the rules in place).

A function that dies after publishing and before confirming publishes again on its retry:
at least once, never lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import error_code
from training_guard.effects.budget import OutOfTime
from training_guard.model import Action
from training_guard.observability import logger
from training_guard.outbox import TOLD_AS_DONE, Done, Plan

LEDGER_PERMISSIONS = ("dynamodb:UpdateItem",)
LEASE_SECONDS = 90
# The functions' timeout. Lambda retries a failed invocation a minute or more after it
# ended, with the same request id; the same id sooner is a second delivery of one
# invocation running beside the first, which must not take its lease.
RETRY_AFTER_SECONDS = 60
REMEMBER_SECONDS = 30 * 24 * 3600
_HELD = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Claim:
    """A lease on one notice item, and what the item said when it was taken."""

    key: str
    owner: str
    told: frozenset[str]  # news told (and confirmed) before
    untold: tuple[Plan, ...]  # plans of earlier attempts that never confirmed telling
    done: tuple[Done, ...] = ()  # what those attempts recorded as done


class Ledger:
    def __init__(
        self, dynamodb: Any, table_name: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._clock = clock

    def claim(
        self, key: str, owner: str, plan: Plan | None = None, *, untold_only: bool = False
    ) -> Claim | None:
        """Take the lease on `key` (None: another delivery holds a live one), writing
        `plan` to the outbox in the same call, before anything is done. `untold_only`
        takes it only where an earlier attempt left a plan it never told (None otherwise),
        so a resource with nothing pending costs no write."""
        now = self._clock()
        values: dict[str, Any] = {
            ":owner": {"S": owner},
            ":now": {"N": _number(now)},
            ":until": {"N": _number(now + LEASE_SECONDS)},
            ":retry": {"N": _number(now - RETRY_AFTER_SECONDS)},
            ":expires": {"N": str(int(now) + REMEMBER_SECONDS)},
        }
        update = (
            "SET lease_owner = :owner, lease_at = :now, lease_until = :until, expires_at = :expires"
        )
        if plan is not None:
            update += ", outbox = list_append(if_not_exists(outbox, :none), :plan)"
            values[":none"] = {"L": []}
            values[":plan"] = {"L": [{"S": plan.to_json()}]}
        try:
            response = self._dynamodb.update_item(
                TableName=self._table,
                Key={"resource": {"S": key}},
                UpdateExpression=update,
                ConditionExpression=("attribute_exists(outbox) AND " if untold_only else "")
                + "(attribute_not_exists(lease_until) OR lease_until < :now "
                "OR (lease_owner = :owner AND lease_at < :retry))",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_OLD",
            )
        except ClientError as e:
            if error_code(e) == _HELD:
                return None
            raise
        before = response.get("Attributes", {})
        return Claim(
            key,
            owner,
            frozenset(before.get("reported", {}).get("SS", [])),
            tuple(_plans(before.get("outbox", {}).get("L", []))),
            tuple(_done(before.get("done", {}).get("L", []))),
        )

    def record(self, claim: Claim, actions: Iterable[Action]) -> None:
        """Write down what was just done (a stop, a repair, a revoke), before telling it:
        a retry tells a recorded deed as the guard's. Best effort: without the record
        the retry says what AWS shows, as found."""
        deeds = [Done(a, self._clock()) for a in actions if a.action in TOLD_AS_DONE]
        if not deeds:
            return
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"resource": {"S": claim.key}},
                UpdateExpression="SET done = list_append(if_not_exists(done, :none), :done)",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={
                    ":owner": {"S": claim.owner},
                    ":none": {"L": []},
                    ":done": {"L": [{"S": d.to_json()} for d in deeds]},
                },
            )
        except (ClientError, OutOfTime) as e:
            code = error_code(e) if isinstance(e, ClientError) else "OutOfTime"
            logger.warning("could not record what was done", extra={"key": claim.key, "code": code})

    def settle(self, claim: Claim, news: Set[str]) -> None:
        """Everything claimed is told: remember `news`, empty the outbox, end the lease."""
        update = "REMOVE lease_owner, lease_at, lease_until, outbox, done"
        values: dict[str, Any] = {":owner": {"S": claim.owner}}
        if news:
            update = f"ADD reported :news {update}"
            values[":news"] = {"SS": sorted(news)}
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"resource": {"S": claim.key}},
                UpdateExpression=update,
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues=values,
            )
        except ClientError as e:
            if error_code(e) != _HELD:
                raise
            # Only a holder that overran its lease gets here; the one that took over tells.
            logger.warning("notice lease was taken over", extra={"key": claim.key})

    def let_go(self, claim: Claim) -> None:
        """End the lease and keep the outbox, so the next delivery tells what is untold.
        Best effort: on failure the lease lapses by itself."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"resource": {"S": claim.key}},
                UpdateExpression="REMOVE lease_owner, lease_at, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": claim.owner}},
            )
        except (ClientError, OutOfTime) as e:
            code = error_code(e) if isinstance(e, ClientError) else "OutOfTime"
            logger.warning("could not end notice lease", extra={"key": claim.key, "code": code})


def _number(seconds: float) -> str:
    return f"{seconds:.3f}"


def _plans(items: list[dict[str, Any]]) -> list[Plan]:
    plans = []
    for item in items:
        plan = Plan.from_json(item.get("S", ""))
        if plan is not None:
            plans.append(plan)
    return plans


def _done(items: list[dict[str, Any]]) -> list[Done]:
    deeds = []
    for item in items:
        deed = Done.from_json(item.get("S", ""))
        if deed is not None:
            deeds.append(deed)
    return deeds
