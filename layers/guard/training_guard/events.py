"""Event shapes at the trust boundary, read once, here, through the typed reader.

The whole EventBridge event is kept (account, region, id), not only `detail`. No
pydantic: a small typed reader gives the same safety without its import cost at
cold start (Powertools measured ~330 ms at 128 MB, issue #1164).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from training_guard.facts import identifiers as ids
from training_guard.facts.identifiers import role_arn
from training_guard.facts.jobs import creation_time
from training_guard.model import Action, ActionKind, Summary
from training_guard.observability import logger, record_rejected_event
from training_guard.reader import Field, InvalidEventError, root

CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
TRAINING_JOB_STATE_CHANGE = "SageMaker Training Job State Change"
TUNING_JOB_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change"

SG_GUARD_EVENTS = (CLOUDTRAIL_API_CALL,)
JOB_GUARD_EVENTS = (CLOUDTRAIL_API_CALL, TRAINING_JOB_STATE_CHANGE, TUNING_JOB_STATE_CHANGE)

__all__ = [
    "CLOUDTRAIL_API_CALL",
    "JOB_GUARD_EVENTS",
    "SG_GUARD_EVENTS",
    "TRAINING_JOB_STATE_CHANGE",
    "TUNING_JOB_STATE_CHANGE",
    "ApiCall",
    "Event",
    "InvalidEventError",
    "api_call",
    "elsewhere",
    "parse_event",
    "rejected",
]


@dataclass(frozen=True)
class Event:
    """An EventBridge event: its envelope, and its detail still to be read."""

    id: str | None
    detail_type: str
    account: str
    region: str
    detail: Field


@dataclass(frozen=True)
class ApiCall:
    """A CloudTrail record of one API call."""

    event: Event
    event_source: str
    event_name: str
    event_id: str | None
    error_code: str | None
    request: Field
    response: Field
    caller: str | None  # the caller's ARN
    caller_role: str | None  # the role behind an assumed-role session, or the caller
    account: str  # the account the call was made in
    event_time: float | None  # epoch seconds

    @property
    def region(self) -> str:
        return self.event.region


def parse_event(raw: object, handled: Collection[str]) -> Event:
    event = root(raw)
    if not isinstance(raw, Mapping):
        raise event.reject("an EventBridge event object")
    detail_type = event.get("detail-type").optional_text()
    if detail_type is None or detail_type not in handled:
        raise InvalidEventError(
            f"{event.path}.detail-type: not one this function handles ("
            + ", ".join(repr(k) for k in handled)
            + ")"
        )
    detail = event.get("detail")
    detail.mapping()
    if not detail.present:
        raise detail.reject("an object")
    return Event(
        id=event.get("id").optional_text(),
        detail_type=detail_type,
        account=event.get("account").text(ids.ACCOUNT_ID, "a 12-digit account id"),
        region=event.get("region").text(ids.REGION, "a region name"),
        detail=detail,
    )


def api_call(event: Event) -> ApiCall:
    record = event.detail
    caller, issuer = _identity(record.get("userIdentity"))
    account = record.get("recipientAccountId").optional_text(ids.ACCOUNT_ID, "an account id")
    region = record.get("awsRegion").optional_text(ids.REGION, "a region name")
    if region and region != event.region:
        raise InvalidEventError(f"{record.path}.awsRegion differs from the event's region")
    return ApiCall(
        event=event,
        event_source=record.get("eventSource").text(),
        event_name=record.get("eventName").text(),
        event_id=record.get("eventID").optional_text(),
        error_code=_error_code(record.get("errorCode")),
        request=record.get("requestParameters"),
        response=record.get("responseElements"),
        caller=caller,
        caller_role=role_arn(issuer or caller or "") or None,
        account=account or event.account,
        event_time=creation_time(record.get("eventTime")),
    )


def _identity(identity: Field) -> tuple[str | None, str | None]:
    """The caller's ARN and its session issuer's. Only said in notifications and logs,
    so an odd shape here makes the caller unknown rather than the event unusable."""
    try:
        caller = identity.get("arn").optional_text(ids.PRINCIPAL_ARN, "a principal ARN")
    except InvalidEventError:
        caller = None
    try:
        issuer = identity.get("sessionContext").get("sessionIssuer").get("arn")
        issuer_arn = issuer.optional_text(ids.PRINCIPAL_ARN, "a principal ARN")
    except InvalidEventError:
        issuer_arn = None
    return caller, issuer_arn


def _error_code(value: Field) -> str | None:
    """The error of a failed call: AWS error codes are words; anything else is said as such."""
    if not value.present:
        return None
    if isinstance(value.value, str) and ids.ERROR_CODE.fullmatch(value.value):
        return value.value
    return "an error"


def event_id(raw: object) -> str | None:
    value = raw.get("id") if isinstance(raw, Mapping) else None
    return value if isinstance(value, str) and value else None


def elsewhere(account: str, own_account: str) -> str:
    # Events forwarded from another account's bus name that account's jobs and groups;
    # acting on a same-named resource here would be acting on the wrong one.
    return f"The event is about account {account}; this guard acts in {own_account} only."


def rejected(raw_event: object, reason: str, mode: str) -> Summary:
    """The outcome of an event no guard can use: logged with its reason and id, never
    its content (it may carry hyperparameters or secrets), and counted so an alarm fires."""
    logger.error("event rejected", extra={"event_id": event_id(raw_event), "reason": reason})
    record_rejected_event()
    return Summary(None, mode, (), (Action(ActionKind.FAILED, f"Rejected event: {reason}"),))
