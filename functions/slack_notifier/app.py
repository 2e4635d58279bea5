"""slack_notifier: post each notification of the topic to a Slack incoming webhook, once
(DESIGN.md), for workspaces without AWS Chatbot. A thin adapter over SlackRelay."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from training_guard.config import required
from training_guard.effects.ledger import Ledger
from training_guard.effects.webhook import NotifierClients, SlackRelay, SlackWebhook, WebhookSecret
from training_guard.observability import logger, metrics, traced


@cache
def slack_relay() -> SlackRelay:
    clients = NotifierClients(boto3.Session())
    ledger = Ledger(clients.dynamodb, required("STATE_TABLE_NAME"))
    secret = WebhookSecret(lambda: clients.secretsmanager, required("SLACK_WEBHOOK_SECRET_ARN"))
    return SlackRelay(ledger, SlackWebhook(secret), clients.budget)


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return slack_relay().handle(event, context)
