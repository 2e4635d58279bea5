"""The job guard: judge a new or running training or tuning job, act, tell.

The Lambda handler in functions/job_guard/app.py is a thin adapter over `JobGuard`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training_guard.config import GuardMode, Policy
from training_guard.controls import Remediation, evaluate_job, facts_needed, remediation_of
from training_guard.controls.network import efa_gaps, ipsec_gaps, public_ingress
from training_guard.effects.aws import Clients
from training_guard.effects.jobs import stop_job, tuning_job
from training_guard.effects.loaders import load_evidence
from training_guard.effects.notify import Notifier
from training_guard.effects.security_groups import (
    add_self_rules,
    revoke_public_ingress,
    tag_groups,
)
from training_guard.events import (
    JOB_GUARD_EVENTS,
    CloudTrailApiCall,
    InvalidEventError,
    TrainingJobStateChange,
    TuningJobStateChange,
    parse_event,
    rejected,
)
from training_guard.facts.evidence import Evidence
from training_guard.facts.guarded import tags_to_write
from training_guard.facts.jobs import (
    FactsError,
    JobFacts,
    JobKind,
    name_from_arn,
    training_job_from_cloudtrail,
    training_job_from_description,
    tuning_job_from_cloudtrail,
    tuning_job_from_description,
)
from training_guard.model import Action, ActionKind, Finding, Summary
from training_guard.notification import Subject, build_notification, news
from training_guard.observability import logger, record_findings

ACTIVE_STATUS = "InProgress"
LEFT_ALONE = "the guard changes the groups only of jobs it lets run"
CREATE_CALLS = {
    "CreateTrainingJob": training_job_from_cloudtrail,
    "CreateHyperParameterTuningJob": tuning_job_from_cloudtrail,
}


@dataclass(frozen=True)
class Ignored:
    """An event that is understood and deliberately not judged."""

    resource: str | None
    reason: str


class JobGuard:
    def __init__(self, clients: Clients, policy: Policy, notifier: Notifier) -> None:
        self._clients = clients
        self._policy = policy
        self._notifier = notifier

    def handle(self, raw_event: Any) -> Summary:
        try:
            event = parse_event(raw_event, JOB_GUARD_EVENTS)
            job = job_from_event(event)
        except (InvalidEventError, FactsError) as e:
            return rejected(raw_event, str(e), self._policy.mode.value)
        if isinstance(job, Ignored):
            logger.info("event ignored", extra={"resource": job.resource, "reason": job.reason})
            skipped = Action(ActionKind.SKIPPED, job.reason)
            return Summary(job.resource, self._policy.mode.value, (), (skipped,))
        return self.guard(job, trigger_of(event))

    def guard(self, job: JobFacts, trigger: str = "") -> Summary:
        job = self._as_judged(job)
        evidence = load_evidence(self._clients, job, facts_needed(self._policy))
        findings = evaluate_job(job, evidence, self._policy)
        actions = self._act(job, findings, evidence)
        summary = Summary(job.arn, self._policy.mode.value, findings, actions)
        record_findings(findings)
        # A guard action that failed is worth a look even without a notification.
        log = logger.warning if any(a.action is ActionKind.FAILED for a in actions) else logger.info
        log(
            "job evaluated",
            extra={
                "resource": job.arn,
                "controls": sorted({f.control for f in findings}),
                "actions": [a.action.value for a in actions],
            },
        )
        if findings:
            about = Subject(job.kind.label, job.name, job.account, job.region, trigger)
            notification = build_notification(summary, about, self._policy.exempt_tag_key)
            if not self._notifier.notify_once(job.arn, news(summary), notification):
                logger.info("already notified of these controls", extra={"resource": job.arn})
        return summary

    def _as_judged(self, job: JobFacts) -> JobFacts:
        """A tuning job's child is judged as its tuning job: one verdict, one stop, one
        notification, however many children report in."""
        if not job.parent_tuning_job_arn:
            return job
        parent = tuning_job(self._clients.sagemaker, job.parent_tuning_job_arn)
        if parent is None:  # gone already: judge what the child runs, act on the parent
            name = name_from_arn(job.parent_tuning_job_arn)
            return JobFacts(
                JobKind.TUNING, name, job.parent_tuning_job_arn, job.specs, None, job.tags
            )
        return parent

    def _act(
        self, job: JobFacts, findings: tuple[Finding, ...], evidence: Evidence
    ) -> tuple[Action, ...]:
        remediations = {remediation_of(f) for f in findings}
        stopping = Remediation.STOP_JOB in remediations
        group_changes = remediations & {Remediation.ADD_RULES, Remediation.REVOKE_RULES}
        if self._policy.is_exempt(job.tags):
            if not findings:
                return ()
            reason = (
                f"{job.name} is tagged {self._policy.exempt_tag_key}=true: reported, not touched."
            )
            return (Action(ActionKind.SKIPPED, reason),)
        if self._policy.mode is GuardMode.NOTIFY:
            return self._would(stopping, group_changes)
        return self._enforce(job, findings, evidence)

    def _enforce(
        self, job: JobFacts, findings: tuple[Finding, ...], evidence: Evidence
    ) -> tuple[Action, ...]:
        remediations = {remediation_of(f) for f in findings}
        group_changes = remediations & {Remediation.ADD_RULES, Remediation.REVOKE_RULES}
        if Remediation.STOP_JOB in remediations:
            stop_controls = sorted(
                {f.control for f in findings if remediation_of(f) is Remediation.STOP_JOB}
            )
            stop = stop_job(self._clients.sagemaker, job.kind, job.name, ", ".join(stop_controls))
            # A job to be stopped does not get to choose which groups the guard changes.
            left = Action(ActionKind.SKIPPED, f"Security groups left as they are: {LEFT_ALONE}.")
            return (stop, left) if group_changes else (stop,)
        refusal = self._take_under_guard(job, evidence)
        if refusal:
            if not group_changes:
                return (refusal,)
            not_changed = Action(
                ActionKind.SKIPPED,
                "Security groups not changed: the guard may change only groups tagged "
                f"{self._policy.guard_tag_key}=true.",
            )
            return (refusal, not_changed)
        actions: list[Action] = []
        if Remediation.REVOKE_RULES in remediations:
            actions.extend(self._revoke_public(job, evidence))
        if Remediation.ADD_RULES in remediations:
            actions.extend(self._repair(job, evidence))
        return tuple(actions)

    def _would(self, stopping: bool, group_changes: set[Remediation]) -> tuple[Action, ...]:
        if stopping:
            detail = (
                "notify mode: would stop the job; its security groups would be left as they "
                f"are ({LEFT_ALONE})."
            )
        elif group_changes:
            detail = f"notify mode: would {' and '.join(sorted(r.value for r in group_changes))}."
        else:
            return ()
        return (Action(ActionKind.SKIPPED, detail),)

    def _take_under_guard(self, job: JobFacts, evidence: Evidence) -> Action | None:
        """Tag the groups of a job that runs, so that sg_guard keeps them in order."""
        groups = {
            gid: g for gid, g in evidence.security_groups.items() if self._policy.may_guard(g.tags)
        }
        wanted = tags_to_write(job, groups, evidence.subnets, self._policy.guard_tag_key)
        return tag_groups(self._clients.ec2, wanted) if wanted else None

    def _revoke_public(self, job: JobFacts, evidence: Evidence) -> list[Action]:
        actions: list[Action] = []
        group_ids = dict.fromkeys(g for spec in job.specs for g in spec.security_groups)
        for group_id in group_ids:
            group = evidence.security_groups.get(group_id)
            if group is None or not public_ingress(group):
                continue
            if self._policy.may_guard(group.tags):
                actions.append(
                    revoke_public_ingress(self._clients.ec2, group_id, public_ingress(group))
                )
            else:
                actions.append(
                    Action(ActionKind.SKIPPED, self._policy.left_alone(group_id, group.tags))
                )
        return actions

    def _repair(self, job: JobFacts, evidence: Evidence) -> list[Action]:
        actions: list[Action] = []
        gaps_by_group: dict[str, list[Any]] = {}
        for spec in job.specs:
            gaps = ipsec_gaps(spec, evidence) + efa_gaps(spec, evidence)
            existing = [g for g in spec.security_groups if g in evidence.security_groups]
            if not gaps or not existing:
                continue
            target = existing[0]
            if not self._policy.may_guard(evidence.security_groups[target].tags):
                tags = evidence.security_groups[target].tags
                actions.append(Action(ActionKind.SKIPPED, self._policy.left_alone(target, tags)))
                continue
            group = gaps_by_group.setdefault(target, [])
            group.extend(g for g in gaps if g not in group)
        actions += [add_self_rules(self._clients.ec2, g, gaps) for g, gaps in gaps_by_group.items()]
        return actions


def job_from_event(event: Any) -> JobFacts | Ignored:
    if isinstance(event, CloudTrailApiCall):
        return _from_cloudtrail(event)
    if isinstance(event, TrainingJobStateChange):
        return _active_only(training_job_from_description(event.detail))
    if isinstance(event, TuningJobStateChange):
        return _active_only(tuning_job_from_description(event.detail))
    raise InvalidEventError(f"no job guard rule for {type(event).__name__}")


def trigger_of(event: Any) -> str:
    """Who or what started the evaluation, in identifiers only."""
    if isinstance(event, CloudTrailApiCall):
        caller = event.detail.user_identity.get("arn") or "an unknown caller"
        return f"{event.detail.event_name} by {caller}"
    status = event.detail.get("TrainingJobStatus") or event.detail.get(
        "HyperParameterTuningJobStatus"
    )
    return f"{event.detail_type} ({status})"


def _from_cloudtrail(event: CloudTrailApiCall) -> JobFacts | Ignored:
    record = event.detail
    parse = CREATE_CALLS.get(record.event_name)
    if record.event_source != "sagemaker.amazonaws.com" or parse is None:
        raise InvalidEventError(
            f"CloudTrail event {record.event_source} {record.event_name} is not one the "
            f"job guard handles ({', '.join(CREATE_CALLS)})"
        )
    if record.error_code:
        return Ignored(
            None,
            f"{record.event_name} failed with {record.error_code}: no job was created.",
        )
    if record.request_parameters is None:
        raise InvalidEventError(f"{record.event_name} record has no requestParameters")
    account = record.recipient_account_id or event.account
    return parse(record.request_parameters, record.response_elements, account, event.region)


def _active_only(job: JobFacts) -> JobFacts | Ignored:
    if job.status != ACTIVE_STATUS:
        return Ignored(
            job.arn, f"{job.name} is {job.status}: only {ACTIVE_STATUS} jobs are judged."
        )
    return job


__all__ = ["Ignored", "JobGuard", "job_from_event"]
