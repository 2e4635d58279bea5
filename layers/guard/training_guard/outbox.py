"""What an invocation is about to do, written before it does it, and how a retry tells it.

A retry of an invocation that died between acting and telling finds its own work done:
the job already Stopping, the rules already in place, the public range already gone.
Judged afresh, that is "nothing to do"; `recount` turns it back into the news it is, from
the plan the earlier attempt left (effects/ledger.py keeps the plans).
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


def recount(summary: Summary, untold: Sequence[Plan]) -> Summary:
    """The summary as it is to be told, given the plans earlier attempts never told:
    their findings, and each intended action AWS now shows done as done."""
    if not untold:
        return summary
    findings = list(summary.findings)
    known = {f.control for f in findings}
    actions = list(summary.actions)
    for plan in untold:
        for found in plan.findings:
            if found.control not in known:
                findings.append(found)
                known.add(found.control)
        for intent in plan.intents:
            actions = _told(intent, plan.at, summary, actions)
    return Summary(summary.resource, summary.mode, tuple(findings), tuple(actions))


def _told(intent: str, at: float, now: Summary, actions: list[Action]) -> list[Action]:
    outcome = OUTCOMES[intent]
    if any(a.action in {outcome, ActionKind.FAILED} for a in actions):
        return actions  # this attempt did it, or says why it could not
    settled = [a for a in actions if a.settles is outcome]
    when = time.strftime("%H:%M:%S UTC", time.gmtime(at))
    earlier = (
        f"an earlier attempt of the guard set out to {intent} at {when} and was "
        "interrupted before it could tell"
    )
    if outcome is ActionKind.STOPPED:
        if not settled:
            return actions  # SageMaker does not show the job stopping: no stop to tell
        told = Action(outcome, f"Stopped: {earlier}; SageMaker now says: {settled[0].detail}")
    else:
        if any(OUTCOMES.get(f.remediation) is outcome for f in now.findings):
            return actions  # the work is still left to do: nothing was done
        told = Action(outcome, f"{earlier[0].upper()}{earlier[1:]}; {_NOW_SHOWN[outcome]}.")
    return [a for a in actions if a not in settled] + [told]
