"""The values every layer shares: findings, actions and the handler summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Severity(Enum):
    """Ordered like Security Hub's labels, so the worst finding of a job is `max(...)`."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __lt__(self, other: Severity) -> bool:
        return self.value < other.value


class ActionKind(StrEnum):
    STOPPED = "stopped"
    REPAIRED = "repaired"
    REVOKED = "revoked"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Finding:
    """What one control found. `remediation` is what the guard carries out for it (the
    control's own, or `report` where the evidence allows no more); `evidence` is the
    structured fact the remediation acts on (the missing rules, the public ranges)."""

    control: str
    severity: Severity
    message: str
    remediation: str = "report"
    evidence: Any = None

    def to_dict(self) -> dict[str, str]:
        return {"control": self.control, "severity": self.severity.name, "message": self.message}


@dataclass(frozen=True)
class Action:
    action: ActionKind
    detail: str
    # A skip because AWS shows the outcome already reached (the job Stopping, the range
    # gone): what a retry tells when its earlier attempt did the work (outbox.py).
    settles: ActionKind | None = None

    def to_dict(self) -> dict[str, str]:
        return {"action": self.action.value, "detail": self.detail}


@dataclass(frozen=True)
class Summary:
    """What a handler returns: DESIGN.md's summary shape."""

    resource: str | None
    mode: str
    findings: tuple[Finding, ...] = ()
    actions: tuple[Action, ...] = field(default=())

    @property
    def worst_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "mode": self.mode,
            "findings": [f.to_dict() for f in self.findings],
            "actions": [a.to_dict() for a in self.actions],
        }
