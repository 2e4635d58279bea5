"""The one notification per evaluated resource and piece of news: one SNS message, three readers.

`sns_message` gives a `MessageStructure=json` body with exactly these keys:

* `default`: an AWS Chatbot (Amazon Q Developer in chat applications) custom notification,
  which Slack and Microsoft Teams channels subscribed through Chatbot render. Chatbot itself
  subscribes over HTTPS, so there is no `http`/`https` key: it must fall back to `default`.
* `email`: plain text a person can act on.
* `sqs`, `lambda`, `email-json`: the JSON document for programs, with these keys
  (slack_notifier renders Block Kit from them; they are public):

  | key | value |
  | --- | --- |
  | `resource` | ARN of the job or security group (null only for events no guard could use) |
  | `mode` | `enforce` or `notify` |
  | `findings` | `[{"control", "severity", "message"}]` |
  | `actions` | `[{"action", "detail"}]` |
  | `kind` | `training job`, `hyperparameter tuning job` or `security group` |
  | `name` | the job's name or the group's id |
  | `account`, `region` | where the resource lives |
  | `trigger` | what happened and who did it (`""` when unknown) |
  | `owner` | the owner tag's value, or null |
  | `severity` | as the `severity` attribute |
  | `console_url` | the console page, or null where the partition has no public console |
  | `title` | one line: severity, resource, outcome |
  | `truncated` | true when texts or lists were shortened to fit SNS's 256 KB |

Message attributes, for subscription filter policies: `control` and `action` (String.Array;
`["none"]` without findings or actions), `severity` (String: CRITICAL, HIGH, MEDIUM or LOW
for the worst finding, at least HIGH when a guard action failed, INFO otherwise), `account`,
`region`, `kind` (`training-job`, `hyperparameter-tuning-job`, `security-group`) and
`owner`, which is left out when there is no owner value (SNS refuses empty values).

Everything is built from the summary, the resource's identity (`Subject`) and the control
table, never from request content or tags other than the owner tag's value, so no
hyperparameter, environment value or rule description can reach a message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Set
from dataclasses import dataclass, replace
from typing import Any

from training_guard.consoles import console_url
from training_guard.controls import CONTROLS_BY_ID
from training_guard.controls.base import MissingRules, PublicIngress
from training_guard.facts.identifiers import arn, partition_of
from training_guard.message_text import (
    clip,
    clip_markdown,
    code_span,
    markdown,
    one_line,
    plain_text,
)
from training_guard.model import Action, ActionKind, Finding, Severity, Summary

SUBJECT_LIMIT = 99  # SNS: subjects are "less than 100 characters long", one line
# SNS: message, subject and attributes (names, types, values) together, in UTF-8 bytes.
MESSAGE_LIMIT = 262_144

# The custom notification schema and its limits, in characters, counted here in UTF-16 code
# units so that no count (code points or code units) exceeds them:
# https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
CARD_TITLE_LIMIT = 250
CARD_DESCRIPTION_LIMIT = 8_000
CARD_NEXT_STEP_LIMIT = 350
CARD_KEYWORD_LIMIT = 75
# Counts the page sets no limit for; kept small so a card stays readable.
CARD_KEYWORDS = 10
CARD_NEXT_STEPS = 15
CARD_RELATED_RESOURCES = 20
CARD_SUMMARY_LIMIT = 250
# A custom action reads additionalContext values as variables: at most 1,024 characters
# of printable ASCII without spaces (chatbot API reference, CustomActionAttachment).
CONTEXT_VALUE_LIMIT = 1_024
OWNER_LIMIT = 256  # the longest tag value AWS allows


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
    # What a person may do from chat that the guard would have done itself: "stop-job"
    # in notify mode, for a job the guard would stop (a Chatbot custom action's criterion).
    offer: str = ""


@dataclass(frozen=True)
class Notification:
    subject: str  # the email subject
    text: str  # the email body
    document: dict[str, Any]  # for programs
    attributes: dict[str, dict[str, str]]
    card: dict[str, Any]  # the Chatbot custom notification


def build_notification(
    summary: Summary, about: Subject, exempt_tag_key: str, *, key: str | None = None
) -> Notification:
    """The notification of `summary`. `key` names the piece of news the caller tells once
    (the resource by default); with the news it makes the Chatbot `id`, so a retried
    publish of the same news carries the same id.

    Texts are shortened, then lists cut, only as far as SNS's message size requires."""
    view = _View.of(summary, about)
    message_id = _message_id(key or view.resource, news(summary))
    clean = _cleaned(summary)
    notification = _notification(clean, view, exempt_tag_key, message_id, clean, cut=False)
    for text_cap, list_cap in _SHORTENINGS:
        if _size(notification) <= MESSAGE_LIMIT:
            break
        shown = _shortened(clean, text_cap, list_cap)
        told = replace(view, trigger=clip(view.trigger, text_cap))
        cut = shown != clean or told != view
        notification = _notification(shown, told, exempt_tag_key, message_id, clean, cut=cut)
    return notification


