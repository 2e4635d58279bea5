"""Slack Block Kit for what the notification topic carries: SNS records in, a message out.

Pure: no AWS, no HTTP, no slack_sdk (only the slack_notifier function carries it). The
guards' JSON document gets a header, fields, findings, fixes and a console button; any
other message on the topic (an alarm, plain text) is still posted, readably.

Limits are Slack's (docs.slack.dev, Block Kit reference): a header's plain_text is at
most 150 characters; a section's text 3000, its fields at most 10 of 2000 each; a
button's text 75 and its url 3000; a message at most 50 blocks. Text is escaped before
it is cut, and a cut never splits an escape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from training_guard.controls import CONTROLS_BY_ID

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELDS_LIMIT = 10
FIELD_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
URL_LIMIT = 3000
BLOCKS_LIMIT = 50
# The notification's own line (the top-level `text`): what a phone shows; kept short.
FALLBACK_LIMIT = 300

_ELLIPSIS = "…"
_SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")


class SnsEventError(ValueError):
    """The event is not what SNS delivers to a subscribed Lambda function."""


@dataclass(frozen=True)
class SnsNotice:
    """One SNS record: the message and what identifies it across redeliveries."""

    message_id: str
    message: str
    subject: str = ""
    topic_arn: str = ""


@dataclass(frozen=True)
class SlackMessage:
    text: str  # the fallback: notifications and clients that cannot show blocks
    blocks: tuple[dict[str, Any], ...]

    def body(self) -> dict[str, Any]:
        # Console links would unfurl into previews that crowd the channel.
        return {
            "text": self.text,
            "blocks": list(self.blocks),
            "unfurl_links": False,
            "unfurl_media": False,
        }


# --- SNS records --------------------------------------------------------------------


def sns_notices(event: Any) -> list[SnsNotice]:
    """The records of an SNS event (Lambda's documented shape: Records[].Sns with
    MessageId, Message, Subject, TopicArn). Anything else raises SnsEventError saying
    what is missing, never echoing the event."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list) or not records:
        raise SnsEventError("not an SNS event: expected an object with a non-empty Records list")
    return [_notice(index, record) for index, record in enumerate(records)]


def _notice(index: int, record: Any) -> SnsNotice:
    if not isinstance(record, Mapping) or record.get("EventSource") != "aws:sns":
        raise SnsEventError(f"record {index} is not an SNS record (EventSource is not aws:sns)")
    sns = record.get("Sns")
    if not isinstance(sns, Mapping):
        raise SnsEventError(f"record {index} has no Sns object")
    message_id, message = sns.get("MessageId"), sns.get("Message")
    if not isinstance(message_id, str) or not message_id:
        raise SnsEventError(f"record {index} has no Sns.MessageId")
    if not isinstance(message, str):
        raise SnsEventError(f"record {index} has no Sns.Message string")
    return SnsNotice(message_id, message, _string(sns.get("Subject")), _string(sns.get("TopicArn")))


# --- rendering ----------------------------------------------------------------------


def render(notice: SnsNotice) -> SlackMessage:
    """The guards' document as a Block Kit card; any other message as a generic one."""
    document = _json(notice.message)
    if isinstance(document, Mapping) and _is_guard_document(document):
        return render_guard(document)
    topic = notice.topic_arn.rsplit(":", 1)[-1]
    title = notice.subject.strip() or (f"Notification from {topic}" if topic else "Notification")
    return render_other(title, notice.message, document)


def render_guard(document: Mapping[str, Any]) -> SlackMessage:
    findings = [f for f in _list(document.get("findings")) if isinstance(f, Mapping)]
    actions = [a for a in _list(document.get("actions")) if isinstance(a, Mapping)]
    title = _string(document.get("title")) or _default_title(document)
    severity = _string(document.get("severity")) or _worst(findings)
    blocks: list[dict[str, Any]] = [
        header(title),
        fields_section(_fields(document, findings, actions, severity)),
        *sections("Findings", [_finding_line(f) for f in findings] or ["None."]),
        *sections("What the guard did", [_action_line(a) for a in actions] or ["Nothing."]),
        *sections("How to fix it for good", _fix_lines(findings)),
        *sections("Resource", _resource_lines(document)),
    ]
    closing = console_button(_string(document.get("console_url")))
    return SlackMessage(fallback(title), within_block_limit(blocks, closing))


def render_other(title: str, message: str, document: Any = None) -> SlackMessage:
    """A message that is not the guards' (an alarm's JSON, plain text): `title` (its
    subject) as the header and its text, or its JSON pretty-printed, cut to fit."""
    if isinstance(document, (Mapping, list)):
        body = code_block(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        body = fit(escape(message.strip()), TEXT_LIMIT) or "(empty message)"
    blocks = (header(title), {"type": "section", "text": mrkdwn(body)})
    return SlackMessage(fallback(title), blocks)


# --- Block Kit pieces, each within its limits ---------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters as entities (docs.slack.dev, Formatting: escaping
    text), so user-chosen names cannot mention a channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(escaped: str, limit: int) -> str:
    """`escaped` cut to `limit` characters with an ellipsis, never inside an entity."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - len(_ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + _ELLIPSIS


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(escape(text), limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object; `text` is already escaped and within its limit."""
    return {"type": "mrkdwn", "text": text}


def header(title: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(title, HEADER_LIMIT)}


