"""The one notification per evaluated resource: plain text for people, JSON for programs.

Built only from the summary and the resource's identity, never from request content,
so no hyperparameter or environment value can reach a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from training_guard.controls import CONTROLS_BY_ID
from training_guard.model import ActionKind, Summary

SUBJECT_LIMIT = 100  # SNS rejects longer subjects


@dataclass(frozen=True)
class Subject:
    """What the notification is about, in words a person recognises."""

    kind: str  # "training job", "hyperparameter tuning job", "security group"
    name: str
    account: str
    region: str
    # What happened and who did it, e.g. "AuthorizeSecurityGroupIngress by <role ARN>:
    # inbound tcp 22 with 0.0.0.0/0". Built from identifiers and rules only.
    trigger: str = ""
    owner: str = ""  # the owner tag's value, for routing


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    document: dict[str, Any]
    attributes: dict[str, dict[str, str]]


def build_notification(summary: Summary, about: Subject, exempt_tag_key: str) -> Notification:
    return Notification(
        subject=_subject_line(summary, about),
        text=_text(summary, about, exempt_tag_key),
        document={
            **summary.to_dict(),
            "kind": about.kind,
            "name": about.name,
            "account": about.account,
            "region": about.region,
            "trigger": about.trigger,
        },
        attributes=_attributes(summary),
    )


def news(summary: Summary) -> set[str]:
    """What makes a notification worth sending again for the same resource: a control not
    reported before, or an outcome not reported before (the stop that notify mode only
    announced, a repair that failed before)."""
    outcomes = {
        f"action:{a.action.value}" for a in summary.actions if a.action is not ActionKind.SKIPPED
    }
    return {f.control for f in summary.findings} | outcomes


def sns_message(notification: Notification) -> str:
    """A MessageStructure=json body: text for email and SMS, JSON for programs."""
    document = json.dumps(notification.document, sort_keys=True)
    return json.dumps(
        {
            "default": notification.text,
            "email": notification.text,
            "email-json": document,
            "sqs": document,
            "lambda": document,
            "http": document,
            "https": document,
        }
    )


_OUTCOME_WORDS = {
    ActionKind.STOPPED: "stopped",
    ActionKind.REPAIRED: "repaired",
    ActionKind.REVOKED: "public ingress revoked",
    ActionKind.FAILED: "guard action failed",
}


def _subject_line(summary: Summary, about: Subject) -> str:
    severity = summary.worst_severity.name if summary.worst_severity else "INFO"
    verbs = [_OUTCOME_WORDS[a.action] for a in summary.actions if a.action in _OUTCOME_WORDS]
    outcome = ", ".join(dict.fromkeys(verbs)) or (
        "reported" if summary.mode == "notify" else "not changed"
    )
    line = f"[Training Guard] {severity}: {about.kind} {about.name} {outcome}"
    if len(line) > SUBJECT_LIMIT:
        line = line[: SUBJECT_LIMIT - 3] + "..."
    return line


def _text(summary: Summary, about: Subject, exempt_tag_key: str) -> str:
    lines = [
        f"Training Guard found {len(summary.findings)} problem(s) with {about.kind} "
        f"{about.name} in account {about.account}, {about.region} (mode: {summary.mode}).",
        f"Resource: {summary.resource}",
        *([f"Trigger: {about.trigger}"] if about.trigger else []),
        "",
        "Findings:",
        *(f"  [{f.severity.name}] {f.control}: {f.message}" for f in summary.findings),
        "",
        "Why it matters, and the fix for good:",
        *_control_words(summary),
        "",
        "Actions:",
        *(f"  {a.action.value}: {a.detail}" for a in summary.actions),
    ]
    if not summary.actions:
        lines.append("  none")
    lines += [
        "",
        f"To exempt a resource deliberately, tag it {exempt_tag_key}=true: it is then "
        "reported, never touched.",
    ]
    return "\n".join(lines)


def _attributes(summary: Summary) -> dict[str, dict[str, str]]:
    controls = sorted({f.control for f in summary.findings})
    actions = sorted({a.action.value for a in summary.actions}) or ["none"]
    severity = summary.worst_severity.name if summary.worst_severity else "INFO"
    return {
        "control": {"DataType": "String.Array", "StringValue": json.dumps(controls)},
        "action": {"DataType": "String.Array", "StringValue": json.dumps(actions)},
        "severity": {"DataType": "String", "StringValue": severity},
    }


def _control_words(summary: Summary) -> list[str]:
    """Each control's own words, once per control (controls/*.py declare them)."""
    lines: list[str] = []
    for control_id in dict.fromkeys(f.control for f in summary.findings):
        control = CONTROLS_BY_ID[control_id]
        lines += [f"  {control.id}: {control.why} ({control.docs})", f"    Fix: {control.fix}"]
    return lines
