"""sg_guard: keep the security groups of running training jobs correct after every
change (DESIGN.md). A thin adapter over SgGuard."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from training_guard.config import Policy, required
from training_guard.effects.aws import Clients, caller_role
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.invocation import invoke
from training_guard.observability import logger, metrics, traced
from training_guard.sg_guard import SgGuard


@cache
def sg_guard() -> SgGuard:
    clients = Clients.create()
    table = required("STATE_TABLE_NAME")
    notifier = Notifier(clients.sns, required("NOTIFY_TOPIC_ARN"), clients.dynamodb, table)
    record = GroupRecord(clients.dynamodb, table)
    policy = Policy.from_environment()
    return SgGuard(clients, policy, notifier, record, lambda: caller_role(clients.sts))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return invoke(sg_guard(), event, context)
