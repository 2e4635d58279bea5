"""The notification: actionable text, filterable attributes, nothing from the request."""

from __future__ import annotations

import json

import pytest

from training_guard.consoles import console_url
from training_guard.controls import CONTROLS_BY_ID
from training_guard.model import Action, ActionKind, Finding, Severity, Summary
from training_guard.notification import (
    SUBJECT_LIMIT,
    Subject,
    build_notification,
    news,
    sns_message,
)

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
CONSOLE = "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/j"
DOCUMENT_KEYS = {
    "resource",
    "mode",
    "findings",
    "actions",
    "kind",
    "name",
    "account",
    "region",
    "trigger",
    "owner",
    "severity",
    "console_url",
    "title",
    "truncated",
}


def attributes_of(summary: Summary, about: Subject = ABOUT) -> dict[str, str]:
    attributes = build_notification(summary, about, "x").attributes
    return {name: value["StringValue"] for name, value in attributes.items()}


def test_attributes_let_subscriptions_filter() -> None:
    attributes = build_notification(SUMMARY, ABOUT, "training-guard:exempt").attributes
    assert attributes["severity"] == {"DataType": "String", "StringValue": "HIGH"}
    assert json.loads(attributes["control"]["StringValue"]) == ["output-kms", "subnet-capacity"]
    assert attributes["control"]["DataType"] == "String.Array"
    assert attributes["action"]["DataType"] == "String.Array"
    assert json.loads(attributes["action"]["StringValue"]) == ["stopped"]
    assert attributes["kind"] == {"DataType": "String", "StringValue": "training-job"}
    assert attributes["account"]["StringValue"] == "123456789012"
    assert attributes["region"]["StringValue"] == "us-east-1"
    assert "owner" not in attributes  # SNS refuses an empty value


def test_owner_attribute_carries_the_owner_tag_value_cleaned_and_bounded() -> None:
    about = Subject("training job", "j", "123456789012", "us-east-1", owner="team-a")
    assert attributes_of(SUMMARY, about)["owner"] == "team-a"
    long = Subject("training job", "j", "123456789012", "us-east-1", owner=" t\n" + "x" * 300)
    assert attributes_of(SUMMARY, long)["owner"] == "t " + "x" * 254
    blank = Subject("training job", "j", "123456789012", "us-east-1", owner=" \t ")
    assert "owner" not in attributes_of(SUMMARY, blank)


@pytest.mark.parametrize(
    ("findings", "actions", "severity"),
    [
        ((), (ActionKind.FAILED,), "HIGH"),
        ((Severity.LOW,), (ActionKind.FAILED,), "HIGH"),
        ((Severity.CRITICAL,), (ActionKind.FAILED,), "CRITICAL"),
        ((Severity.MEDIUM,), (ActionKind.REPAIRED,), "MEDIUM"),
        ((), (ActionKind.SKIPPED,), "INFO"),
    ],
)
def test_severity_is_the_worst_finding_and_a_failed_action_is_at_least_high(
    findings: tuple[Severity, ...], actions: tuple[ActionKind, ...], severity: str
) -> None:
    summary = Summary(
        SUMMARY.resource,
        "enforce",
        tuple(Finding("output-kms", s, "m") for s in findings),
        tuple(Action(a, "d") for a in actions),
    )
    assert attributes_of(summary)["severity"] == severity


def test_action_attribute_says_none_without_actions() -> None:
    summary = Summary(SUMMARY.resource, "enforce", SUMMARY.findings)
    assert json.loads(attributes_of(summary)["action"]) == ["none"]


def test_subject_names_the_worst_severity_the_job_and_the_outcome() -> None:
    subject = build_notification(SUMMARY, ABOUT, "x").subject
    assert subject == "[Training Guard] HIGH: training job j stopped"


def test_subject_fits_sns_limit_and_stays_ascii_on_one_line() -> None:
    about = Subject("training job", "n\u00e9\n" * 200, "123456789012", "us-east-1")
    subject = build_notification(SUMMARY, about, "x").subject
    assert len(subject) <= SUBJECT_LIMIT < 100
    assert subject.isascii()
    assert subject.isprintable()
    assert subject.endswith("...")


def test_notify_mode_subject_says_reported() -> None:
    summary = Summary(
        SUMMARY.resource, "notify", SUMMARY.findings, (Action(ActionKind.SKIPPED, "notify mode"),)
    )
    assert build_notification(summary, ABOUT, "x").subject.endswith("j reported")


def test_email_says_what_was_found_why_what_was_done_the_fix_how_to_exempt_and_where() -> None:
    text = build_notification(SUMMARY, ABOUT, "training-guard:exempt").text
    assert "[HIGH] output-kms: OutputDataConfig.KmsKeyId is not set." in text
    for control_id in ("output-kms", "subnet-capacity"):
        control = CONTROLS_BY_ID[control_id]
        assert f"{control.id}: {control.why}" in text
        assert control.docs in text
        assert f"{control.id}: {control.fix}" in text
    assert "stopped: Stopped training job j" in text
    assert "training-guard:exempt=true" in text
    assert "Trigger: CreateTrainingJob by arn:aws:sts::123456789012:assumed-role/R/alice" in text
    assert CONSOLE in text
    assert "`" not in text  # plain text: no markdown for a mail client to show raw


