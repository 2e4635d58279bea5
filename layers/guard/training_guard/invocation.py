"""What every handler does around its guard: bound the invocation's AWS calls by the
time it has left, and act only on its own account's resources."""

from __future__ import annotations

from typing import Any, Protocol

from aws_lambda_powertools.utilities.typing import LambdaContext

from training_guard.effects.budget import TimeBudget
from training_guard.facts.identifiers import arn_field


class Report(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class Guard(Protocol):
    @property
    def budget(self) -> TimeBudget: ...

    def handle(
        self, raw_event: Any, own_account: str | None = None, delivery: str | None = None
    ) -> Report: ...


def invoke(guard: Guard, event: Any, context: LambdaContext) -> dict[str, Any]:
    # Every AWS call of this invocation must leave time to notify and record.
    guard.budget.start(context.get_remaining_time_in_millis)
    try:
        own_account = arn_field(context.invoked_function_arn, 4)
        # Lambda keeps the request id across the retries of one asynchronous invocation:
        # the notice lease's owner (effects/ledger.py).
        return guard.handle(event, own_account, context.aws_request_id).to_dict()
    finally:
        guard.budget.start(None)
