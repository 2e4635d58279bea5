"""The job guard: judge a new or running training or tuning job, act, record, tell.

The Lambda handler in functions/job_guard/app.py is a thin adapter over `JobGuard`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from training_guard.config import GuardMode, Policy
from training_guard.controls import (
    Remediation,
    evaluate_job,
    evaluate_request,
    facts_needed,
    group_set,
    remediation_of,
)
from training_guard.effects.aws import Clients
from training_guard.effects.budget import OutOfTime, TimeBudget
from training_guard.effects.jobs import described_job, tuning_job
from training_guard.effects.loaders import load_evidence
from training_guard.effects.notify import Notice, Notifier, held
from training_guard.effects.records import GroupRecord, job_uses
from training_guard.effects.remedies import (
    GROUP_CHANGES,
    Target,
    carry_out,
    refusals,
    take_under_guard,
)
from training_guard.events import (
    CLOUDTRAIL_API_CALL,
    JOB_GUARD_EVENTS,
    TRAINING_JOB_STATE_CHANGE,
    ApiCall,
    Event,
    InvalidEventError,
    api_call,
    elsewhere,
    parse_event,
    rejected,
)
from training_guard.facts.evidence import Evidence
from training_guard.facts.identifiers import arn_field
from training_guard.facts.jobs import (
    JobFacts,
    JobKind,
    JobRef,
    job_arn,
    name_from_arn,
    training_job_from_description,
    training_job_from_request,
    training_job_ref,
    tuning_job_from_description,
    tuning_job_from_request,
    tuning_job_ref,
)
from training_guard.model import Action, ActionKind, Finding, Summary
from training_guard.notification import Subject
from training_guard.observability import logger, record_findings

ACTIVE_STATUS = "InProgress"
ENDED_STATUSES = frozenset({"Completed", "Failed", "Stopped"})
LEFT_ALONE = "the guard changes the groups only of jobs it lets run"
CREATE_CALLS = {
    "CreateTrainingJob": training_job_from_request,
    "CreateHyperParameterTuningJob": tuning_job_from_request,
}


@dataclass(frozen=True)
class Ignored:
    """An event that is understood and deliberately not judged."""

    resource: str | None
    reason: str
    # Set where the job is stopping or stopped: an untold stop an earlier attempt made
    # then shows as done (outbox.py).
    settles: ActionKind | None = None


@dataclass(frozen=True)
class Ended:
    """A job that ended: its entries leave the guard's record of running jobs."""

    arn: str
    name: str
    status: str
    created: float | None = None


