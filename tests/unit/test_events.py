"""The event boundary: what is accepted, and how a refusal is worded."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from support import JOB_SAMPLE_NAMES, SAMPLE_NAMES, SG_SAMPLE_NAMES, load_sample
from training_guard.events import (
    CLOUDTRAIL_API_CALL,
    JOB_GUARD_EVENTS,
    SG_GUARD_EVENTS,
    TRAINING_JOB_STATE_CHANGE,
    InvalidEventError,
    api_call,
    parse_event,
)

SECRET = "do-not-log-me"
ROLE = "arn:aws:iam::123456789012:role/DataScientistRole"
CALLER = "arn:aws:sts::123456789012:assumed-role/DataScientistRole/alice"


def compliant() -> dict[str, Any]:
    return load_sample("cloudtrail-create-training-job-compliant")


@pytest.mark.parametrize("name", [n for n in JOB_SAMPLE_NAMES if "unknown" not in n])
def test_every_job_sample_parses(name: str) -> None:
    raw = load_sample(name)
    event = parse_event(raw, JOB_GUARD_EVENTS)
    assert (event.account, event.region, event.id) == (raw["account"], raw["region"], raw["id"])
    if event.detail_type == CLOUDTRAIL_API_CALL:
        call = api_call(event)
        assert call.event_source == "sagemaker.amazonaws.com"


@pytest.mark.parametrize("name", SG_SAMPLE_NAMES)
def test_every_security_group_sample_parses(name: str) -> None:
    call = api_call(parse_event(load_sample(name), SG_GUARD_EVENTS))
    assert call.event_source == "ec2.amazonaws.com"
    assert call.account == "123456789012"


def test_every_sample_but_the_unknown_one_is_a_guard_event() -> None:
    unknown = [n for n in SAMPLE_NAMES if load_sample(n)["detail-type"] not in JOB_GUARD_EVENTS]
    assert unknown == ["eventbridge-unknown-detail-type"]


def test_the_whole_event_is_kept() -> None:
    event = parse_event(compliant(), JOB_GUARD_EVENTS)
    assert event.detail_type == CLOUDTRAIL_API_CALL
    assert (event.account, event.region) == ("123456789012", "us-east-1")
    call = api_call(event)
    assert call.event_name == "CreateTrainingJob"
    assert call.region == "us-east-1"
    assert (call.caller, call.caller_role) == (CALLER, ROLE)
    assert call.error_code is None
    assert call.request.path == "event.detail.requestParameters"
    assert call.request.get("TrainingJobName").value == "fraud-model-compliant"


def test_a_failed_call_keeps_its_error_code() -> None:
    call = api_call(
        parse_event(load_sample("cloudtrail-create-training-job-failed-call"), JOB_GUARD_EVENTS)
    )
    assert call.error_code == "ValidationException"
    assert not call.response.present


def test_state_change_keeps_detail_as_sent() -> None:
    event = parse_event(
        load_sample("sagemaker-training-job-state-change-in-progress"), JOB_GUARD_EVENTS
    )
    assert event.detail_type == TRAINING_JOB_STATE_CHANGE
    assert event.detail.get("TrainingJobStatus").value == "InProgress"


def test_state_changes_are_not_security_group_events() -> None:
    with pytest.raises(InvalidEventError, match="detail-type: not one this function handles"):
        parse_event(load_sample("sagemaker-training-job-state-change-in-progress"), SG_GUARD_EVENTS)


def changed(**changes: Any) -> dict[str, Any]:
    raw = compliant()
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is ...:
            del raw[key]
        else:
            raw[key] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "event: expected an EventBridge event object, got a list"),
        ("{}", "event: expected an EventBridge event object, got a string"),
        (None, "event: expected an EventBridge event object, got null"),
        ({"detail": {}}, "detail-type: not one this function handles"),
        (changed(detail_type=...), "detail-type: not one this function handles"),
        (changed(detail_type=7), "event.detail-type: expected a non-empty string, got int"),
        (load_sample("eventbridge-unknown-detail-type"), "detail-type: not one this function handles"),
        (changed(account=...), "event.account: expected a 12-digit account id, got nothing"),
        (changed(account="12345"), "event.account: expected a 12-digit account id, got a string that is not"),
        (changed(account=123456789012), "event.account: expected a 12-digit account id, got int"),
        (changed(region=...), "event.region: expected a region name, got nothing"),
        (changed(region="US_EAST_1"), "event.region: expected a region name, got a string that is not"),
        (changed(region=["us-east-1"]), "event.region: expected a region name, got a list"),
        (changed(detail=...), "event.detail: expected an object, got nothing"),
        (changed(detail=None), "event.detail: expected an object, got null"),
        (changed(detail=[]), "event.detail: expected an object, got a list"),
        (changed(detail="{}"), "event.detail: expected an object, got a string"),
    ],
)  # fmt: skip
def test_refusals_are_specific(raw: object, message: str) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        parse_event(raw, JOB_GUARD_EVENTS)
    assert message in str(refusal.value)


def test_missing_fields_of_the_record_are_named() -> None:
    raw = compliant()
    del raw["detail"]["eventName"]
    with pytest.raises(
        InvalidEventError,
        match=r"event\.detail\.eventName: expected a non-empty string, got nothing",
    ):
        api_call(parse_event(raw, JOB_GUARD_EVENTS))


def test_bad_values_are_named_without_quoting_them() -> None:
    raw = compliant()
    raw["detail"]["awsRegion"] = {"secret": SECRET}
    with pytest.raises(InvalidEventError) as refusal:
        api_call(parse_event(raw, JOB_GUARD_EVENTS))
    assert "event.detail.awsRegion: expected a region name, got an object" in str(refusal.value)
    assert SECRET not in str(refusal.value)


def test_a_record_from_another_region_is_refused() -> None:
    raw = compliant()
    raw["detail"]["awsRegion"] = "eu-west-1"
    with pytest.raises(InvalidEventError, match="awsRegion differs from the event's region"):
        api_call(parse_event(raw, JOB_GUARD_EVENTS))


def test_the_recipient_account_is_the_account_of_the_call() -> None:
    raw = compliant()
    raw["detail"]["recipientAccountId"] = "210987654321"
    assert api_call(parse_event(raw, JOB_GUARD_EVENTS)).account == "210987654321"
    del raw["detail"]["recipientAccountId"]
    assert api_call(parse_event(raw, JOB_GUARD_EVENTS)).account == "123456789012"


def with_identity(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(compliant())
    change(raw["detail"]["userIdentity"])
    return raw


def _null_session(identity: dict[str, Any]) -> None:
    identity["sessionContext"] = None


def _issuer(value: Any) -> Any:
    def change(identity: dict[str, Any]) -> None:
        identity["sessionContext"]["sessionIssuer"] = value

    return change


def _no_session(identity: dict[str, Any]) -> None:
    del identity["sessionContext"]


def _caller_arn(value: Any) -> Any:
    def change(identity: dict[str, Any]) -> None:
        identity["arn"] = value

    return change


@pytest.mark.parametrize(
    ("change", "caller", "role"),
    [
        # The caller's own assumed-role ARN still names the role.
        pytest.param(_null_session, CALLER, ROLE, id="sessionContext-null"),
        pytest.param(_no_session, CALLER, ROLE, id="no-sessionContext"),
        pytest.param(_issuer(None), CALLER, ROLE, id="sessionIssuer-null"),
        # A shape the guard cannot read leaves that part unknown, not the event unusable.
        pytest.param(_issuer("arn:aws:iam::123456789012:role/X"), CALLER, ROLE, id="sessionIssuer-string"),
        pytest.param(_issuer([{"arn": ROLE}]), CALLER, ROLE, id="sessionIssuer-list"),
        pytest.param(_issuer({"arn": 7}), CALLER, ROLE, id="sessionIssuer-arn-int"),
        pytest.param(_caller_arn({"x": SECRET}), None, ROLE, id="caller-arn-object"),
    ],
)  # fmt: skip
def test_odd_identities_leave_the_caller_unknown_without_error(
    change: Any, caller: str | None, role: str | None
) -> None:
    call = api_call(parse_event(with_identity(change), JOB_GUARD_EVENTS))
    assert (call.caller, call.caller_role) == (caller, role)
    assert call.event_name == "CreateTrainingJob"


@pytest.mark.parametrize("identity", [None, [], "root", 5])
def test_a_user_identity_that_is_not_an_object_leaves_the_caller_unknown(identity: Any) -> None:
    raw = compliant()
    raw["detail"]["userIdentity"] = identity
    call = api_call(parse_event(raw, JOB_GUARD_EVENTS))
    assert (call.caller, call.caller_role) == (None, None)
