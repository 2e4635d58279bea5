"""Publish one notification, at most once per resource and set of controls."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import error_code
from training_guard.model import Summary
from training_guard.notification import Notification, sns_message
from training_guard.observability import logger

PUBLISH_PERMISSIONS = ("sns:Publish",)
# The topic is encrypted with a customer managed key: publishing needs to use it.
TOPIC_KEY_PERMISSIONS = ("kms:GenerateDataKey", "kms:Decrypt")
STATE_PERMISSIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
REMEMBER_SECONDS = 30 * 24 * 3600


def fingerprint(summary: Summary, *context: str) -> str:
    """What makes two notifications of one resource the same news: its controls, and
    whatever context the caller adds (the security-group guard adds the change's id)."""
    controls = ",".join([*sorted({f.control for f in summary.findings}), *context])
    return hashlib.sha256(controls.encode()).hexdigest()[:32]


class Notifier:
    def __init__(self, sns: Any, topic_arn: str, dynamodb: Any, table_name: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn
        self._dynamodb = dynamodb
        self._table = table_name

    def notify_once(self, resource: str, marker: str, notification: Notification) -> bool:
        """Publish unless this resource was already reported with this fingerprint.

        The claim is written first so that concurrent events cannot both publish; a
        failed publish releases it, so the retried event publishes again.
        """
        if not self._claim(resource, marker):
            return False
        try:
            self.publish(notification)
        except Exception:
            self._release(resource, marker)
            raise
        return True

    def publish(self, notification: Notification) -> str:
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=notification.subject,
            Message=sns_message(notification),
            MessageStructure="json",
            MessageAttributes={
                name: {"DataType": v["DataType"], "StringValue": v["StringValue"]}
                for name, v in notification.attributes.items()
            },
        )
        return str(response["MessageId"])

    def _claim(self, resource: str, marker: str) -> bool:
        now = int(time.time())
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "resource": {"S": resource},
                    "fingerprint": {"S": marker},
                    "notified_at": {"N": str(now)},
                    "expires_at": {"N": str(now + REMEMBER_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(#r) OR fingerprint <> :f",
                ExpressionAttributeNames={"#r": "resource"},
                ExpressionAttributeValues={":f": {"S": marker}},
            )
        except ClientError as e:
            if error_code(e) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _release(self, resource: str, marker: str) -> None:
        try:
            self._dynamodb.delete_item(
                TableName=self._table,
                Key={"resource": {"S": resource}},
                ConditionExpression="fingerprint = :f",
                ExpressionAttributeValues={":f": {"S": marker}},
            )
        except ClientError as e:
            # The publish error is the one to raise; this one only costs a duplicate
            # notification if the claim outlives it.
            logger.warning("could not release notification claim", extra={"code": error_code(e)})