class JobGuard:
    def __init__(
        self, clients: Clients, policy: Policy, notifier: Notifier, record: GroupRecord
    ) -> None:
        self._clients = clients
        self._policy = policy
        self._notifier = notifier
        self._record = record

    @property
    def budget(self) -> TimeBudget:
        return self._clients.budget

    def handle(
        self, raw_event: Any, own_account: str | None = None, delivery: str | None = None
    ) -> Summary:
        try:
            event = parse_event(raw_event, JOB_GUARD_EVENTS)
            if own_account and event.account != own_account:
                return self._skip(None, elsewhere(event.account, own_account))
            subject = self._subject(event)
        except InvalidEventError as e:
            return rejected(raw_event, str(e), self._policy.mode.value)
        delivery = delivery or uuid.uuid4().hex
        if isinstance(subject, Ignored):
            return self._skip(subject.resource, subject.reason, delivery, subject.settles)
        if isinstance(subject, Ended):
            groups = self._record.forget(subject.arn, subject.created)
            held = f"; its record of {', '.join(groups)} removed" if groups else ""
            reason = f"{subject.name} is {subject.status}{held}."
            return self._skip(subject.arn, reason, delivery, _stopped(subject.status))
        return self.guard(subject, trigger_of(event), delivery)

    def guard(self, job: JobFacts, trigger: str = "", delivery: str | None = None) -> Summary:
        delivery = delivery or uuid.uuid4().hex
        if due := self._stop_due_on_its_face(job):
            return self._stop_first(job, due, trigger, delivery)
        # Out of time while loading facts: nothing was done yet, and the retry will judge.
        evidence = load_evidence(self._clients, job, facts_needed(self._policy))
        findings = evaluate_job(job, evidence, self._policy)
        # Recorded before anything is changed: a late or repeated event about a job that
        # already ended must not change its groups.
        if self._lets_run(job, findings) and not self._remember(job, evidence):
            return self._skip(job.arn, f"{job.name} has already ended: nothing to guard.", delivery)
        notice = Notice(
            self._notifier,
            job.arn,
            delivery,
            # Group findings vanish once repaired, or fixed by hand; a job's own settings
            # do not change.
            may_be_untold=bool(evidence.security_groups),
        )
        if findings and not notice.before_acting(findings, self._intents(job, findings)):
            busy = held(f"{job.kind.label} {job.name}")
            return Summary(job.arn, self._policy.mode.value, findings, (busy,))
        actions, late = notice.act(lambda: self._act(job, findings, evidence))
        return self._told(job, notice, findings, actions, late=late, trigger=trigger)

    def _stop_due_on_its_face(self, job: JobFacts) -> tuple[Finding, ...]:
        """The findings of the request alone (no AWS fact loaded) when they already ask
        for a stop the guard will make: then the stop comes before any fact is loaded."""
        if (
            self._policy.mode is GuardMode.NOTIFY
            or job.tags is None
            or self._policy.is_exempt(job.tags)
        ):
            return ()
        found = evaluate_request(job, self._policy)
        stop = any(remediation_of(f) is Remediation.STOP_JOB for f in found)
        return found if stop else ()

    def _stop_first(
        self, job: JobFacts, due: tuple[Finding, ...], trigger: str, delivery: str
    ) -> Summary:
        """Stop, then load the facts for the report: every second a noncompliant job runs
        is a second it trains."""
        notice = Notice(self._notifier, job.arn, delivery, may_be_untold=False)
        if not notice.before_acting(due, {Remediation.STOP_JOB.value}):
            busy = held(f"{job.kind.label} {job.name}")
            return Summary(job.arn, self._policy.mode.value, due, (busy,))
        stopping = Target(self._clients, _nothing, job.kind, job.name)
        actions, late = notice.act(lambda: tuple(carry_out(stopping, due, (Remediation.STOP_JOB,))))
        findings = self._reported(job, due)
        if {remediation_of(f) for f in findings} & set(GROUP_CHANGES):
            left = Action(ActionKind.SKIPPED, f"Security groups left as they are: {LEFT_ALONE}.")
            actions = (*actions, left)
        return self._told(job, notice, findings, actions, late=late, trigger=trigger)

    def _reported(self, job: JobFacts, due: tuple[Finding, ...]) -> tuple[Finding, ...]:
        """Everything found once the facts are loaded; what the request showed when they
        cannot be (the stop is told all the same)."""
        try:
            evidence = load_evidence(self._clients, job, facts_needed(self._policy))
        except (OutOfTime, ClientError, BotoCoreError) as e:
            logger.warning("facts for the report not loaded", extra={"error": type(e).__name__})
            return due
        return evaluate_job(job, evidence, self._policy)

    def _told(
        self,
        job: JobFacts,
        notice: Notice,
        findings: tuple[Finding, ...],
        actions: tuple[Action, ...],
        *,
        late: OutOfTime | None,
        trigger: str,
    ) -> Summary:
        about = Subject(
            job.kind.label,
            job.name,
            job.account,
            job.region,
            trigger,
            owner=self._policy.owner(job.tags),
            offer=self._offer(job, findings),
        )
        summary = notice.tell(
            Summary(job.arn, self._policy.mode.value, findings, actions),
            about,
            self._policy.exempt_tag_key,
        )
        record_findings(summary.findings)
        # A guard action that failed is worth a look even without a notification.
        failed = any(a.action is ActionKind.FAILED for a in summary.actions)
        (logger.warning if failed else logger.info)(
            "job evaluated",
            extra={
                "resource": job.arn,
                "controls": sorted({f.control for f in summary.findings}),
                "actions": [a.action.value for a in summary.actions],
            },
        )
        if late is not None:
            raise late
        return summary

    def _offer(self, job: JobFacts, findings: tuple[Finding, ...]) -> str:
        """In notify mode, the stop the guard would have made, for a person to make."""
        would_stop = any(remediation_of(f) is Remediation.STOP_JOB for f in findings)
        exempt = self._policy.is_exempt(job.tags or {})
        return (
            "stop-job"
            if self._policy.mode is GuardMode.NOTIFY and would_stop and not exempt
            else ""
        )

    def _intents(self, job: JobFacts, findings: tuple[Finding, ...]) -> set[str]:
        """What the guard is about to change: the stop, or else the group changes."""
        if self._policy.mode is GuardMode.NOTIFY or self._policy.is_exempt(job.tags or {}):
            return set()
        remediations = {remediation_of(f) for f in findings}
        if Remediation.STOP_JOB in remediations:
            return {Remediation.STOP_JOB.value}
        return {r.value for r in remediations & set(GROUP_CHANGES)}

    # --- which job an event is about ------------------------------------------------

    def _subject(self, event: Event) -> JobFacts | Ignored | Ended:
        if event.detail_type == CLOUDTRAIL_API_CALL:
            return _from_cloudtrail(api_call(event))
        kind = (
            JobKind.TRAINING if event.detail_type == TRAINING_JOB_STATE_CHANGE else JobKind.TUNING
        )
        ref = (
            training_job_ref(event.detail)
            if kind is JobKind.TRAINING
            else tuning_job_ref(event.detail)
        )
        arn = ref.arn or job_arn(kind, ref.name, event.account, event.region)
        if ref.status in ENDED_STATUSES:
            return Ended(arn, ref.name, ref.status or "", ref.created)
        if ref.status != ACTIVE_STATUS:
            reason = f"{ref.name} is {ref.status}: only {ACTIVE_STATUS} jobs are judged."
            return Ignored(arn, reason, _stopped(ref.status))
        return self._running(event, kind, ref)

    def _running(self, event: Event, kind: JobKind, ref: JobRef) -> JobFacts | Ignored | Ended:
        """The running job as AWS says it is: the event's detail where it is complete,
        else one Describe; a tuning job's child is judged as its tuning job, once."""
        if ref.parent_tuning_job_arn:
            return self._parent(ref.parent_tuning_job_arn)
        if ref.complete:
            parse = (
                training_job_from_description
                if kind is JobKind.TRAINING
                else tuning_job_from_description
            )
            return parse(event.detail)
        return self._described(kind, ref)

    def _described(self, kind: JobKind, ref: JobRef) -> JobFacts | Ignored | Ended:
        job = described_job(self._clients.sagemaker, kind, ref.name)
        if job is None:
            return Ignored(ref.arn or None, f"{ref.name} no longer exists.")
        if job.parent_tuning_job_arn:
            return self._parent(job.parent_tuning_job_arn)
        if job.status in ENDED_STATUSES:
            return Ended(job.arn, job.name, job.status or "", job.created)
        if job.status != ACTIVE_STATUS:
            reason = f"{job.name} is {job.status}: only {ACTIVE_STATUS} jobs are judged."
            return Ignored(job.arn, reason, _stopped(job.status))
        return job

    def _parent(self, arn: str) -> JobFacts | Ignored:
        parent = tuning_job(self._clients.sagemaker, arn)
        if parent is None:
            return Ignored(arn, f"tuning job {name_from_arn(arn)} no longer exists.")
        if parent.status in ENDED_STATUSES or parent.status == "Stopping":
            reason = f"tuning job {parent.name} is {parent.status}."
            return Ignored(parent.arn, reason, _stopped(parent.status))
        return parent

    # --- acting ---------------------------------------------------------------------

    def _act(
        self, job: JobFacts, findings: tuple[Finding, ...], evidence: Evidence
    ) -> tuple[Action, ...]:
        remediations = {remediation_of(f) for f in findings}
        if self._policy.is_exempt(job.tags or {}):
            if not findings:
                return ()
            reason = (
                f"{job.name} is tagged {self._policy.exempt_tag_key}=true: reported, not touched."
            )
            return (Action(ActionKind.SKIPPED, reason),)
        if self._policy.mode is GuardMode.NOTIFY:
            return _would(remediations)
        return self._enforce(job, findings, evidence, remediations)

    def _enforce(
        self,
        job: JobFacts,
        findings: tuple[Finding, ...],
        evidence: Evidence,
        remediations: set[Remediation],
    ) -> tuple[Action, ...]:
        stopping = Target(self._clients, _nothing, job.kind, job.name)
        if Remediation.STOP_JOB in remediations:
            stop = carry_out(stopping, findings, (Remediation.STOP_JOB,))
            # A job to be stopped does not get to choose which groups the guard changes.
            if remediations & set(GROUP_CHANGES):
                stop.append(
                    Action(ActionKind.SKIPPED, f"Security groups left as they are: {LEFT_ALONE}.")
                )
            return tuple(stop)
        # The groups of a job that runs are tagged: the visible marker, and what IAM
        # requires before the guards may change them; only groups the guard may change.
        groups = [
            g
            for spec in job.specs
            for gid in spec.security_groups
            if (g := evidence.security_groups.get(gid)) is not None
        ]
        why_not = refusals(self._clients.ec2, self._policy, evidence.security_groups)
        why_not, refused = take_under_guard(self._clients.ec2, self._policy, groups, why_not)
        target = Target(self._clients, why_not)
        changed = carry_out(target, findings, GROUP_CHANGES)
        return tuple(([refused] if refused else []) + changed)

    # --- the record of running jobs -------------------------------------------------

    def _lets_run(self, job: JobFacts, findings: tuple[Finding, ...]) -> bool:
        """A job the guard lets run (in notify mode: would let run) and whose groups it
        therefore keeps in order. An exempt job's groups are not the guard's."""
        stopping = any(remediation_of(f) is Remediation.STOP_JOB for f in findings)
        return not stopping and not self._policy.is_exempt(job.tags or {})

    def _remember(self, job: JobFacts, evidence: Evidence) -> bool:
        """Record the job's groups; False when the record says the job already ended."""
        used_by = f"{job.kind.label} {job.name}"
        sets = [group_set(spec, evidence, used_by) for spec in job.specs]
        uses = job_uses(
            job.arn,
            used_by,
            ((s.ids, s.traffic, s.networks) for s in sets),
            job.runtime_seconds,
            time.time(),
        )
        return self._record.remember(uses, job.created)

    def _skip(
        self,
        resource: str | None,
        reason: str,
        delivery: str | None = None,
        settles: ActionKind | None = None,
    ) -> Summary:
        """A job the guard does not judge now; what an earlier attempt about it left
        untold (a stop it made before it was interrupted) is told all the same."""
        logger.info("event ignored", extra={"resource": resource, "reason": reason})
        skipped = Action(ActionKind.SKIPPED, reason, settles)
        summary = Summary(resource, self._policy.mode.value, (), (skipped,))
        about = _about_job(resource)
        if delivery is None or about is None:
            return summary
        notice = Notice(self._notifier, str(resource), delivery, may_be_untold=True)
        return notice.tell(summary, about, self._policy.exempt_tag_key)


