"""Publish one notification per resource and piece of news, remembered in DynamoDB."""

from __future__ import annotations

import time
from collections.abc import Set
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import error_code
from training_guard.effects.budget import OutOfTime
from training_guard.notification import Notification, sns_message
from training_guard.observability import logger

PUBLISH_PERMISSIONS = ("sns:Publish",)
# The topic is encrypted with a customer managed key: publishing needs to use it.
TOPIC_KEY_PERMISSIONS = ("kms:GenerateDataKey", "kms:Decrypt")
STATE_PERMISSIONS = ("dynamodb:UpdateItem",)
REMEMBER_SECONDS = 30 * 24 * 3600


class Notifier:
    def __init__(self, sns: Any, topic_arn: str, dynamodb: Any, table_name: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn
        self._dynamodb = dynamodb
        self._table = table_name

    def notify_once(self, key: str, news: Set[str], notification: Notification) -> bool:
        """Publish unless every item of `news` (controls, outcomes) was already reported
        under `key`.

        The job guard keys by job, so the several events SageMaker sends for one job
        tell once, and a later, new finding or outcome tells again; sg_guard keys by
        change. The claim is an atomic set union, written before publishing so that
        concurrent events cannot both publish; a failed publish takes back what it
        claimed, so the retried event publishes again.
        """
        claimed = self._claim(key, news)
        if not claimed:
            return False
        try:
            self.publish(notification)
        except Exception:
            self._release(key, claimed)
            raise
        return True

    def publish(self, notification: Notification) -> str:
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=notification.subject,
            Message=sns_message(notification),
            MessageStructure="json",
            MessageAttributes=notification.attributes,
        )
        return str(response["MessageId"])

    def _claim(self, key: str, news: Set[str]) -> set[str]:
        response = self._dynamodb.update_item(
            TableName=self._table,
            Key={"resource": {"S": key}},
            UpdateExpression="ADD reported :controls SET expires_at = :expires",
            ExpressionAttributeValues={
                ":controls": {"SS": sorted(news)},
                ":expires": {"N": str(int(time.time()) + REMEMBER_SECONDS)},
            },
            ReturnValues="ALL_OLD",  # the whole (small) item: what was reported before
        )
        before = set(response.get("Attributes", {}).get("reported", {}).get("SS", []))
        return set(news) - before

    def _release(self, key: str, claimed: set[str]) -> None:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"resource": {"S": key}},
                UpdateExpression="DELETE reported :controls",
                ExpressionAttributeValues={":controls": {"SS": sorted(claimed)}},
            )
        except (ClientError, OutOfTime) as e:
            # The publish error is the one to raise; this one only costs a missed
            # notification if the retried event finds the claim still there.
            code = error_code(e) if isinstance(e, ClientError) else "OutOfTime"
            logger.warning("could not release notification claim", extra={"code": code})
