"""The event boundary: what is accepted, and how a refusal is worded."""

from __future__ import annotations

import pytest

from support import SAMPLE_NAMES, load_sample
from training_guard.events import (
    JOB_GUARD_EVENTS,
    CloudTrailApiCall,
    InvalidEventError,
    TrainingJobStateChange,
    parse_event,
)


@pytest.mark.parametrize("name", [n for n in SAMPLE_NAMES if "unknown" not in n])
def test_every_sample_parses(name: str) -> None:
    parse_event(load_sample(name), JOB_GUARD_EVENTS)


def test_the_whole_event_is_kept() -> None:
    event = parse_event(load_sample("cloudtrail-create-training-job-compliant"), JOB_GUARD_EVENTS)
    assert isinstance(event, CloudTrailApiCall)
    assert (event.account, event.region) == ("123456789012", "us-east-1")
    assert event.detail.event_name == "CreateTrainingJob"


def test_state_change_keeps_detail_as_sent() -> None:
    event = parse_event(
        load_sample("sagemaker-training-job-state-change-in-progress"), JOB_GUARD_EVENTS
    )
    assert isinstance(event, TrainingJobStateChange)
    assert event.detail["TrainingJobStatus"] == "InProgress"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "expected an EventBridge event object, got list"),
        ("{}", "expected an EventBridge event object, got str"),
        ({"detail": {}}, "unsupported detail-type None"),
        (load_sample("eventbridge-unknown-detail-type"), "unsupported detail-type 'EC2 Instance"),
    ],
)
def test_refusals_are_specific(raw: object, message: str) -> None:
    with pytest.raises(InvalidEventError, match=message):
        parse_event(raw, JOB_GUARD_EVENTS)


def test_missing_fields_are_named_without_quoting_values() -> None:
    event = load_sample("cloudtrail-create-training-job-compliant")
    del event["detail"]["eventName"]
    event["detail"]["awsRegion"] = {"secret": "do-not-log-me"}
    with pytest.raises(InvalidEventError) as refusal:
        parse_event(event, JOB_GUARD_EVENTS)
    assert "detail.eventName: Field required" in str(refusal.value)
    assert "detail.awsRegion" in str(refusal.value)
    assert "do-not-log-me" not in str(refusal.value)
