"""boto3 clients and the error vocabulary the effects share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Standard retry mode backs off on throttling and 5xx; what still fails after the
# last attempt raises, so Lambda retries the event and then parks it in the DLQ.
RETRY_CONFIG = Config(
    retries={"total_max_attempts": 5, "mode": "standard"},
    connect_timeout=5,
    read_timeout=15,
)

ACCESS_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)


@dataclass(frozen=True)
class Clients:
    sagemaker: Any
    ec2: Any
    kms: Any
    sns: Any
    dynamodb: Any
    sts: Any

    @classmethod
    def create(
        cls,
        region: str | None = None,
        session: boto3.Session | None = None,
        config: Config = RETRY_CONFIG,
    ) -> Clients:
        session = session or boto3.Session(region_name=region)

        def client(service: str) -> Any:
            return session.client(service, config=config)  # type: ignore[call-overload]

        return cls(
            sagemaker=client("sagemaker"),
            ec2=client("ec2"),
            kms=client("kms"),
            sns=client("sns"),
            dynamodb=client("dynamodb"),
            sts=client("sts"),
        )


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def is_access_denied(error: ClientError) -> bool:
    return error_code(error) in ACCESS_DENIED_CODES


def caller_role(sts: Any) -> str:
    """The role this code runs as (sts:GetCallerIdentity needs no permission)."""
    return role_arn(str(sts.get_caller_identity()["Arn"]))


def role_arn(arn: str) -> str:
    """The IAM role behind an assumed-role session ARN; any other ARN as it is."""
    # arn:aws:sts::123456789012:assumed-role/Role/session -> arn:aws:iam::123456789012:role/Role
    if ":assumed-role/" in arn:
        prefix, rest = arn.split(":assumed-role/", 1)
        return f"{prefix.replace(':sts:', ':iam:')}:role/{rest.split('/', 1)[0]}"
    return arn
