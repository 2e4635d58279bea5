"""job_guard: stop SageMaker training and tuning jobs that run without encryption,
a private VPC or customer managed keys (DESIGN.md). A thin adapter over JobGuard."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from training_guard.config import Policy, required
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.invocation import invoke
from training_guard.job_guard import JobGuard
from training_guard.observability import logger, metrics, traced


@cache
def job_guard() -> JobGuard:
    clients = Clients.create()
    table = required("STATE_TABLE_NAME")
    notifier = Notifier(clients.sns, required("NOTIFY_TOPIC_ARN"), clients.dynamodb, table)
    record = GroupRecord(clients.dynamodb, table)
    return JobGuard(clients, Policy.from_environment(), notifier, record)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return invoke(job_guard(), event, context)
