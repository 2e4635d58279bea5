"""Block Kit rendering for slack_notifier: Slack's limits hold for any input, user-chosen
text cannot mention or link, and a message that is not the guards' is still readable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training_guard.controls import CONTROLS_BY_ID
from training_guard.slack import (
    BLOCKS_LIMIT,
    BUTTON_TEXT_LIMIT,
    FIELD_LIMIT,
    FIELDS_LIMIT,
    HEADER_LIMIT,
    TEXT_LIMIT,
    URL_LIMIT,
    SlackMessage,
    SnsEventError,
    SnsNotice,
    escape,
    fit,
    render,
    sns_notices,
)

CONSOLE = "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/j"


def guard(**overrides: Any) -> SnsNotice:
    document = {
        "resource": "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
        "mode": "enforce",
        "findings": [{"control": "output-kms", "severity": "HIGH", "message": "No key."}],
        "actions": [{"action": "stopped", "detail": "Stopped."}],
        "kind": "training job",
        "name": "j",
        "account": "123456789012",
        "region": "us-east-1",
        "trigger": "CreateTrainingJob",
        "owner": None,
        "severity": "HIGH",
        "console_url": CONSOLE,
        "title": "HIGH: training job j stopped",
        **overrides,
    }
    return SnsNotice("m-1", json.dumps(document))


def assert_within_limits(message: SlackMessage) -> None:
    """Every limit of the Block Kit reference this renderer relies on."""
    body = message.body()
    assert body["text"]
    assert 0 < len(body["blocks"]) <= BLOCKS_LIMIT
    for block in body["blocks"]:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= HEADER_LIMIT
        elif block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= TEXT_LIMIT
            for item in block.get("fields", []):
                assert 0 < len(item["text"]) <= FIELD_LIMIT
            assert len(block.get("fields", [])) <= FIELDS_LIMIT
        else:
            assert block["type"] == "actions"
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= BUTTON_TEXT_LIMIT
                assert len(button["url"]) <= URL_LIMIT
    json.dumps(body)  # what the webhook sends must serialize


def texts(message: SlackMessage) -> str:
    return json.dumps(message.body())


# --- escaping and cutting -----------------------------------------------------------------


def test_escape_turns_slacks_control_characters_into_entities() -> None:
    assert escape("a & <!channel> > b") == "a &amp; &lt;!channel&gt; &gt; b"


@pytest.mark.parametrize("limit", range(2, 12))
def test_fit_never_splits_an_entity(limit: int) -> None:
    cut = fit(escape("<<<<<<<<"), limit)
    assert len(cut) <= limit
    assert cut.endswith("…")
    assert cut.rstrip("…").replace("&lt;", "") == ""


def test_fit_leaves_text_within_its_limit_alone() -> None:
    assert fit("short", 5) == "short"


# --- the guards' document -------------------------------------------------------------------


def test_a_guard_document_renders_header_fields_findings_fix_and_button() -> None:
    message = render(guard())

    blocks = message.body()["blocks"]
    assert blocks[0]["text"]["text"] == "HIGH: training job j stopped"
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields[:4] == [
        "*Control*\n`output-kms`",
        "*Severity*\nHIGH",
        "*Action*\nstopped",
        "*Account / region*\n123456789012 / us-east-1",
    ]
    body = texts(message)
    assert "No key." in body
    assert escape(CONTROLS_BY_ID["output-kms"].fix) in "".join(
        b["text"]["text"] for b in blocks if "text" in b
    )
    assert blocks[-1]["elements"][0]["url"] == CONSOLE
    assert message.text == "HIGH: training job j stopped"
    assert_within_limits(message)


def test_user_chosen_text_cannot_mention_or_link() -> None:
    message = render(
        guard(
            name="<!channel>",
            owner="<!here>",
            title="<@U0123> <https://evil.example|log in>",
            trigger="<!subteam^S0123>",
            findings=[{"control": "vpc-config", "severity": "HIGH", "message": "a > b & c"}],
        )
    )

    body = texts(message)
    for forged in ("<!channel>", "<!here>", "<@U0123>", "<https://evil.example", "<!subteam"):
        assert forged not in body
    assert "a &gt; b &amp; c" in body


def test_a_document_without_the_newer_keys_still_renders() -> None:
    document = {
        "resource": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1",
        "mode": "notify",
        "findings": [{"control": "sg-no-public-ingress", "severity": "CRITICAL", "message": "m"}],
        "actions": [],
    }

    message = render(SnsNotice("m-2", json.dumps(document)))

    blocks = message.body()["blocks"]
    assert blocks[0]["text"]["text"].startswith("Training Guard: arn:aws:ec2:")
    assert "*Severity*\nCRITICAL" in [f["text"] for f in blocks[1]["fields"]]
    assert all(b["type"] != "actions" for b in blocks)  # no console URL, no button
    assert_within_limits(message)


def test_an_unknown_control_and_odd_types_are_tolerated() -> None:
    message = render(
        guard(
            findings=[{"control": "from-a-newer-guard", "severity": 3}, "not a finding", 7],
            actions="not a list",
            owner=42,
            title=None,
        )
    )

    body = texts(message)
    assert "from-a-newer-guard" in body
    assert "How to fix it for good" not in body  # no words for a control it does not know
    assert_within_limits(message)


@pytest.mark.parametrize(
    "url",
    [
        "http://console.aws.amazon.com/plain-http",
        "javascript:alert(1)",
        "https://console.aws.amazon.com/" + "x" * URL_LIMIT,
        "https://console.aws.amazon.com/with space",
        "",
    ],
)
def test_no_button_for_a_console_url_that_cannot_be_shown_whole(url: str) -> None:
    blocks = render(guard(console_url=url)).body()["blocks"]

    assert all(b["type"] != "actions" for b in blocks)


def test_long_texts_are_cut_to_their_limits() -> None:
    huge = "&" * 10_000
    message = render(
        guard(
            title=huge,
            name=huge,
            owner=huge,
            findings=[{"control": huge, "severity": huge, "message": huge}],
            actions=[{"action": huge, "detail": huge}],
            trigger=huge,
        )
    )

    assert_within_limits(message)


def test_many_findings_stay_within_fifty_blocks_with_the_button_last() -> None:
    findings = [
        {"control": f"control-{i}", "severity": "LOW", "message": "x" * 2_900} for i in range(200)
    ]

    message = render(guard(findings=findings))

    blocks = message.body()["blocks"]
    assert len(blocks) == BLOCKS_LIMIT
    assert blocks[-1]["type"] == "actions"
    assert "not shown" in blocks[-2]["text"]["text"]
    assert_within_limits(message)


# --- any other message --------------------------------------------------------------------


def test_an_alarm_is_shown_with_its_subject_and_pretty_json() -> None:
    alarm = {"AlarmName": "dead-letters", "NewStateValue": "ALARM", "Trigger": {"Period": 60}}

    message = render(SnsNotice("m-3", json.dumps(alarm), subject='ALARM: "dead-letters"'))

    blocks = message.body()["blocks"]
    assert blocks[0]["text"]["text"] == 'ALARM: "dead-letters"'
    body = blocks[1]["text"]["text"]
    assert body.startswith("```")
    assert body.endswith("```")
    assert '"AlarmName": "dead-letters"' in body
    assert message.text == 'ALARM: "dead-letters"'
    assert_within_limits(message)


def test_plain_text_is_escaped_and_cut() -> None:
    message = render(SnsNotice("m-4", "<!channel> " + "y" * 5_000))

    blocks = message.body()["blocks"]
    assert blocks[0]["text"]["text"] == "Notification"
    assert blocks[1]["text"]["text"].startswith("&lt;!channel&gt; yyy")
    assert "<!channel>" not in texts(message)
    assert_within_limits(message)


def test_without_a_subject_the_topic_names_the_message() -> None:
    message = render(SnsNotice("m-7", "disk full", topic_arn="arn:aws:sns:us-east-1:1:ops"))

    assert message.body()["blocks"][0]["text"]["text"] == "Notification from ops"
    assert message.text == "Notification from ops"


def test_a_huge_json_message_keeps_its_code_fence_closed() -> None:
    message = render(SnsNotice("m-5", json.dumps({"k": "v" * 10_000}), subject="big"))

    body = message.body()["blocks"][1]["text"]["text"]
    assert body.endswith("…```")
    assert_within_limits(message)


def test_an_empty_message_is_still_a_message() -> None:
    message = render(SnsNotice("m-6", ""))

    assert message.body()["blocks"][1]["text"]["text"] == "(empty message)"
    assert_within_limits(message)


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50), _containers, max_leaves=20
)
_guard_keys = st.fixed_dictionaries(
    {"resource": st.text(max_size=300)},
    optional={
        key: _json_values | st.text(min_size=0, max_size=4000)
        for key in ("title", "name", "kind", "owner", "severity", "console_url", "trigger")
    }
    | {
        "findings": st.lists(
            st.dictionaries(st.sampled_from(["control", "severity", "message"]), _json_values)
            | _json_values,
            max_size=30,
        ),
        "actions": st.lists(
            st.dictionaries(st.sampled_from(["action", "detail"]), _json_values), max_size=5
        ),
    },
)


@settings(max_examples=150, deadline=None)
@given(document=_guard_keys, subject=st.text(max_size=200))
def test_any_document_renders_within_limits(document: dict[str, Any], subject: str) -> None:
    assert_within_limits(render(SnsNotice("m", json.dumps(document), subject=subject)))


@settings(max_examples=150, deadline=None)
@given(message=st.text(max_size=5000) | _json_values.map(json.dumps), subject=st.text())
def test_any_message_renders_within_limits(message: str, subject: str) -> None:
    rendered = render(SnsNotice("m", message, subject=subject))

    assert_within_limits(rendered)
    assert "<!" not in texts(rendered)


# --- SNS records --------------------------------------------------------------------------


def record(**sns: Any) -> dict[str, Any]:
    return {"EventSource": "aws:sns", "Sns": {"MessageId": "id-1", "Message": "m", **sns}}


def test_sns_records_are_read() -> None:
    (notice,) = sns_notices({"Records": [record(Subject=None, TopicArn="arn:t")]})

    assert notice == SnsNotice("id-1", "m", "", "arn:t")


@pytest.mark.parametrize(
    ("event", "says"),
    [
        (None, "not an SNS event"),
        ({"Records": []}, "not an SNS event"),
        ({"detail": {}}, "not an SNS event"),
        ({"Records": ["x"]}, "record 0 is not an SNS record"),
        ({"Records": [{"EventSource": "aws:s3", "s3": {}}]}, "record 0 is not an SNS record"),
        ({"Records": [{"EventSource": "aws:sns"}]}, "record 0 has no Sns object"),
        ({"Records": [record(MessageId="")]}, "record 0 has no Sns.MessageId"),
        ({"Records": [record(Message={"not": "a string"})]}, "record 0 has no Sns.Message"),
    ],
)
def test_anything_else_is_refused_with_the_reason(event: Any, says: str) -> None:
    with pytest.raises(SnsEventError, match=says):
        sns_notices(event)
