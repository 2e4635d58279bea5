"""sweeper: on a schedule, judge every running training and tuning job as its events
would have, and untag groups no running job uses any more (DESIGN.md). A thin adapter
over Sweeper."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from training_guard.config import Policy, required
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.invocation import invoke
from training_guard.job_guard import JobGuard
from training_guard.observability import logger, metrics, traced
from training_guard.sweeper import SweepCursor, Sweeper


@cache
def sweeper() -> Sweeper:
    clients = Clients.create()
    table = required("STATE_TABLE_NAME")
    policy = Policy.from_environment()
    notifier = Notifier(clients.sns, required("NOTIFY_TOPIC_ARN"), clients.dynamodb, table)
    record = GroupRecord(clients.dynamodb, table)
    job_guard = JobGuard(clients, policy, notifier, record)
    return Sweeper(clients, policy, job_guard, record, SweepCursor(clients.dynamodb, table))


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return invoke(sweeper(), event, context)
