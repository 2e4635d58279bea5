"""The job guard: judge a new or running training or tuning job, act, tell.

The Lambda handler in functions/job_guard/app.py is a thin adapter over `JobGuard`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training_guard.config import GuardMode, Policy
from training_guard.controls import Remediation, evaluate_job, facts_needed, remediation_of
from training_guard.controls.network import efa_gaps, ipsec_gaps
from training_guard.effects.aws import Clients
from training_guard.effects.jobs import job_tags, stop_job
from training_guard.effects.loaders import load_evidence
from training_guard.effects.notify import Notifier, fingerprint
from training_guard.effects.security_groups import add_self_rules, tag_groups
from training_guard.events import (
    JOB_GUARD_EVENTS,
    CloudTrailApiCall,
    InvalidEventError,
    TrainingJobStateChange,
    TuningJobStateChange,
    event_id,
    parse_event,
)
from training_guard.facts.evidence import Evidence
from training_guard.facts.guarded import tags_to_write
from training_guard.facts.jobs import (
    FactsError,
    JobFacts,
    JobKind,
    job_arn,
    name_from_arn,
    training_job_from_cloudtrail,
    training_job_from_description,
    tuning_job_from_cloudtrail,
    tuning_job_from_description,
)
from training_guard.model import Action, ActionKind, Finding, Summary
from training_guard.notification import Subject, build_notification
from training_guard.observability import logger, record_findings, record_rejected_event

ACTIVE_STATUS = "InProgress"
CREATE_CALLS = {
    "CreateTrainingJob": training_job_from_cloudtrail,
    "CreateHyperParameterTuningJob": tuning_job_from_cloudtrail,
}


@dataclass(frozen=True)
class Ignored:
    """An event that is understood and deliberately not judged."""

    resource: str | None
    reason: str


@dataclass(frozen=True)
class Target:
    """What the guard acts on: the job itself, or the tuning job that launched it."""

    kind: JobKind
    name: str
    arn: str
    tags: dict[str, str]


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
            return self._reject(raw_event, str(e))
        if isinstance(job, Ignored):
            logger.info("event ignored", extra={"resource": job.resource, "reason": job.reason})
            return Summary(
                job.resource, self._policy.mode.value, (), (Action(ActionKind.SKIPPED, job.reason),)
            )
        return self.guard(job, trigger_of(event))

    def guard(self, job: JobFacts, trigger: str = "") -> Summary:
        target = self._target(job)
        evidence = load_evidence(self._clients, job, facts_needed(self._policy))
        findings = evaluate_job(job, evidence, self._policy)
        self._mark_guarded(job, target, evidence)
        actions = self._act(job, target, findings, evidence)
        summary = Summary(target.arn, self._policy.mode.value, findings, actions)
        record_findings(findings)
        logger.info(
            "job evaluated",
            extra={
                "resource": target.arn,
                "controls": sorted({f.control for f in findings}),
                "actions": [a.action.value for a in actions],
            },
        )
        if findings:
            about = Subject(target.kind.label, target.name, job.account, job.region, trigger)
            notification = build_notification(summary, about, self._policy.exempt_tag_key)
            if not self._notifier.notify_once(target.arn, fingerprint(summary), notification):
                logger.info("already notified of these controls", extra={"resource": target.arn})
        return summary

    def _target(self, job: JobFacts) -> Target:
        if job.parent_tuning_job_arn:
            # Judge the child's own configuration, but act on and tell about its tuning
            # job: stopping one child would only make the tuner launch the next.
            arn = job.parent_tuning_job_arn
            tags = job_tags(self._clients.sagemaker, arn)
            return Target(JobKind.TUNING, name_from_arn(arn), arn, tags)
        return Target(job.kind, job.name, job.arn, dict(job.tags))

    def _mark_guarded(self, job: JobFacts, target: Target, evidence: Evidence) -> None:
        """Tag the job's groups so that sg_guard keeps them in order from now on."""
        if self._policy.mode is GuardMode.NOTIFY or self._policy.is_exempt(target.tags):
            return
        wanted = tags_to_write(job, evidence.security_groups, self._policy.guard_tag_key)
        if wanted:
            tag_groups(self._clients.ec2, wanted)

    def _act(
        self, job: JobFacts, target: Target, findings: tuple[Finding, ...], evidence: Evidence
    ) -> tuple[Action, ...]:
        remediations = {remediation_of(f) for f in findings}
        wanted = [r for r in (Remediation.STOP_JOB, Remediation.ADD_RULES) if r in remediations]
        if not wanted:
            return ()
        if self._policy.is_exempt(target.tags):
            return (
                Action(
                    ActionKind.SKIPPED,
                    f"{target.name} is tagged {self._policy.exempt_tag_key}=true: "
                    "reported, not touched.",
                ),
            )
        if self._policy.mode is GuardMode.NOTIFY:
            would = " and ".join(r.value for r in wanted)
            return (Action(ActionKind.SKIPPED, f"notify mode: would {would}."),)
        actions: list[Action] = []
        if Remediation.STOP_JOB in remediations:
            reason = ", ".join(
                sorted({f.control for f in findings if remediation_of(f) is Remediation.STOP_JOB})
            )
            actions.append(stop_job(self._clients.sagemaker, target.kind, target.name, reason))
        if Remediation.ADD_RULES in remediations:
            actions.extend(self._repair(job, evidence))
        return tuple(actions)

    def _repair(self, job: JobFacts, evidence: Evidence) -> list[Action]:
        gaps_by_group: dict[str, list[Any]] = {}
        for spec in job.specs:
            gaps = ipsec_gaps(spec, evidence) + efa_gaps(spec, evidence)
            if gaps:
                group = gaps_by_group.setdefault(spec.security_groups[0], [])
                group.extend(g for g in gaps if g not in group)
        return [add_self_rules(self._clients.ec2, g, gaps) for g, gaps in gaps_by_group.items()]

    def _reject(self, raw_event: Any, reason: str) -> Summary:
        # The event's content is not logged: it may carry hyperparameters or secrets.
        logger.error("event rejected", extra={"event_id": event_id(raw_event), "reason": reason})
        record_rejected_event()
        return Summary(
            None,
            self._policy.mode.value,
            (),
            (Action(ActionKind.FAILED, f"Rejected event: {reason}"),),
        )


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


__all__ = ["Ignored", "JobGuard", "Target", "job_arn", "job_from_event"]