def _would(remediations: set[Remediation]) -> tuple[Action, ...]:
    if Remediation.STOP_JOB in remediations:
        detail = (
            "notify mode: would stop the job; its security groups would be left as they "
            f"are ({LEFT_ALONE})."
        )
    elif group_changes := remediations & set(GROUP_CHANGES):
        detail = f"notify mode: would {' and '.join(sorted(r.value for r in group_changes))}."
    else:
        return ()
    return (Action(ActionKind.SKIPPED, detail),)


def _stopped(status: str | None) -> ActionKind | None:
    return ActionKind.STOPPED if status in {"Stopping", "Stopped"} else None


def _about_job(resource: str | None) -> Subject | None:
    """A job named only by its ARN, as the notification names it."""
    kind_and_name = (arn_field(resource, 5) or "") if resource else ""
    kind, _, name = kind_and_name.partition("/")
    if kind not in {k.value for k in JobKind} or not name or resource is None:
        return None
    region, account = arn_field(resource, 3) or "", arn_field(resource, 4) or ""
    return Subject(JobKind(kind).label, name, account, region)


def _nothing(_: str) -> str | None:
    return None


def trigger_of(event: Event) -> str:
    """Who or what started the evaluation, in identifiers only."""
    if event.detail_type == CLOUDTRAIL_API_CALL:
        call = api_call(event)
        return f"{call.event_name} by {call.caller or 'an unknown caller'}"
    status = event.detail.get("TrainingJobStatus", "HyperParameterTuningJobStatus").value
    return f"{event.detail_type} ({status if isinstance(status, str) else 'unknown status'})"


def _from_cloudtrail(call: ApiCall) -> JobFacts | Ignored:
    parse = CREATE_CALLS.get(call.event_name)
    if call.event_source != "sagemaker.amazonaws.com" or parse is None:
        raise InvalidEventError(
            "event.detail.eventSource/eventName: not a call the job guard handles "
            f"(sagemaker.amazonaws.com {', '.join(CREATE_CALLS)})"
        )
    if call.error_code:
        return Ignored(
            None, f"{call.event_name} failed with {call.error_code}: no job was created."
        )
    if not call.request.present:
        raise call.request.reject("the request's parameters")
    job = parse(call.request, call.response, call.account, call.region)
    return replace(job, created=call.event_time)


__all__ = ["Ended", "Ignored", "JobGuard", "trigger_of"]
