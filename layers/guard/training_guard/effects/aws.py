"""AWS clients and the error vocabulary the effects share."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from training_guard.effects.budget import CLIENT_CONFIG, TimeBudget, bind
from training_guard.facts.identifiers import role_arn
from training_guard.model import Action, ActionKind

# Telling people and recording what was done always gets its turn (effects/budget.py).
REPORTING_SERVICES = frozenset({"sns", "dynamodb"})
ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)


class Clients:
    """The clients the guards use, each created on first use (a cold start pays only for
    the services its event needs) and bound to the invocation's time budget: SNS and
    DynamoDB (notifying and recording) may use the reserve the others must leave."""

    def __init__(
        self, session: Any, config: Config = CLIENT_CONFIG, region: str | None = None
    ) -> None:
        # A botocore session, or a boto3 one (tests and the command line pass theirs).
        self._session = session
        self._config = config
        self._region = region
        self.budget = TimeBudget()

    @classmethod
    def create(
        cls, region: str | None = None, session: Any = None, config: Config = CLIENT_CONFIG
    ) -> Clients:
        # botocore alone: importing boto3 costs a cold start its s3transfer, never used.
        return cls(session or botocore.session.get_session(), config, region)

    @cached_property
    def sagemaker(self) -> Any:
        return self._client("sagemaker")

    @cached_property
    def ec2(self) -> Any:
        return self._client("ec2")

    @cached_property
    def kms(self) -> Any:
        return self._client("kms")

    @cached_property
    def sns(self) -> Any:
        return self._client("sns")

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def sts(self) -> Any:
        return self._client("sts")

    def _client(self, service: str) -> Any:
        if hasattr(self._session, "create_client"):  # botocore's
            created = self._session.create_client(
                service, region_name=self._region, config=self._config
            )
        else:
            created = self._session.client(service, region_name=self._region, config=self._config)
        bind(created, self.budget, reporting=service in REPORTING_SERVICES)
        return created


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


# botocore's standard retry mode treats these as transient (botocore/retries/standard.py).
_TRANSIENT_CODES = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "InternalFailure", "ServiceUnavailable",
    }
)  # fmt: skip


def is_transient(error: ClientError) -> bool:
    """An error a later retry of the event may not meet again: raise it, so Lambda retries."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return error_code(error) in _TRANSIENT_CODES or int(status or 0) >= 500


def refused(what: str, error: ClientError) -> Action:
    """A refusal a retry would meet again (a quota, a conflicting state): reported as a
    failed action with AWS's reason, so the rest of the event is still carried out and told."""
    return Action(
        ActionKind.FAILED, f"Could not {what}: {error_code(error)} ({error_message(error)})."
    )


def is_access_denied(error: ClientError) -> bool:
    return error_code(error) in ACCESS_DENIED_CODES


def caller_role(sts: Any) -> str:
    """The role this code runs as (sts:GetCallerIdentity needs no permission)."""
    return role_arn(str(sts.get_caller_identity()["Arn"]))
