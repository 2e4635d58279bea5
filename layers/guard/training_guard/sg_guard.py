"""The security-group guard: after any change to a guarded group, put it back in order.

The event only says which group changed; the group is judged by its rules as EC2
returns them now. The guard's own repairs come back as events and must end in a
no-op: they are recognised by the caller identity, and still judged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from training_guard.config import GuardMode, Policy
from training_guard.controls import Remediation, evaluate_group, remediation_of
from training_guard.controls.network import public_ingress
from training_guard.controls.security_groups import GroupFacts, efa_gaps, ipsec_gaps
from training_guard.effects.aws import Clients, role_arn
from training_guard.effects.guarded import RunningJobs, decide_guard, find_group, vpc_cidrs
from training_guard.effects.loaders import describe_security_groups
from training_guard.effects.notify import Notifier
from training_guard.effects.security_groups import add_self_rules, revoke_public_ingress, tag_groups
from training_guard.events import (
    SG_GUARD_EVENTS,
    CloudTrailApiCall,
    InvalidEventError,
    parse_event,
    rejected,
)
from training_guard.facts.guarded import Guard, guard_from_tags
from training_guard.facts.jobs import FactsError
from training_guard.facts.network import SecurityGroup
from training_guard.facts.sg_events import (
    SECURITY_GROUP_CALLS,
    SecurityGroupChange,
    security_group_change,
)
from training_guard.model import Action, ActionKind, Finding, Summary
from training_guard.notification import Subject, build_notification, news
from training_guard.observability import logger, record_findings


class SgGuard:
    def __init__(
        self, clients: Clients, policy: Policy, notifier: Notifier, own_role: str | None = None
    ) -> None:
        self._clients = clients
        self._policy = policy
        self._notifier = notifier
        self._own_role = own_role
        self._running = RunningJobs(clients.sagemaker, policy.is_exempt)

    def handle(self, raw_event: Any) -> Summary:
        try:
            event = parse_event(raw_event, SG_GUARD_EVENTS)
            if not isinstance(event, CloudTrailApiCall):
                raise InvalidEventError(f"no security-group guard rule for {type(event).__name__}")
            change = self._change(event)
        except (InvalidEventError, FactsError) as e:
            return rejected(raw_event, str(e), self._policy.mode.value)
        if isinstance(change, str):
            return self._skip(None, change)
        own = self._is_own(event.detail.user_identity)
        return self.guard(change, event, own)

    def guard(self, change: SecurityGroupChange, event: CloudTrailApiCall, own: bool) -> Summary:
        group = find_group(self._clients.ec2, change.group_id, change.group_name)
        if group is None:
            return self._skip(
                None, f"{change.group_ref} no longer exists (or its name is ambiguous)."
            )
        resource = group_arn(group.id, event.region, event.account)
        guard = decide_guard(group, self._policy.guard_tag_key, self._running)
        if guard is None:
            return self._skip(
                resource,
                f"{group.id} is not guarded: not tagged {self._policy.guard_tag_key}=true "
                "and used by no running training job. Left alone.",
            )
        facts = self._facts(group, guard)
        findings = evaluate_group(facts, self._policy)
        actions = self._act(facts, findings)
        summary = Summary(resource, self._policy.mode.value, findings, actions)
        record_findings(findings)
        # A guard action that failed is worth a look even without a notification.
        log = logger.warning if any(a.action is ActionKind.FAILED for a in actions) else logger.info
        log(
            "security group evaluated",
            extra={
                "resource": resource,
                "change": change.event_name,
                "own_change": own,
                "controls": sorted({f.control for f in findings}),
                "actions": [a.action.value for a in actions],
            },
        )
        if findings:
            self._notify(summary, group, event, change)
        return summary

    def _change(self, event: CloudTrailApiCall) -> SecurityGroupChange | str:
        record = event.detail
        if (
            record.event_source != "ec2.amazonaws.com"
            or record.event_name not in SECURITY_GROUP_CALLS
        ):
            raise InvalidEventError(
                f"CloudTrail event {record.event_source} {record.event_name} is not a "
                f"security-group change ({', '.join(SECURITY_GROUP_CALLS)})"
            )
        if record.error_code:
            return f"{record.event_name} failed with {record.error_code}: nothing changed."
        return security_group_change(
            record.event_name, record.request_parameters, record.response_elements
        )

    def _facts(self, group: SecurityGroup, guard: Guard) -> GroupFacts:
        peers = (
            describe_security_groups(self._clients.ec2, sorted(guard.peers)) if guard.peers else {}
        )
        facts = GroupFacts(
            group, guard, tuple(peers.values()), tuple(sorted(guard.subnet_cidrs or ()))
        )
        if guard.subnet_cidrs is not None:
            return facts
        # Subnets unknown (a group tagged by hand): a rule naming a private range admits
        # the jobs' traffic if it holds the whole VPC. Read the VPC's CIDRs only when
        # that could change the verdict.
        private_ranges = any(
            rule.without_public_ranges().cidrs
            for g in facts.job_groups
            for rule in g.ingress + g.egress
        )
        if private_ranges and (ipsec_gaps(facts) or efa_gaps(facts)):
            return replace(facts, networks=vpc_cidrs(self._clients.ec2, group.vpc_id))
        return facts

    def _act(self, facts: GroupFacts, findings: tuple[Finding, ...]) -> tuple[Action, ...]:
        remediations = {remediation_of(f) for f in findings}
        group = facts.group
        if not self._policy.may_guard(group.tags) or self._policy.mode is GuardMode.NOTIFY:
            return self._reported_only(group, remediations)
        if refusal := self._mark_guarded(facts):
            if not remediations:
                return (refusal,)
            skipped = Action(
                ActionKind.SKIPPED,
                f"{group.id} not changed: the guard may change only groups tagged "
                f"{self._policy.guard_tag_key}=true.",
            )
            return (refusal, skipped)
        actions: list[Action] = []
        if Remediation.REVOKE_RULES in remediations:
            actions.append(
                revoke_public_ingress(self._clients.ec2, group.id, public_ingress(group))
            )
        gaps = ipsec_gaps(facts) + efa_gaps(facts)
        if gaps:
            actions.append(add_self_rules(self._clients.ec2, group.id, gaps))
        return tuple(actions)

    def _reported_only(
        self, group: SecurityGroup, remediations: set[Remediation]
    ) -> tuple[Action, ...]:
        if not remediations:
            return ()
        if not self._policy.may_guard(group.tags):
            return (Action(ActionKind.SKIPPED, self._policy.left_alone(group.id, group.tags)),)
        would = " and ".join(r.value for r in sorted(remediations))
        return (Action(ActionKind.SKIPPED, f"notify mode: would {would}."),)

    def _mark_guarded(self, facts: GroupFacts) -> Action | None:
        """Tag a group found through a running job, with or without findings, so that its
        next change is decided with one call and the guard's IAM policy lets it repair."""
        if guard_from_tags(facts.group.tags, self._policy.guard_tag_key) is not None:
            return None
        tags = {facts.group.id: facts.guard.tags(self._policy.guard_tag_key)}
        return tag_groups(self._clients.ec2, tags)

    def _notify(
        self,
        summary: Summary,
        group: SecurityGroup,
        event: CloudTrailApiCall,
        change: SecurityGroupChange,
    ) -> None:
        caller = event.detail.user_identity.get("arn") or "an unknown caller"
        changes = "; ".join(c.describe() for c in change.changes)
        trigger = f"{change.event_name} by {caller}" + (f": {changes}" if changes else "")
        about = Subject("security group", group.id, event.account, event.region, trigger)
        notification = build_notification(summary, about, self._policy.exempt_tag_key)
        # Each change is news of its own: key by the change, not only by the group.
        key = f"{summary.resource}#{event.detail.event_id or event.id}"
        self._notifier.notify_once(key, news(summary), notification)

    def _is_own(self, identity: dict[str, Any]) -> bool:
        return self._own_role is not None and principal_role(identity) == self._own_role

    def _skip(self, resource: str | None, reason: str) -> Summary:
        logger.info("event ignored", extra={"resource": resource, "reason": reason})
        return Summary(resource, self._policy.mode.value, (), (Action(ActionKind.SKIPPED, reason),))


def group_arn(group_id: str, region: str, account: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:security-group/{group_id}"


def principal_role(identity: dict[str, Any]) -> str | None:
    """The role (or user) ARN behind a CloudTrail userIdentity or an STS caller ARN."""
    issuer = identity.get("sessionContext", {}).get("sessionIssuer", {}).get("arn")
    return role_arn(str(issuer or identity.get("arn") or "")) or None