def fields_section(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """(label, escaped value) pairs as a section's two-column fields."""
    return {
        "type": "section",
        "fields": [
            mrkdwn(fit(f"*{label}*\n{value}", FIELD_LIMIT))
            for label, value in fields[:FIELDS_LIMIT]
        ],
    }


def sections(heading: str, lines: Sequence[str]) -> list[dict[str, Any]]:
    """Escaped lines under a bold heading, packed into as few sections as their limit
    allows; a line too long for one section is cut. No lines, no heading."""
    if not lines:
        return []
    chunks: list[str] = []
    current = title = f"*{heading}*"
    for line in lines:
        if current != title and len(current) + 1 + len(line) > TEXT_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return [
        {"type": "section", "text": mrkdwn(fit(chunk, TEXT_LIMIT))} for chunk in chunks if chunk
    ]


def code_block(text: str) -> str:
    fence = "```"
    return f"{fence}{fit(escape(text), TEXT_LIMIT - 2 * len(fence))}{fence}"


def console_button(url: str) -> dict[str, Any] | None:
    """An actions block with a link button, only for an https URL that fits unshortened
    (a cut URL would open the wrong page)."""
    parts = urlsplit(url) if url else None
    if parts is None or parts.scheme != "https" or not parts.netloc or len(url) > URL_LIMIT:
        return None
    if any(c.isspace() for c in url):
        return None
    button = {
        "type": "button",
        "text": plain("Open in console", BUTTON_TEXT_LIMIT),
        "url": url,
        "action_id": "open-console",
    }
    return {"type": "actions", "elements": [button]}


def within_block_limit(
    blocks: Sequence[dict[str, Any]], closing: dict[str, Any] | None = None
) -> tuple[dict[str, Any], ...]:
    """At most BLOCKS_LIMIT blocks, `closing` (the console button) always last: past the
    limit the middle gives way to a note of what was left out."""
    room = BLOCKS_LIMIT - (1 if closing else 0)
    kept = list(blocks)
    if len(kept) > room:
        left_out = len(kept) - (room - 1)
        note = f"_{left_out} more section(s) not shown: the email notification has them all._"
        kept = [*kept[: room - 1], {"type": "section", "text": mrkdwn(note)}]
    return tuple([*kept, closing] if closing else kept)


def fallback(text: str) -> str:
    return fit(escape(text.strip()), FALLBACK_LIMIT) or "Training Guard notification"


# --- the guards' document ------------------------------------------------------------


def _is_guard_document(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("resource"), str) and (
        isinstance(document.get("findings"), list) or isinstance(document.get("actions"), list)
    )


def _default_title(document: Mapping[str, Any]) -> str:
    what = " ".join(
        part for part in (_string(document.get("kind")), _string(document.get("name"))) if part
    )
    return f"Training Guard: {what or _string(document.get('resource'))}"


def _fields(
    document: Mapping[str, Any],
    findings: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    severity: str,
) -> list[tuple[str, str]]:
    controls = _distinct(_string(f.get("control")) for f in findings)
    done = _distinct(_string(a.get("action")) for a in actions)
    account, region = _string(document.get("account")), _string(document.get("region"))
    kind, name = _string(document.get("kind")), _string(document.get("name"))
    fields = [
        ("Control" if len(controls) == 1 else "Controls", _codes(controls) or "none"),
        ("Severity", escape(severity or "INFO")),
        ("Action" if len(done) == 1 else "Actions", escape(", ".join(done)) or "none"),
        ("Account / region", escape(" / ".join(p for p in (account, region) if p)) or "unknown"),
    ]
    if kind or name:
        fields.append((escape(kind.capitalize() or "Resource"), _code(name) if name else "-"))
    if mode := _string(document.get("mode")):
        fields.append(("Mode", escape(mode)))
    if owner := _string(document.get("owner")):
        # A code span: a tag value such as "@here" must not ping the channel.
        fields.append(("Owner", _code(owner)))
    return fields


def _finding_line(finding: Mapping[str, Any]) -> str:
    severity = _string(finding.get("severity"))
    control = _string(finding.get("control"))
    message = _string(finding.get("message"))
    label = f"*{escape(severity)}* " if severity else ""
    return f"• {label}{_code(control)}: {escape(message)}" if control else f"• {escape(message)}"


def _action_line(action: Mapping[str, Any]) -> str:
    kind, detail = _string(action.get("action")), _string(action.get("detail"))
    return f"• *{escape(kind or 'action')}*: {escape(detail)}" if detail else f"• {escape(kind)}"


def _fix_lines(findings: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each control's own `fix`, once per control; ids this version does not know (a newer
    guard's) have no words here and are left to the email."""
    lines = []
    for control_id in _distinct(_string(f.get("control")) for f in findings):
        control = CONTROLS_BY_ID.get(control_id)
        if control is not None:
            lines.append(f"• {_code(control.id)}: {escape(control.fix)}")
    return lines


def _resource_lines(document: Mapping[str, Any]) -> list[str]:
    lines = [_code(_string(document.get("resource")))]
    if trigger := _string(document.get("trigger")):
        lines.append(f"Trigger: {escape(trigger)}")
    return lines


def _worst(findings: Iterable[Mapping[str, Any]]) -> str:
    present = {_string(f.get("severity")).upper() for f in findings}
    return next((s for s in _SEVERITIES if s in present), "")


# --- tolerant readers -----------------------------------------------------------------


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _distinct(values: Iterable[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


def _code(text: str) -> str:
    # A backtick inside would end the code span early.
    return "`" + escape(text.replace("`", "'")) + "`" if text else ""


def _codes(values: Iterable[str]) -> str:
    return ", ".join(_code(v) for v in values)
