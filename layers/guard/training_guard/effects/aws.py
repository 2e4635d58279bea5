"""boto3 clients and the error vocabulary the effects share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
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


@dataclass(frozen=True)
class Clients:
    """The clients the guards use, each bound to the invocation's time budget: SNS and
    DynamoDB (notifying and recording) may use the reserve the others must leave."""

    sagemaker: Any
    ec2: Any
    kms: Any
    sns: Any
    dynamodb: Any
    sts: Any
    budget: TimeBudget = field(default_factory=TimeBudget)

    @classmethod
    def create(
        cls,
        region: str | None = None,
        session: boto3.Session | None = None,
        config: Config = CLIENT_CONFIG,
    ) -> Clients:
        session = session or boto3.Session(region_name=region)
        budget = TimeBudget()

        def client(service: str) -> Any:
            created = session.client(service, config=config)  # type: ignore[call-overload]
            bind(created, budget, reporting=service in REPORTING_SERVICES)
            return created

        return cls(
            sagemaker=client("sagemaker"),
            ec2=client("ec2"),
            kms=client("kms"),
            sns=client("sns"),
            dynamodb=client("dynamodb"),
            sts=client("sts"),
            budget=budget,
        )


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
