"""The security-group guard: after any change to a group the guard keeps, put it back in order.

The event only says which group changed. The guard's own record of running jobs (the
state table, written only by the guard) says which jobs use the group and what their
instances need; tags say nothing the guard acts on. The groups of each such job are
judged together, by their rules as EC2 returns them now. A group tagged by hand that
the record does not know is reported, never changed. The guard's own repairs come
back as events and must end in a no-op; they are recognised by the caller's role,
and still judged.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from training_guard.config import GuardMode, Policy
from training_guard.controls import evaluate_groups, remediation_of
from training_guard.effects.aws import Clients, error_code
from training_guard.effects.budget import TimeBudget
from training_guard.effects.loaders import describe_security_groups, prefix_list_entries
from training_guard.effects.notify import Notice, Notifier, held
from training_guard.effects.records import GroupRecord, JobUse
from training_guard.effects.remedies import (
    GROUP_CHANGES,
    Target,
    carry_out,
    refusals,
    take_under_guard,
)
from training_guard.events import (
    SG_GUARD_EVENTS,
    ApiCall,
    InvalidEventError,
    api_call,
    elsewhere,
    parse_event,
    rejected,
)
from training_guard.facts.groups import GroupSet
from training_guard.facts.identifiers import arn, same_role
from training_guard.facts.network import SecurityGroup, security_group_from_api
from training_guard.facts.sg_events import (
    SECURITY_GROUP_CALLS,
    SecurityGroupChange,
    security_group_change,
)
from training_guard.group_sets import hand_tagged_set, recorded_sets
from training_guard.model import Action, ActionKind, Finding, Summary
from training_guard.notification import Subject
from training_guard.observability import logger, record_findings


class SgGuard:
    def __init__(
        self,
        clients: Clients,
        policy: Policy,
        notifier: Notifier,
        record: GroupRecord,
        own_role: str | Callable[[], str] | None = None,
    ) -> None:
        self._clients = clients
        self._policy = policy
        self._notifier = notifier
        self._record = record
        # The role's ARN, or how to learn it (an STS call) when a change first needs it,
        # inside the invocation's time budget rather than at cold start.
        self._own_role = own_role

    @property
    def budget(self) -> TimeBudget:
        return self._clients.budget

    def handle(
        self, raw_event: Any, own_account: str | None = None, delivery: str | None = None
    ) -> Summary:
        try:
            call = api_call(parse_event(raw_event, SG_GUARD_EVENTS))
            if own_account and call.account != own_account:
                return self._skip(None, elsewhere(call.account, own_account))
            change = self._change(call)
        except InvalidEventError as e:
            return rejected(raw_event, str(e), self._policy.mode.value)
        if isinstance(change, str):
            return self._skip(None, change)
        return self.guard(change, call, delivery or uuid.uuid4().hex)

    def guard(
        self, change: SecurityGroupChange, call: ApiCall, delivery: str | None = None
    ) -> Summary:
        delivery = delivery or uuid.uuid4().hex
        group_id = change.group_id or self._group_named(change.group_name or "")
        if group_id is None:
            return self._skip(
                None, f"{change.group_ref} no longer exists (or its name is ambiguous)."
            )
        resource = arn("ec2", call.region, call.account, f"security-group/{group_id}")
        uses = self._record.uses(group_id)
        if uses:
            sets, groups = self._kept(uses)
            if group_id not in groups:
                return self._skip(resource, f"{group_id} no longer exists.")
        else:
            groups = describe_security_groups(self._clients.ec2, [group_id])
            group = groups.get(group_id)
            if group is None:
                return self._skip(resource, f"{group_id} no longer exists.")
            if group.tags.get(self._policy.guard_tag_key) != "true":
                return self._skip(
                    resource,
                    f"{group_id} is not guarded: no running training job the guard let run "
                    "uses it. Left alone.",
                )
            sets = [self._hand_tagged(group)]
        findings = _unique(f for s in sets for f in evaluate_groups(s, self._policy))
        # Learnt before acting: once something is changed, nothing may fail before it is told.
        own = self._is_own(call)
        # Each change is news of its own: keyed by the change, not only by the group.
        notice = Notice(
            self._notifier,
            f"{resource}#{call.event_id or call.event.id}",
            delivery,
            # Each change is its own key: what a retry of it finds missing may have been
            # repaired, or fixed by hand, since its first attempt.
            may_be_untold=True,
        )
        intents = self._intents(findings, known=bool(uses))
        if findings and not notice.before_acting(findings, intents):
            return Summary(resource, self._policy.mode.value, findings, (held(group_id),))
        actions, late = notice.act(lambda: self._act(findings, groups, known=bool(uses)))
        about = Subject(
            "security group",
            group_id,
            call.account,
            call.region,
            _trigger(call, change),
            owner=self._policy.owner(groups[group_id].tags if group_id in groups else None),
        )
        summary = notice.tell(
            Summary(resource, self._policy.mode.value, findings, actions),
            about,
            self._policy.exempt_tag_key,
        )
        record_findings(summary.findings)
        failed = any(a.action is ActionKind.FAILED for a in summary.actions)
        (logger.warning if failed else logger.info)(
            "security group evaluated",
            extra={
                "resource": resource,
                "change": change.event_name,
                "own_change": own,
                "jobs": len(uses),
                "controls": sorted({f.control for f in summary.findings}),
                "actions": [a.action.value for a in summary.actions],
            },
        )
        if late is not None:
            raise late
        return summary

    def _change(self, call: ApiCall) -> SecurityGroupChange | str:
        if call.event_source != "ec2.amazonaws.com" or call.event_name not in SECURITY_GROUP_CALLS:
            raise InvalidEventError(
                "event.detail.eventSource/eventName: not a security-group change "
                f"(ec2.amazonaws.com {', '.join(SECURITY_GROUP_CALLS)})"
            )
        if call.error_code:
            return f"{call.event_name} failed with {call.error_code}: nothing changed."
        return security_group_change(call.event_name, call.request, call.response)

    def _group_named(self, name: str) -> str | None:
        # A request naming a group only by name (EC2-Classic style) means the default
        # VPC's group of that name, which is what GroupNames= resolves to.
        try:
            (raw,) = self._clients.ec2.describe_security_groups(GroupNames=[name])["SecurityGroups"]
        except ClientError as e:
            if error_code(e) in {"InvalidGroup.NotFound", "VPCIdNotSpecified"}:
                return None
            raise
        except ValueError:
            return None  # more than one: ambiguous
        return security_group_from_api(raw).id

    def _kept(self, uses: Sequence[JobUse]) -> tuple[list[GroupSet], dict[str, SecurityGroup]]:
        """The groups of every running job that uses the changed group, read in one call,
        as one set per distinct job configuration."""
        group_ids = list(dict.fromkeys(g for use in uses for g in use.groups))
        groups = describe_security_groups(self._clients.ec2, group_ids)
        prefix_lists = prefix_list_entries(self._clients.ec2, groups.values())
        sets = recorded_sets(uses, groups, prefix_lists)
        return sets, groups

    def _hand_tagged(self, group: SecurityGroup) -> GroupSet:
        return hand_tagged_set(group, prefix_list_entries(self._clients.ec2, [group]))

    def _act(
        self, findings: tuple[Finding, ...], groups: dict[str, SecurityGroup], *, known: bool
    ) -> tuple[Action, ...]:
        remediations = {remediation_of(f) for f in findings} & set(GROUP_CHANGES)
        if not remediations:
            return ()
        if not known:
            return (
                Action(
                    ActionKind.SKIPPED,
                    "Not changed: no running job the guard let run uses this group, and a tag "
                    "alone never makes the guard change a group. Reported only.",
                ),
            )
        if self._policy.mode is GuardMode.NOTIFY:
            would = " and ".join(r.value for r in sorted(remediations))
            return (Action(ActionKind.SKIPPED, f"notify mode: would {would}."),)
        why_not = refusals(self._clients.ec2, self._policy, groups)
        why_not, refused = take_under_guard(
            self._clients.ec2, self._policy, groups.values(), why_not
        )
        target = Target(self._clients, why_not)
        return tuple(([refused] if refused else []) + carry_out(target, findings, GROUP_CHANGES))

    def _intents(self, findings: tuple[Finding, ...], *, known: bool) -> set[str]:
        """The group changes about to be made: only on groups the record keeps."""
        if self._policy.mode is GuardMode.NOTIFY or not known:
            return set()
        return {r.value for r in {remediation_of(f) for f in findings} & set(GROUP_CHANGES)}

    def _is_own(self, call: ApiCall) -> bool:
        if callable(self._own_role):
            self._own_role = self._own_role()
        return (
            self._own_role is not None
            and call.caller_role is not None
            and same_role(call.caller_role, self._own_role)
        )

    def _skip(self, resource: str | None, reason: str) -> Summary:
        logger.info("event ignored", extra={"resource": resource, "reason": reason})
        return Summary(resource, self._policy.mode.value, (), (Action(ActionKind.SKIPPED, reason),))


def _trigger(call: ApiCall, change: SecurityGroupChange) -> str:
    """Who changed what, in identifiers and rules only (never rule descriptions)."""
    changes = "; ".join(c.describe() for c in change.changes)
    by = f"{change.event_name} by {call.caller or 'an unknown caller'}"
    return f"{by}: {changes}" if changes else by


def _unique(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(dict.fromkeys(findings))