def test_email_orders_its_sections_for_a_reader() -> None:
    text = build_notification(SUMMARY, ABOUT, "x").text
    headings = [
        "What was found",
        "Why it matters",
        "What the guard did",
        "How to fix it for good",
        "How to exempt it",
        "Console",
    ]
    positions = [text.index(f"\n{h}") for h in headings]
    assert positions == sorted(positions)


def test_email_without_a_public_console_says_so() -> None:
    about = Subject("training job", "j", "123456789012", "us-iso-east-1")
    text = build_notification(SUMMARY, about, "x").text
    assert "No public console link for partition aws-iso." in text


def test_email_of_a_failed_action_without_findings_says_the_guard_is_impaired() -> None:
    summary = Summary(SUMMARY.resource, "enforce", (), (Action(ActionKind.FAILED, "Denied."),))
    text = build_notification(summary, ABOUT, "x").text
    assert "No finding: the guard itself could not finish its work" in text
    assert "failed: Denied." in text
    assert "The guard could not finish" in text


def test_programs_get_the_summary_and_the_resource_as_json() -> None:
    about = Subject("training job", "j", "123456789012", "us-east-1", "t", owner="team-a")
    message = json.loads(sns_message(build_notification(SUMMARY, about, "x")))
    document = json.loads(message["sqs"])
    assert set(document) == DOCUMENT_KEYS
    assert {k: document[k] for k in SUMMARY.to_dict()} == SUMMARY.to_dict()
    assert document["kind"] == "training job"
    assert document["owner"] == "team-a"
    assert document["severity"] == "HIGH"
    assert document["console_url"] == CONSOLE
    assert document["title"] == "HIGH · training job j stopped"
    assert document["truncated"] is False
    assert message["lambda"] == message["sqs"] == message["email-json"]


def test_unknown_owner_and_console_are_null_for_programs() -> None:
    about = Subject("training job", "j", "123456789012", "us-isob-east-1")
    message = json.loads(sns_message(build_notification(SUMMARY, about, "x")))
    document = json.loads(message["sqs"])
    assert document["owner"] is None
    assert document["console_url"] is None


def test_chatbot_gets_default_and_nothing_else_goes_to_https() -> None:
    message = json.loads(sns_message(build_notification(SUMMARY, ABOUT, "x")))
    assert set(message) == {"default", "email", "email-json", "sqs", "lambda"}
    assert json.loads(message["default"])["source"] == "custom"
    assert message["email"] == build_notification(SUMMARY, ABOUT, "x").text


def test_card_id_is_the_same_for_the_same_news_and_differs_otherwise() -> None:
    def card_id(summary: Summary, key: str | None = None) -> str:
        card = build_notification(summary, ABOUT, "x", key=key).card
        return str(card["id"])

    assert card_id(SUMMARY) == card_id(SUMMARY)
    more = Summary(
        SUMMARY.resource,
        "enforce",
        (*SUMMARY.findings, Finding("vpc-config", Severity.HIGH, "No VPC.")),
        SUMMARY.actions,
    )
    assert card_id(more) != card_id(SUMMARY)
    assert card_id(SUMMARY, key=f"{SUMMARY.resource}#event-1") != card_id(
        SUMMARY, key=f"{SUMMARY.resource}#event-2"
    )


def test_news_are_the_controls_and_the_outcomes_but_not_skips() -> None:
    summary = Summary(
        SUMMARY.resource,
        "enforce",
        SUMMARY.findings,
        (Action(ActionKind.STOPPED, "s"), Action(ActionKind.SKIPPED, "k")),
    )
    assert news(summary) == {"output-kms", "subnet-capacity", "action:stopped"}


def test_nothing_but_the_summary_the_subject_and_the_control_table_reaches_a_message() -> None:
    secret = "hunter2-SECRET-VALUE"
    finding = Finding(
        "output-kms",
        Severity.HIGH,
        "Not set.",
        evidence={"HyperParameters": {"password": secret}, "Environment": {"TOKEN": secret}},
    )
    summary = Summary(SUMMARY.resource, "enforce", (finding,))
    notification = build_notification(summary, ABOUT, "x")
    everything = (
        sns_message(notification) + notification.subject + json.dumps(notification.attributes)
    )
    assert secret not in everything


@pytest.mark.parametrize(
    ("kind", "name", "region", "url"),
    [
        (
            "training job",
            "j",
            "eu-west-1",
            "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/jobs/j",
        ),
        (
            "hyperparameter tuning job",
            "t",
            "cn-north-1",
            "https://console.amazonaws.cn/sagemaker/home?region=cn-north-1#/hyper-tuning-jobs/t",
        ),
        (
            "security group",
            "sg-1",
            "us-gov-west-1",
            "https://console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"
            "#SecurityGroup:groupId=sg-1",
        ),
        (
            "training job",
            "a b/#?&",
            "us-east-1",
            "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1"
            "#/jobs/a%20b%2F%23%3F%26",
        ),
        ("training job", "j", "us-iso-east-1", None),
        ("training job", "j", "us-isob-east-1", None),
        ("model", "m", "us-east-1", None),
        ("training job", "", "us-east-1", None),
    ],
)
def test_console_links_are_partition_aware_and_quote_the_name(
    kind: str, name: str, region: str, url: str | None
) -> None:
    assert console_url(kind, name, region) == url


def test_an_owner_tag_cannot_mention_anyone_in_chat() -> None:
    about = Subject("training job", "j", "123456789012", "us-east-1", owner="<!here> @channel")
    card = build_notification(SUMMARY, about, "x").card
    assert "Owner: `&lt;!here&gt; @channel`" in card["content"]["description"]