def news(summary: Summary) -> set[str]:
    """What makes a notification worth sending again for the same resource: a control not
    reported before, or an outcome not reported before (the stop that notify mode only
    announced, a repair that failed before)."""
    outcomes = {
        f"action:{a.action.value}" for a in summary.actions if a.action is not ActionKind.SKIPPED
    }
    return {f.control for f in summary.findings} | outcomes


def sns_message(notification: Notification) -> str:
    """The MessageStructure=json body: the Chatbot card by default, text for email, the
    document for programs."""
    document = _json(notification.document, sort_keys=True)
    return _json(
        {
            "default": _json(notification.card),
            "email": notification.text,
            "email-json": document,
            "sqs": document,
            "lambda": document,
        }
    )


def severity_of(summary: Summary) -> str:
    """The worst finding's severity; a failed guard action is at least HIGH, since the
    guard is impaired; INFO when there is neither."""
    worst = summary.worst_severity
    if any(a.action is ActionKind.FAILED for a in summary.actions):
        worst = max(worst or Severity.HIGH, Severity.HIGH)
    return worst.name if worst else "INFO"


# --- what every format says -----------------------------------------------------------

_KIND_TOKENS = {
    "training job": "training-job",
    "hyperparameter tuning job": "hyperparameter-tuning-job",
    "security group": "security-group",
}
_OUTCOME_WORDS = {
    ActionKind.STOPPED: "stopped",
    ActionKind.REPAIRED: "repaired",
    ActionKind.REVOKED: "public ingress revoked",
    ActionKind.FAILED: "guard action failed",
}
# Unicode emoji, not Slack's :shortcodes:, so that Slack and Teams both render them.
_EMOJI = {"CRITICAL": "🚨", "HIGH": "🚨", "MEDIUM": "⚠️", "LOW": "ℹ️", "INFO": "ℹ️"}  # noqa: RUF001


@dataclass(frozen=True)
class _View:
    """What every format says of the resource, derived once from the whole summary."""

    resource: str
    kind: str
    kind_token: str
    name: str
    account: str
    region: str
    trigger: str
    owner: str
    offer: str
    mode: str
    severity: str
    controls: tuple[str, ...]  # in the order found, once each
    actions: tuple[str, ...]  # sorted, once each; ("none",) without actions
    outcome: str
    console: str | None
    groups: tuple[str, ...]  # security groups the findings' evidence names
    failed: bool

    @classmethod
    def of(cls, summary: Summary, about: Subject) -> _View:
        name, account, region = (
            one_line(about.name),
            one_line(about.account),
            one_line(about.region),
        )
        kind = one_line(about.kind)
        return cls(
            resource=one_line(summary.resource or "") or f"{account}/{region}/{kind}/{name}",
            kind=kind,
            kind_token=_kind_token(kind),
            name=name,
            account=account,
            region=region,
            trigger=one_line(about.trigger),
            owner=one_line(about.owner)[:OWNER_LIMIT].strip(),
            offer=one_line(about.offer),
            mode=one_line(summary.mode),
            severity=severity_of(summary),
            controls=tuple(dict.fromkeys(f.control for f in summary.findings)),
            actions=tuple(sorted({a.action.value for a in summary.actions})) or ("none",),
            outcome=_outcome(summary),
            console=console_url(kind, name, region),
            groups=tuple(dict.fromkeys(_evidence_groups(summary.findings))),
            failed=any(a.action is ActionKind.FAILED for a in summary.actions),
        )

    @property
    def title(self) -> str:
        return f"{self.severity} · {self.kind} {self.name} {self.outcome}"


