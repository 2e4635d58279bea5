"""One table from remediation kind to effect, shared by both guards.

Each remedy acts on the structured evidence its controls found (the missing rules,
the public ranges), so no guard re-derives what a control already found. Every
effect is idempotent; a group the guard may not change is reported, not changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from training_guard.config import Policy
from training_guard.controls import MissingRules, PublicIngress, Remediation, remediation_of
from training_guard.controls.base import Gap
from training_guard.effects.aws import Clients
from training_guard.effects.budget import OutOfTime
from training_guard.effects.interfaces import shared_refusal
from training_guard.effects.jobs import stop_job
from training_guard.effects.security_groups import (
    add_self_rules,
    mark_guarded,
    revoke_public_ingress,
)
from training_guard.facts.jobs import JobKind
from training_guard.facts.network import Rule, SecurityGroup
from training_guard.model import Action, ActionKind, Finding

# Why a group may not be changed, or None.
Refusal = Callable[[str], str | None]


@dataclass(frozen=True)
class Target:
    """What the remedies act on: the job (for a stop), and which groups they may change
    (`refusal` says why a group may not be changed, or None)."""

    clients: Clients
    refusal: Refusal
    job_kind: JobKind | None = None
    job_name: str | None = None


Remedy = Callable[[Target, Sequence[Finding]], list[Action]]


def stop(target: Target, findings: Sequence[Finding]) -> list[Action]:
    if target.job_kind is None or target.job_name is None:
        return []
    controls = ", ".join(sorted({f.control for f in findings}))
    return [stop_job(target.clients.sagemaker, target.job_kind, target.job_name, controls)]


def add_rules(target: Target, findings: Sequence[Finding]) -> list[Action]:
    gaps_by_group: dict[str, list[Gap]] = {}
    for found in findings:
        if isinstance(found.evidence, MissingRules):
            gaps = gaps_by_group.setdefault(found.evidence.group_id, [])
            gaps.extend(g for g in found.evidence.gaps if g not in gaps)
    return [
        _unless_refused(
            target, group_id, partial(add_self_rules, target.clients.ec2, group_id, gaps)
        )
        for group_id, gaps in gaps_by_group.items()
    ]


def revoke(target: Target, findings: Sequence[Finding]) -> list[Action]:
    # One revoke per group, however many definitions or jobs found the same ranges.
    rules_by_group: dict[str, list[Rule]] = {}
    for found in findings:
        if isinstance(found.evidence, PublicIngress):
            rules = rules_by_group.setdefault(found.evidence.group_id, [])
            rules.extend(r for r in found.evidence.rules if r not in rules)
    return [
        _unless_refused(
            target, group_id, partial(revoke_public_ingress, target.clients.ec2, group_id, rules)
        )
        for group_id, rules in rules_by_group.items()
    ]


def report(_: Target, __: Sequence[Finding]) -> list[Action]:
    return []


# What changes groups, in the order it is carried out: a revoke first, so public ingress
# never counts as admitting what the repair adds.
GROUP_CHANGES = (Remediation.REVOKE_RULES, Remediation.ADD_RULES)

REMEDIES: dict[Remediation, Remedy] = {
    Remediation.STOP_JOB: stop,
    Remediation.ADD_RULES: add_rules,
    Remediation.REVOKE_RULES: revoke,
    Remediation.REPORT: report,
}


class Unfinished(Exception):  # noqa: N818 - what the guards catch: the work left unfinished
    """The time ran out during a remediation: what was done before, and the cause."""

    def __init__(self, actions: list[Action], cause: OutOfTime) -> None:
        super().__init__(str(cause))
        self.actions, self.cause = actions, cause


def carry_out(
    target: Target, findings: Sequence[Finding], kinds: Iterable[Remediation]
) -> list[Action]:
    """Carry out the remediations of `kinds`, each once for all the findings that ask it.
    Out of time, what was done is kept and said (Unfinished), so the retry's news is true."""
    actions: list[Action] = []
    for kind in kinds:
        asking = [f for f in findings if remediation_of(f) is kind]
        if not asking:
            continue
        try:
            actions += REMEDIES[kind](target, asking)
        except OutOfTime as e:
            late = Action(ActionKind.FAILED, f"Could not {kind.value} in time: {e}.")
            raise Unfinished([*actions, late], e) from e
    return actions


def refusals(ec2: Any, policy: Policy, groups: Mapping[str, SecurityGroup]) -> Refusal:
    """Why the guard may not change a group (None: it may), asked once per group: gone,
    exempt or marked guarded=false, or used by other resources than training."""
    memo: dict[str, str | None] = {}

    def why_not(group_id: str) -> str | None:
        if group_id not in memo:
            group = groups.get(group_id)
            if group is None:
                memo[group_id] = f"Nothing to change: {group_id} no longer exists."
            elif not policy.may_guard(group.tags):
                memo[group_id] = policy.left_alone(group_id, group.tags)
            else:
                memo[group_id] = shared_refusal(ec2, group_id)
        return memo[group_id]

    return why_not


def take_under_guard(
    ec2: Any, policy: Policy, groups: Iterable[SecurityGroup], why_not: Refusal
) -> tuple[Refusal, Action | None]:
    """Tag `guarded=true` the groups the guard may change and that lack the tag (IAM lets
    the guards change only groups so tagged); the refusal, extended with the groups whose
    tagging was refused, and that refusal as an action."""
    untagged = [
        g.id
        for g in {g.id: g for g in groups}.values()
        if g.tags.get(policy.guard_tag_key) != "true" and why_not(g.id) is None
    ]
    refused = mark_guarded(ec2, untagged, policy.guard_tag_key)
    if refused is None:
        return why_not, None
    not_tagged = frozenset(untagged)

    def why_not_untagged(group_id: str) -> str | None:
        if group_id in not_tagged:
            return (
                f"{group_id} not changed: the guard may change only groups tagged "
                f"{policy.guard_tag_key}=true."
            )
        return why_not(group_id)

    return why_not_untagged, refused


def _unless_refused(target: Target, group_id: str, change: Callable[[], Action]) -> Action:
    why_not = target.refusal(group_id)
    return Action(ActionKind.SKIPPED, why_not) if why_not else change()
