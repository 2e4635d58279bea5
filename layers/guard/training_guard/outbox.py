"""What an invocation is about to do (a `Plan`, written before it acts), what it did (a
`Done`, written as soon as it acted), and how a retry tells them.

A retry of an invocation that died between acting and telling finds its own work done:
the job already Stopping, the rules already in place, the public range already gone.
Judged afresh, that is "nothing to do"; `recount` turns it back into the news it is,
from what the earlier attempt left (effects/ledger.py keeps it). Only a recorded deed is
told as the guard's: a plan without a record says what AWS now shows, as found, since
someone else may have done it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from training_guard.model import Action, ActionKind, Finding, Severity, Summary

# What each intended remediation becomes, told (controls/base.py's Remediation values).
OUTCOMES = {
    "stop the job": ActionKind.STOPPED,
    "add the missing rules": ActionKind.REPAIRED,
    "revoke those rules": ActionKind.REVOKED,
}
_NOW_SHOWN = {
    ActionKind.REPAIRED: "EC2 now shows the missing rules in place",
    ActionKind.REVOKED: "EC2 now shows the public ingress gone",
}


@dataclass(frozen=True)
class Plan:
    findings: tuple[Finding, ...]
    intents: tuple[str, ...]  # remediations about to be carried out (OUTCOMES' keys)
    at: float

    @classmethod
    def of(cls, findings: Iterable[Finding], intents: Iterable[str]) -> Plan:
        return cls(tuple(findings), tuple(sorted(set(intents))), time.time())

    def to_json(self) -> str:
        return json.dumps(
            {
                "findings": [
                    {
                        "control": f.control,
                        "severity": f.severity.name,
                        "message": f.message,
                        "remediation": f.remediation,
                    }
                    for f in self.findings
                ],
                "intents": list(self.intents),
                "at": self.at,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Plan | None:
        """The plan, or None for an entry this version cannot read (never a crash: an
        unreadable plan costs a truthful retelling, not the event)."""
        try:
            raw = json.loads(text)
            findings = tuple(_finding(f) for f in raw["findings"])
            intents = tuple(str(i) for i in raw["intents"] if i in OUTCOMES)
            return cls(findings, intents, float(raw["at"]))
        except (ValueError, KeyError, TypeError):
            return None


def _finding(raw: dict[str, Any]) -> Finding:
    return Finding(
        str(raw["control"]),
        Severity[raw["severity"]],
        str(raw["message"]),
        str(raw.get("remediation", "report")),
    )


@dataclass(frozen=True)
class Done:
    """What an attempt did (a stop, a repair, a revoke), recorded as soon as it was done,
    before it was told."""

    action: Action
    at: float

    def to_json(self) -> str:
        return json.dumps({**self.action.to_dict(), "at": self.at}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Done | None:
        try:
            raw = json.loads(text)
            kind = ActionKind(raw["action"])
            if kind not in TOLD_AS_DONE:
                return None
            return cls(Action(kind, str(raw["detail"])), float(raw["at"]))
        except (ValueError, KeyError, TypeError):
            return None


# The outcomes a retry could not see for itself: AWS shows them as "nothing to do".
TOLD_AS_DONE = frozenset(OUTCOMES.values())


def recount(summary: Summary, untold: Sequence[Plan], done: Sequence[Done] = ()) -> Summary:
    """The summary as it is to be told, given what earlier attempts planned and did and
    never told: their findings, what they recorded as done (as done), and, for a plan
    with no record, what AWS now shows (as found, never as the guard's deed)."""
    if not untold and not done:
        return summary
    findings = list(summary.findings)
    known = {f.control for f in findings}
    for plan in untold:
        for found in plan.findings:
            if found.control not in known:
                findings.append(found)
                known.add(found.control)
    actions = list(summary.actions)
    for earlier in done:
        actions = _done_before(earlier, actions)
    recorded = {d.action.action for d in done}
    for plan in untold:
        for intent in plan.intents:
            if OUTCOMES[intent] not in recorded:
                actions = _found_done(intent, plan.at, summary, actions)
    return Summary(summary.resource, summary.mode, tuple(findings), tuple(actions))


def _when(at: float) -> str:
    return time.strftime("%H:%M:%S UTC", time.gmtime(at))


def _done_before(earlier: Done, actions: list[Action]) -> list[Action]:
    """An earlier attempt's deed, told now; what this attempt found already done because
    of it is not told twice."""
    kind = earlier.action.action
    told = Action(
        kind,
        f"{earlier.action.detail} (done at {_when(earlier.at)} by an earlier attempt of the "
        "guard, whose notification was not confirmed)",
    )
    return [a for a in actions if a.settles is not kind] + [told]


def _found_done(intent: str, at: float, now: Summary, actions: list[Action]) -> list[Action]:
    """An intent an earlier attempt never recorded as done: whether it acted before it was
    interrupted is unknown, so what AWS now shows is said as found, not as done."""
    outcome = OUTCOMES[intent]
    if any(a.action in {outcome, ActionKind.FAILED} for a in actions):
        return actions  # this attempt did it, or says why it could not
    settled = [a for a in actions if a.settles is outcome]
    earlier = (
        f"An earlier attempt of the guard set out to {intent} at {_when(at)} and was "
        "interrupted before it recorded doing so"
    )
    if settled:
        shown = f"AWS now says: {settled[0].detail}"
    elif outcome is not ActionKind.STOPPED and not any(
        OUTCOMES.get(f.remediation) is outcome for f in now.findings
    ):
        shown = _NOW_SHOWN[outcome]
    else:
        return actions  # the work is still left to do, and this attempt says why
    found = Action(ActionKind.SKIPPED, f"{earlier}; {shown}.")
    return [a for a in actions if a not in settled] + [found]
