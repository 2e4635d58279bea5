"""The `default` message is an AWS Chatbot custom notification, valid against its schema.

The schema, as documented at
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html (Event schema,
Parameter details): `version` "1.0" and `source` "custom" are required; `id` is optional;
`content.description` is required; `textType` is only "client-markdown"; `title` at most 250
characters, `description` at most 8,000, each of `nextSteps` at most 350, each of `keywords`
at most 75; `metadata` holds `threadId`, `summary`, `eventType`, `relatedResources`,
`additionalContext` (string to string) and `enableCustomActions` (boolean); nothing else.
A custom action extracts variables from the notification: values of printable ASCII with
no space, at most 1,024 characters (chatbot API reference, CustomActionAttachment.Variables).
SNS (botocore's Publish documentation): the message, subject and attributes together are
at most 262,144 bytes; attribute values may not be empty.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from training_guard.controls.base import PublicIngress
from training_guard.model import Action, ActionKind, Finding, Severity, Summary
from training_guard.notification import Notification, Subject, build_notification, sns_message

TITLE, DESCRIPTION, NEXT_STEP, KEYWORD = 250, 8_000, 350, 75
VARIABLE_VALUE = re.compile(r"[\x21-\x7F]{1,1024}")
SNS_LIMIT = 262_144
MESSAGE_KEYS = {"default", "email", "email-json", "sqs", "lambda"}
CONTENT_KEYS = {"textType", "title", "description", "nextSteps", "keywords"}
METADATA_KEYS = {
    "threadId",
    "summary",
    "eventType",
    "relatedResources",
    "additionalContext",
    "enableCustomActions",
}
CONTEXT_KEYS = {"control", "action", "severity", "account", "region", "kind", "resource", "name"}
HALF_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")

ACCOUNT = "123456789012"
JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/j"
GROUP = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0abc"


def units(text: str) -> int:
    """Characters as chat clients count them (UTF-16 code units): the stricter count."""
    return len(text.encode("utf-16-le")) // 2


def schema_problems(card: Any) -> list[str]:
    """Every way `card` breaks the documented custom notification schema."""
    if not isinstance(card, dict):
        return ["not an object"]
    problems = extra(card, {"version", "source", "id", "content", "metadata"}, "card")
    problems += [] if card.get("version") == "1.0" else ["version must be 1.0"]
    problems += [] if card.get("source") == "custom" else ["source must be custom"]
    problems += [] if isinstance(card.get("id", ""), str) else ["id must be a string"]
    problems += content_problems(card.get("content"))
    return problems + metadata_problems(card.get("metadata", {}))


def content_problems(content: Any) -> list[str]:
    if not isinstance(content, dict):
        return ["content must be an object"]
    problems = extra(content, CONTENT_KEYS, "content")
    if content.get("textType", "client-markdown") != "client-markdown":
        problems.append("textType must be client-markdown")
    description = content.get("description")
    if not isinstance(description, str) or not description:
        problems.append("description is required")
    problems += text_problems(content, "title", TITLE)
    problems += text_problems(content, "description", DESCRIPTION)
    problems += list_problems(content, "nextSteps", NEXT_STEP)
    return problems + list_problems(content, "keywords", KEYWORD)


def metadata_problems(metadata: Any) -> list[str]:
    if not isinstance(metadata, dict):
        return ["metadata must be an object"]
    problems = extra(metadata, METADATA_KEYS, "metadata")
    for key in ("threadId", "summary", "eventType"):
        if not isinstance(metadata.get(key, ""), str):
            problems.append(f"{key} must be a string")
    problems += list_problems(metadata, "relatedResources", None)
    if not isinstance(metadata.get("enableCustomActions", True), bool):
        problems.append("enableCustomActions must be a boolean")
    context = metadata.get("additionalContext", {})
    if not isinstance(context, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in context.items()
    ):
        problems.append("additionalContext must map strings to strings")
    return problems


def extra(value: dict[str, Any], allowed: set[str], where: str) -> list[str]:
    return [f"{where} has undocumented key {key}" for key in sorted(set(value) - allowed)]


def text_problems(parent: dict[str, Any], key: str, limit: int) -> list[str]:
    value = parent.get(key, "")
    if not isinstance(value, str):
        return [f"{key} must be a string"]
    return [f"{key} longer than {limit}"] if units(value) > limit else []


def list_problems(parent: dict[str, Any], key: str, limit: int | None) -> list[str]:
    value = parent.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [f"{key} must be a list of strings"]
    return [f"a {key} item is longer than {limit}" for v in value if limit and units(v) > limit]


def card_of(notification: Notification) -> dict[str, Any]:
    """The card as SNS delivers it: `default` of a well-formed, small enough message."""
    message = json.loads(sns_message(notification))
    assert set(message) == MESSAGE_KEYS
    assert all(isinstance(v, str) for v in message.values())
    assert size(notification) <= SNS_LIMIT
    assert all(v["StringValue"] for v in notification.attributes.values())
    card: dict[str, Any] = json.loads(message["default"])
    assert schema_problems(card) == []
    return card


def size(notification: Notification) -> int:
    attributes = sum(
        len(f"{k}{v['DataType']}{v['StringValue']}".encode())
        for k, v in notification.attributes.items()
    )
    return len(sns_message(notification).encode()) + len(notification.subject.encode()) + attributes


def finding(control: str, message: str = "Not set.", severity: Severity = Severity.HIGH) -> Finding:
    return Finding(control, severity, message)


STOPPED = Summary(
    JOB,
    "enforce",
    (finding("output-kms"), finding("subnet-capacity", "Too small.", Severity.MEDIUM)),
    (Action(ActionKind.STOPPED, "Stopped training job j: output-kms."),),
)
ABOUT_JOB = Subject("training job", "j", ACCOUNT, "us-east-1", "CreateTrainingJob by alice")


def test_the_checker_refuses_what_the_schema_forbids() -> None:
    good = card_of(build_notification(STOPPED, ABOUT_JOB, "x"))
    assert schema_problems({**good, "extra": 1}) == ["card has undocumented key extra"]
    assert schema_problems({**good, "version": "2.0"}) == ["version must be 1.0"]
    no_description = {k: v for k, v in good["content"].items() if k != "description"}
    assert "description is required" in schema_problems({**good, "content": no_description})
    long_title = {**good["content"], "title": "t" * 251}
    assert schema_problems({**good, "content": long_title}) == ["title longer than 250"]
    bad_context = {**good["metadata"], "additionalContext": {"n": 1}}
    assert schema_problems({**good, "metadata": bad_context}) == [
        "additionalContext must map strings to strings"
    ]


def test_a_stopped_job_card_names_the_job_its_thread_and_the_context_actions_read() -> None:
    card = card_of(build_notification(STOPPED, ABOUT_JOB, "training-guard:exempt"))
    assert card["content"]["textType"] == "client-markdown"
    assert card["content"]["title"].endswith("HIGH · training job j stopped")
    assert card["metadata"]["threadId"] == JOB
    assert card["metadata"]["relatedResources"][0] == JOB
    context = card["metadata"]["additionalContext"]
    assert set(context) == CONTEXT_KEYS  # no owner: none known
    assert context["control"] == "output-kms,subnet-capacity"
    assert context["kind"] == "training-job"
    assert context["name"] == "j"
    assert VARIABLE_VALUE.fullmatch(context["kind"])
    assert VARIABLE_VALUE.fullmatch(context["name"])
    assert card["content"]["keywords"][:2] == ["HIGH", "stopped"]


def test_many_findings_stay_within_every_limit() -> None:
    findings = tuple(
        finding(control, f"Definition d{i}: " + "x" * 300)
        for i in range(40)
        for control in ("output-kms", "volume-kms", "vpc-config", "subnet-capacity")
    )
    summary = Summary(JOB, "enforce", findings, (Action(ActionKind.STOPPED, "Stopped."),))
    card = card_of(build_notification(summary, ABOUT_JOB, "x"))
    assert card["content"]["description"].endswith("…")
    assert len(card["content"]["keywords"]) <= 10


def test_huge_summaries_are_shortened_to_fit_sns() -> None:
    findings = tuple(finding("output-kms", f"{i} " + 'é"<' * 3_000) for i in range(400))
    actions = tuple(Action(ActionKind.FAILED, "ü" * 10_000) for _ in range(50))
    summary = Summary(JOB, "enforce", findings, actions)
    about = Subject("training job", "j", ACCOUNT, "us-east-1", "t" * 100_000)
    notification = build_notification(summary, about, "x")
    card_of(notification)  # fits, and is well formed
    document = json.loads(json.loads(sns_message(notification))["sqs"])
    assert document["truncated"] is True
    assert "more finding(s), cut to fit" in notification.text


@pytest.mark.parametrize("text", ["a&b" * 5_000, "<@U123>" * 2_000, "x" * 7_999 + "&"])
def test_long_text_is_cut_with_a_mark_never_inside_an_escape(text: str) -> None:
    summary = Summary(JOB, "enforce", (finding("output-kms", text),))
    card = card_of(build_notification(summary, ABOUT_JOB, "x"))
    description = card["content"]["description"]
    assert description.endswith("…")
    assert not HALF_ENTITY.search(description)
    assert "<@" not in description  # no mention reaches Slack as markup


def test_notify_mode_reports() -> None:
    summary = Summary(JOB, "notify", STOPPED.findings, (Action(ActionKind.SKIPPED, "notify"),))
    card = card_of(build_notification(summary, ABOUT_JOB, "x"))
    assert card["content"]["title"].endswith("training job j reported")
    assert "notify-mode" in card["content"]["keywords"]
    assert card["metadata"]["additionalContext"]["action"] == "skipped"


def test_a_failed_action_without_findings_is_a_high_card() -> None:
    summary = Summary(JOB, "enforce", (), (Action(ActionKind.FAILED, "AccessDenied: Stop"),))
    card = card_of(build_notification(summary, ABOUT_JOB, "x"))
    assert card["content"]["title"].endswith("HIGH · training job j guard action failed")
    assert card["metadata"]["additionalContext"]["control"] == "none"
    assert any("could not finish" in step for step in card["content"]["nextSteps"])


def test_a_security_group_card_threads_on_the_group() -> None:
    summary = Summary(
        GROUP,
        "enforce",
        (
            Finding(
                "sg-no-public-ingress",
                Severity.CRITICAL,
                "Ingress from 0.0.0.0/0.",
                evidence=PublicIngress("sg-0abc", ()),
            ),
        ),
        (Action(ActionKind.REVOKED, "Revoked tcp 22 from 0.0.0.0/0 on sg-0abc."),),
    )
    about = Subject("security group", "sg-0abc", ACCOUNT, "us-east-1", "", owner="team a")
    card = card_of(build_notification(summary, about, "x"))
    assert card["metadata"]["threadId"] == GROUP
    assert card["metadata"]["relatedResources"] == [GROUP]
    assert card["metadata"]["additionalContext"]["kind"] == "security-group"
    assert card["metadata"]["additionalContext"]["owner"] == "team a"
    assert "#SecurityGroup:groupId=sg-0abc" in card["content"]["nextSteps"][-1]


def test_a_tuning_job_card_names_its_kind() -> None:
    tuning = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:hyper-parameter-tuning-job/t"
    summary = Summary(tuning, "enforce", (finding("output-kms"),))
    about = Subject("hyperparameter tuning job", "t", ACCOUNT, "us-east-1")
    card = card_of(build_notification(summary, about, "x"))
    assert card["metadata"]["additionalContext"]["kind"] == "hyperparameter-tuning-job"
    assert card["metadata"]["eventType"] == "training-guard-hyperparameter-tuning-job"
    assert "#/hyper-tuning-jobs/t" in card["content"]["nextSteps"][-1]


def test_unicode_names_and_emoji_count_as_chat_clients_count() -> None:
    name = "модель-🚀" * 40
    about = Subject("training job", name, ACCOUNT, "us-east-1", "Créé par ß\u202e")
    card = card_of(build_notification(STOPPED, about, "x"))
    assert units(card["content"]["title"]) <= TITLE
    assert "\u202e" not in json.dumps(card)  # no invisible reordering of what people read


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("eu-west-1", "https://eu-west-1.console.aws.amazon.com/"),
        ("cn-north-1", "https://console.amazonaws.cn/"),
        ("us-gov-west-1", "https://console.amazonaws-us-gov.com/"),
        ("us-iso-east-1", None),
        ("us-isob-east-1", None),
        ("eu-isoe-west-1", None),
        ("eusc-de-east-1", None),
    ],
)
def test_every_partition_gets_a_valid_card_and_only_a_real_console(
    region: str, host: str | None
) -> None:
    about = Subject("training job", "j", ACCOUNT, region)
    card = card_of(build_notification(STOPPED, about, "x"))
    links = [s for s in card["content"]["nextSteps"] if "console" in s]
    assert [link.split(": ", 1)[1].startswith(host) for link in links] == ([True] if host else [])
