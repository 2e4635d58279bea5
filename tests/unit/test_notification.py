"""The notification: actionable text, filterable attributes, nothing from the request."""

from __future__ import annotations

import json

from training_guard.model import Action, ActionKind, Finding, Severity, Summary
from training_guard.notification import SUBJECT_LIMIT, Subject, build_notification, sns_message

SUMMARY = Summary(
    "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
    "enforce",
    (
        Finding("output-kms", Severity.HIGH, "OutputDataConfig.KmsKeyId is not set."),
        Finding("subnet-capacity", Severity.MEDIUM, "Too small."),
    ),
    (Action(ActionKind.STOPPED, "Stopped training job j: output-kms."),),
)
ABOUT = Subject(
    "training job",
    "j",
    "123456789012",
    "us-east-1",
    "CreateTrainingJob by arn:aws:sts::123456789012:assumed-role/R/alice",
)


def test_attributes_let_subscriptions_filter() -> None:
    attributes = build_notification(SUMMARY, ABOUT, "training-guard:exempt").attributes
    assert attributes["severity"] == {"DataType": "String", "StringValue": "HIGH"}
    assert json.loads(attributes["control"]["StringValue"]) == ["output-kms", "subnet-capacity"]
    assert attributes["control"]["DataType"] == "String.Array"
    assert json.loads(attributes["action"]["StringValue"]) == ["stopped"]


def test_subject_names_the_worst_severity_the_job_and_the_outcome() -> None:
    subject = build_notification(SUMMARY, ABOUT, "x").subject
    assert subject == "[Training Guard] HIGH: training job j stopped"


def test_subject_fits_sns_limit() -> None:
    about = Subject("training job", "n" * 200, "123456789012", "us-east-1")
    assert len(build_notification(SUMMARY, about, "x").subject) <= SUBJECT_LIMIT


def test_notify_mode_subject_says_reported() -> None:
    summary = Summary(
        SUMMARY.resource, "notify", SUMMARY.findings, (Action(ActionKind.SKIPPED, "notify mode"),)
    )
    assert build_notification(summary, ABOUT, "x").subject.endswith("j reported")


def test_text_lists_findings_actions_and_how_to_exempt() -> None:
    text = build_notification(SUMMARY, ABOUT, "training-guard:exempt").text
    assert "[HIGH] output-kms: OutputDataConfig.KmsKeyId is not set." in text
    assert "stopped: Stopped training job j" in text
    assert "training-guard:exempt=true" in text
    assert "Trigger: CreateTrainingJob by arn:aws:sts::123456789012:assumed-role/R/alice" in text


def test_programs_get_the_summary_as_json() -> None:
    message = json.loads(sns_message(build_notification(SUMMARY, ABOUT, "x")))
    document = json.loads(message["sqs"])
    assert document["resource"] == SUMMARY.resource
    assert document["findings"][0]["control"] == "output-kms"
    assert message["default"] == message["email"]
    assert message["lambda"] == message["sqs"]
