"""Event shapes at the trust boundary: validated once, here, and nowhere else.

The models subclass Powertools' EventBridge model and keep the whole event
(account, region, resources), narrowing only `detail`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from training_guard.model import Action, ActionKind, Summary
from training_guard.observability import logger, record_rejected_event

CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
TRAINING_JOB_STATE_CHANGE = "SageMaker Training Job State Change"
TUNING_JOB_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change"


class InvalidEventError(ValueError):
    """The event is not one this function handles, or lacks what it needs."""


class CloudTrailRecord(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    event_source: str = Field(alias="eventSource")
    event_name: str = Field(alias="eventName")
    aws_region: str = Field(alias="awsRegion")
    event_id: str | None = Field(None, alias="eventID")
    error_code: str | None = Field(None, alias="errorCode")
    error_message: str | None = Field(None, alias="errorMessage")
    request_parameters: dict[str, Any] | None = Field(None, alias="requestParameters")
    response_elements: dict[str, Any] | None = Field(None, alias="responseElements")
    user_identity: dict[str, Any] = Field(default_factory=dict, alias="userIdentity")
    recipient_account_id: str | None = Field(None, alias="recipientAccountId")


class CloudTrailApiCall(EventBridgeModel):
    detail_type: Literal["AWS API Call via CloudTrail"] = Field(alias="detail-type")
    detail: CloudTrailRecord


class TrainingJobStateChange(EventBridgeModel):
    detail_type: Literal["SageMaker Training Job State Change"] = Field(alias="detail-type")
    detail: dict[str, Any]


class TuningJobStateChange(EventBridgeModel):
    detail_type: Literal["SageMaker HyperParameter Tuning Job State Change"] = Field(
        alias="detail-type"
    )
    detail: dict[str, Any]


SG_GUARD_EVENTS: dict[str, type[EventBridgeModel]] = {CLOUDTRAIL_API_CALL: CloudTrailApiCall}
JOB_GUARD_EVENTS: dict[str, type[EventBridgeModel]] = {
    CLOUDTRAIL_API_CALL: CloudTrailApiCall,
    TRAINING_JOB_STATE_CHANGE: TrainingJobStateChange,
    TUNING_JOB_STATE_CHANGE: TuningJobStateChange,
}


def parse_event(raw: object, models: Mapping[str, type[EventBridgeModel]]) -> EventBridgeModel:
    if not isinstance(raw, Mapping):
        raise InvalidEventError(f"expected an EventBridge event object, got {type(raw).__name__}")
    detail_type = raw.get("detail-type")
    model = models.get(detail_type) if isinstance(detail_type, str) else None
    if model is None:
        raise InvalidEventError(
            f"unsupported detail-type {detail_type!r}; this function handles "
            + ", ".join(repr(k) for k in models)
        )
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise InvalidEventError(f"malformed {detail_type!r} event: {describe_errors(e)}") from e


def describe_errors(error: ValidationError) -> str:
    """Field paths and reasons only: pydantic's default text quotes input values,
    which may be secrets."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}"
        for e in error.errors(include_input=False, include_url=False)
    )


def event_id(raw: object) -> str | None:
    return str(raw.get("id")) if isinstance(raw, Mapping) and raw.get("id") else None


def rejected(raw_event: object, reason: str, mode: str) -> Summary:
    """The outcome of an event no guard can use: logged with its reason and id, never
    its content (it may carry hyperparameters or secrets), and counted so an alarm fires."""
    logger.error("event rejected", extra={"event_id": event_id(raw_event), "reason": reason})
    record_rejected_event()
    return Summary(None, mode, (), (Action(ActionKind.FAILED, f"Rejected event: {reason}"),))
