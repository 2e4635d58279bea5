"""What a control is: one unit with its id, words, facts, permissions and pure check.

A check yields `Verdict`s; the registry turns them into `Finding`s carrying the
control's id and severity, and the remediation that applies (a control may say that,
on this evidence, it can only report).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from training_guard.facts.evidence import Fact
from training_guard.facts.network import Direction, Rule, Traffic
from training_guard.model import Severity


class Remediation(StrEnum):
    STOP_JOB = "stop the job"
    ADD_RULES = "add the missing rules"
    REVOKE_RULES = "revoke those rules"
    REPORT = "report"

    @property
    def permissions(self) -> tuple[str, ...]:
        """The IAM actions carrying it out takes (effects/remedies.py makes the calls)."""
        return _REMEDIATION_PERMISSIONS[self]


# Before changing a group, the guard reads which network interfaces use it
# (effects/interfaces.py): only groups that training alone uses are changed.
_REMEDIATION_PERMISSIONS = {
    Remediation.STOP_JOB: ("sagemaker:StopTrainingJob", "sagemaker:StopHyperParameterTuningJob"),
    Remediation.ADD_RULES: (
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:DescribeNetworkInterfaces",
    ),
    Remediation.REVOKE_RULES: ("ec2:RevokeSecurityGroupIngress", "ec2:DescribeNetworkInterfaces"),
    Remediation.REPORT: (),
}


class Scope(StrEnum):
    JOB = "job"  # judged on a TrainingSpec and its Evidence
    GROUPS = "groups"  # judged on a GroupSet, by both guards


Gap = tuple[Direction, Traffic]


@dataclass(frozen=True)
class MissingRules:
    """Self rules a job's groups lack, to be added to `group_id` (the job's first group)."""

    group_id: str
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class PublicIngress:
    """The parts of `group_id`'s ingress rules that admit the whole internet."""

    group_id: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Verdict:
    """What a check found: words for people, evidence for the remediation, and whether
    the evidence only allows a report (then the control's remediation is not carried out)."""

    message: str
    evidence: MissingRules | PublicIngress | None = None
    report_only: bool = False


Check = Callable[..., Iterable[Verdict]]


@dataclass(frozen=True)
class Control:
    id: str
    severity: Severity
    remediation: Remediation
    scope: Scope
    why: str  # one sentence: what goes wrong without it
    docs: str  # the AWS documentation that says so
    fix: str  # how to fix it for good, not just this once
    check: Check
    needs: frozenset[Fact] = frozenset()

    @property
    def read_permissions(self) -> frozenset[str]:
        return frozenset(p for fact in self.needs for p in fact.permissions)

    @property
    def write_permissions(self) -> frozenset[str]:
        return frozenset(self.remediation.permissions)


def control(
    id: str,
    *,
    severity: Severity,
    remediation: Remediation,
    scope: Scope,
    why: str,
    docs: str,
    fix: str,
    needs: Iterable[Fact] = (),
) -> Callable[[Check], Control]:
    """Declare a control right above its check."""

    def declare(check: Check) -> Control:
        return Control(id, severity, remediation, scope, why, docs, fix, check, frozenset(needs))

    return declare


def describe_gaps(gaps: Iterable[Gap]) -> str:
    return ", ".join(f"{traffic.name} {direction.value}" for direction, traffic in gaps)