def _kind_token(kind: str) -> str:
    return _KIND_TOKENS.get(kind) or re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "other"


def _outcome(summary: Summary) -> str:
    verbs = [_OUTCOME_WORDS[a.action] for a in summary.actions if a.action in _OUTCOME_WORDS]
    return ", ".join(dict.fromkeys(verbs)) or (
        "reported" if summary.mode == "notify" else "not changed"
    )


def _evidence_groups(findings: Iterable[Finding]) -> Iterable[str]:
    for found in findings:
        if isinstance(found.evidence, MissingRules | PublicIngress):
            yield found.evidence.group_id


def _message_id(key: str, told: Set[str]) -> str:
    digest = hashlib.sha256("\n".join([key, *sorted(told)]).encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


def _notification(
    shown: Summary,
    view: _View,
    exempt_tag_key: str,
    message_id: str,
    whole: Summary,
    *,
    cut: bool,
) -> Notification:
    """`shown` is what fits; `whole` is the summary before shortening; `cut` tells whether
    anything was shortened."""
    return Notification(
        subject=_subject_line(view),
        text=_email(shown, view, exempt_tag_key, whole),
        document=_document(shown, view, truncated=cut),
        attributes=_attributes(view),
        card=_card(shown, view, exempt_tag_key, message_id, whole),
    )


# --- email --------------------------------------------------------------------------------


def _subject_line(view: _View) -> str:
    line = f"[Training Guard] {view.severity}: {view.kind} {view.name} {view.outcome}"
    # ASCII only: mail clients show SNS's subject as it is, and it may not break a line.
    ascii_line = line.encode("ascii", "replace").decode("ascii")
    return clip(ascii_line, SUBJECT_LIMIT, "...")


def _email(shown: Summary, view: _View, exempt_tag_key: str, whole: Summary) -> str:
    sections = [
        _email_head(view),
        _section("What was found", _email_findings(shown, whole)),
        _section("Why it matters", _email_why(view)),
        _section(f"What the guard did (mode: {view.mode})", _email_actions(shown, whole)),
        _section("How to fix it for good", _email_fixes(view)),
        _section("How to exempt it", [_exempt_words(view, exempt_tag_key)]),
        _section("Console", [view.console or _no_console(view)]),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _email_head(view: _View) -> str:
    lines = [
        f"Training Guard: {view.kind} {view.name} {view.outcome} "
        f"(severity {view.severity}), account {view.account}, {view.region}.",
        f"Resource: {view.resource}",
    ]
    lines += [f"Owner: {view.owner}"] if view.owner else []
    lines += [f"Trigger: {view.trigger}"] if view.trigger else []
    return "\n".join(lines)


def _section(heading: str, lines: list[str]) -> str:
    return "\n".join([heading, *(f"  {line}" for line in lines)]) if lines else ""


def _email_findings(shown: Summary, whole: Summary) -> list[str]:
    lines = [f"[{f.severity.name}] {f.control}: {f.message}" for f in shown.findings]
    lines += _more(len(whole.findings) - len(shown.findings), "finding")
    return lines or ["No finding: the guard itself could not finish its work (below)."]


def _email_why(view: _View) -> list[str]:
    lines: list[str] = []
    for control in filter(None, map(CONTROLS_BY_ID.get, view.controls)):
        lines += [f"{control.id}: {control.why}", f"  {control.docs}"]
    return lines


def _email_actions(shown: Summary, whole: Summary) -> list[str]:
    lines = [f"{a.action.value}: {a.detail}" for a in shown.actions]
    lines += _more(len(whole.actions) - len(shown.actions), "action")
    return lines or ["none"]


def _email_fixes(view: _View) -> list[str]:
    fixes = [f"{c.id}: {c.fix}" for c in filter(None, map(CONTROLS_BY_ID.get, view.controls))]
    return fixes + ([_impaired_words()] if view.failed else [])


def _exempt_words(view: _View, exempt_tag_key: str) -> str:
    return (
        f"If this {view.kind} is deliberate, tag it {one_line(exempt_tag_key)}=true: "
        "the guard then reports it and never touches it."
    )


def _impaired_words() -> str:
    return (
        "The guard could not finish: its log says why (a refused call names the missing "
        "permission); it retries what may pass later."
    )


def _no_console(view: _View) -> str:
    return f"No public console link for partition {partition_of(view.region)}."


def _more(count: int, what: str) -> list[str]:
    return [f"... and {count} more {what}(s), cut to fit the message size."] if count else []


# --- programs -------------------------------------------------------------------------


def _document(shown: Summary, view: _View, *, truncated: bool) -> dict[str, Any]:
    return {
        **shown.to_dict(),
        "kind": view.kind,
        "name": view.name,
        "account": view.account,
        "region": view.region,
        "trigger": view.trigger,
        "owner": view.owner or None,
        "severity": view.severity,
        "console_url": view.console,
        "title": view.title,
        "truncated": truncated,
    }


def _attributes(view: _View) -> dict[str, dict[str, str]]:
    attributes = {
        # ["none"] rather than an empty array, as `action` does: a failure without findings.
        "control": {
            "DataType": "String.Array",
            "StringValue": _json(sorted(view.controls) or ["none"]),
        },
        "action": {"DataType": "String.Array", "StringValue": _json(list(view.actions))},
        "severity": {"DataType": "String", "StringValue": view.severity},
    }
    optional = {
        "account": view.account,
        "region": view.region,
        "kind": view.kind_token,
        "owner": view.owner,
    }
    for name, value in optional.items():
        if value:  # SNS refuses an empty value: an unknown one is left out
            attributes[name] = {"DataType": "String", "StringValue": value}
    return attributes


# --- chat (Chatbot custom notification) ---------------------------------------------------


def _card(
    shown: Summary, view: _View, exempt_tag_key: str, message_id: str, whole: Summary
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "source": "custom",
        "id": message_id,
        "content": {
            "textType": "client-markdown",
            "title": clip_markdown(
                f"{_EMOJI[view.severity]} {markdown(view.title)}", CARD_TITLE_LIMIT
            ),
            "description": clip_markdown(_description(shown, view, whole), CARD_DESCRIPTION_LIMIT),
            "nextSteps": _next_steps(view, exempt_tag_key),
            "keywords": _keywords(view),
        },
        "metadata": {
            "threadId": view.resource,  # one thread per job or group
            "summary": clip_markdown(
                f"Training Guard · {markdown(view.kind)} {markdown(view.name)}", CARD_SUMMARY_LIMIT
            ),
            "eventType": f"training-guard-{view.kind_token}",
            "relatedResources": _related(view),
            "additionalContext": _context(view),
        },
    }


def _description(shown: Summary, view: _View, whole: Summary) -> str:
    lines = [
        f"{markdown(view.kind.capitalize())} {code_span(view.name)} in account "
        f"{markdown(view.account)}, {markdown(view.region)} (mode {markdown(view.mode)})",
        "",
        "Findings:",
        *(
            f"• {f.severity.name} {code_span(f.control)} {markdown(f.message)}"
            for f in shown.findings
        ),
        *_more(len(whole.findings) - len(shown.findings), "finding"),
        *([] if whole.findings else ["• none: the guard itself could not finish"]),
        "",
        "What the guard did:",
        *(f"• {a.action.value}: {markdown(a.detail)}" for a in shown.actions),
        *_more(len(whole.actions) - len(shown.actions), "action"),
        *([] if whole.actions else ["• nothing"]),
    ]
    lines += ["", f"Trigger: {markdown(view.trigger)}"] if view.trigger else []
    # A code span: a tag value such as "@here" must not ping the channel.
    lines += [f"Owner: {code_span(view.owner)}"] if view.owner else []
    return "\n".join(lines)


def _next_steps(view: _View, exempt_tag_key: str) -> list[str]:
    fixes = [
        f"{code_span(c.id)}: {markdown(c.fix)}"
        for c in filter(None, map(CONTROLS_BY_ID.get, view.controls))
    ]
    steps = [
        *fixes,
        *([markdown(_impaired_words())] if view.failed else []),
        f"If this {markdown(view.kind)} is deliberate, tag it "
        f"{code_span(exempt_tag_key + '=true')}: the guard then reports it and never touches it.",
        *([f"Open it in the console: {view.console}"] if view.console else []),
    ]
    return [clip_markdown(step, CARD_NEXT_STEP_LIMIT) for step in steps[-CARD_NEXT_STEPS:]]


def _keywords(view: _View) -> list[str]:
    outcomes = [a for a in view.actions if a not in {"none", ActionKind.SKIPPED.value}]
    words = [view.severity, *outcomes, *(["notify-mode"] if view.mode == "notify" else [])]
    words += view.controls
    unique = dict.fromkeys(clip(markdown(w), CARD_KEYWORD_LIMIT) for w in words if w)
    return list(unique)[:CARD_KEYWORDS]


def _related(view: _View) -> list[str]:
    groups = (arn("ec2", view.region, view.account, f"security-group/{g}") for g in view.groups)
    return list(dict.fromkeys([view.resource, *groups]))[:CARD_RELATED_RESOURCES]


def _context(view: _View) -> dict[str, str]:
    """Read by custom actions (a "Stop job" button takes `kind` and `name`): plain values,
    the kind as a token because a variable's value may hold no space."""
    context = {
        "control": ",".join(view.controls) or "none",
        "action": ",".join(view.actions),
        "severity": view.severity,
        "account": view.account,
        "region": view.region,
        "kind": view.kind_token,
        "resource": view.resource,
        "name": view.name,
        "owner": view.owner,
        # A "Stop job" button shows only where this says the guard would have stopped it.
        "offer": view.offer,
    }
    return {k: clip(v, CONTEXT_VALUE_LIMIT) for k, v in context.items() if v}


# --- text -----------------------------------------------------------------------------


def _cleaned(summary: Summary) -> Summary:
    """The summary with texts every reader can take: no control characters but line
    breaks, no lone surrogates (JSON and UTF-8 refuse them)."""
    return replace(
        summary,
        resource=summary.resource and one_line(summary.resource),
        findings=tuple(replace(f, message=plain_text(f.message)) for f in summary.findings),
        actions=tuple(replace(a, detail=plain_text(a.detail)) for a in summary.actions),
    )


# Each step shortens texts to `text_cap` characters, then keeps at most `list_cap` findings
# and actions: enough that the last step always fits.
_SHORTENINGS: tuple[tuple[int, int | None], ...] = (
    (4_000, None),
    (1_000, None),
    (200, None),
    (200, 200),
    (80, 10),
)


def _shortened(summary: Summary, text_cap: int, list_cap: int | None) -> Summary:
    findings: tuple[Finding, ...] = tuple(
        replace(f, message=clip(f.message, text_cap)) for f in summary.findings[:list_cap]
    )
    actions: tuple[Action, ...] = tuple(
        replace(a, detail=clip(a.detail, text_cap)) for a in summary.actions[:list_cap]
    )
    return replace(summary, findings=findings, actions=actions)


def _size(notification: Notification) -> int:
    attributes = sum(
        len(f"{name}{value['DataType']}{value['StringValue']}".encode())
        for name, value in notification.attributes.items()
    )
    return len(sns_message(notification).encode()) + len(notification.subject.encode()) + attributes


def _json(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)
