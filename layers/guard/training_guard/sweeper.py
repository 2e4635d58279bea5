"""The sweeper: on a schedule, judge every running training and tuning job as its events
would have, and take the guard's tag off groups no running job uses any more.

EventBridge delivers on a best-effort basis, CloudTrail events need a trail, and jobs
that started before the guard was deployed sent their events to nobody. The sweep
visits each InProgress job through the job guard itself (the same controls,
remediation, record and notification, told once per piece of news), so a missed job is
stopped or its groups repaired and recorded. The groups the guard keeps are the groups
of those jobs, so they are judged with them. Only after a whole pass over the jobs does
it untag guarded groups that the record no longer knows: a job it has not visited yet
might use them.

A sweep stops before Lambda's deadline and resumes after the last job it finished, on
the next run: its position is kept in the state table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from training_guard.config import GuardMode, Policy
from training_guard.effects.aws import Clients, error_code
from training_guard.effects.budget import OutOfTime, TimeBudget
from training_guard.effects.fleet import (
    ACTIVE_STATUS,
    DESCRIBE_WORKERS,
    PAGE_SIZE,
    Listed,
    after,
    described,
    running_jobs,
)
from training_guard.effects.records import GroupRecord
from training_guard.effects.scan_facts import guarded_groups
from training_guard.effects.security_groups import unmark_guarded
from training_guard.job_guard import JobGuard
from training_guard.observability import logger

SWEEP_STATE_PERMISSIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")
# Time one job may take, facts to notification, before the reserve the budget keeps:
# no job is started that could not finish before the deadline.
JOB_SECONDS = 20.0
TRIGGER = "Scheduled sweep: the job is running, whether or not its events arrived"
_CURSOR_KEY = "sweep#jobs"
_CURSOR_SECONDS = 24 * 3600  # a position older than a day is of no use


@dataclass
class SweepSummary:
    mode: str
    visited: int = 0
    complete: bool = False
    resume_after: str | None = None
    findings: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, str]] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "visited": self.visited,
            "complete": self.complete,
            "resume_after": self.resume_after,
            "findings": self.findings,
            "actions": self.actions,
            "untagged": self.untagged,
            "errors": self.errors,
        }


class SweepCursor:
    """Where the last sweep stopped, in the state table."""

    def __init__(self, dynamodb: Any, table: str, clock: Callable[[], float] = time.time) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._clock = clock

    def position(self) -> str | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key={"resource": {"S": _CURSOR_KEY}}, ConsistentRead=True
        ).get("Item", {})
        fresh = float(item.get("expires_at", {}).get("N", "0")) > self._clock()
        return item.get("position", {}).get("S") if fresh else None

    def save(self, position: str | None) -> None:
        key = {"resource": {"S": _CURSOR_KEY}}
        if position is None:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="REMOVE #position",
                ExpressionAttributeNames={"#position": "position"},
            )
            return
        self._dynamodb.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="SET #position = :position, expires_at = :expires",
            ExpressionAttributeNames={"#position": "position"},
            ExpressionAttributeValues={
                ":position": {"S": position},
                ":expires": {"N": str(int(self._clock()) + _CURSOR_SECONDS)},
            },
        )


class Sweeper:
    def __init__(
        self,
        clients: Clients,
        policy: Policy,
        job_guard: JobGuard,
        record: GroupRecord,
        cursor: SweepCursor,
        *,
        page_size: int = PAGE_SIZE,
        workers: int = DESCRIBE_WORKERS,
    ) -> None:
        self._clients = clients
        self._policy = policy
        self._job_guard = job_guard
        self._record = record
        self._cursor = cursor
        self._page_size = page_size
        self._workers = workers

    @property
    def budget(self) -> TimeBudget:
        return self._clients.budget

    def handle(
        self, _event: Any = None, own_account: str | None = None, delivery: str | None = None
    ) -> SweepSummary:
        """One sweep run: the jobs after the saved position, then, once a pass is whole,
        the guarded groups no running job uses."""
        summary = SweepSummary(self._policy.mode.value)
        position = self._cursor.position()
        jobs = after(running_jobs(self._clients.sagemaker, self._page_size), position)
        last: Listed | None = None
        visits = described(
            self._clients.sagemaker,
            jobs,
            workers=self._workers,
            go_on=self._time_for_a_job,
            on_error=lambda listed, e: self._failed(listed, e, summary),
        )
        for listed, job in visits:
            if not self._visit(listed, job, summary, delivery):
                break  # out of time: this job is visited again next run
            last = listed
        summary.complete = not jobs or last == jobs[-1]
        summary.resume_after = None if summary.complete else (last.position if last else position)
        self._cursor.save(summary.resume_after)
        # Only a whole pass without errors knows every running job's groups.
        if summary.complete and not summary.errors and self._time_for_a_job():
            self._untag_unused(summary)
        logger.info("sweep", extra={k: v for k, v in summary.to_dict().items() if k != "findings"})
        return summary

    def _visit(self, listed: Listed, job: Any, summary: SweepSummary, delivery: str | None) -> bool:
        """Judge one job through the job guard; False when the time ran out."""
        if not self._time_for_a_job():
            return False  # not started: it could not finish before the deadline
        summary.visited += 1
        if job is None or job.parent_tuning_job_arn or job.status != ACTIVE_STATUS:
            return True  # gone, ended, or judged as its tuning job (listed itself)
        try:
            judged = self._job_guard.guard(job, TRIGGER, delivery)
        except OutOfTime:
            return False
        except (ClientError, BotoCoreError) as e:
            # One job's failure must not stop the sweep; the next run visits it again.
            code = error_code(e) if isinstance(e, ClientError) else type(e).__name__
            logger.warning(
                "sweep could not judge a job", extra={"resource": listed.arn, "code": code}
            )
            summary.errors.append({"resource": listed.arn, "error": code})
            return True
        summary.findings += [{"resource": listed.arn, **f.to_dict()} for f in judged.findings]
        summary.actions += [{"resource": listed.arn, **a.to_dict()} for a in judged.actions]
        return True

    def _failed(self, listed: Listed, error: Exception, summary: SweepSummary) -> None:
        """One job's failure must not stop the sweep; the next pass visits it again."""
        code = error_code(error) if isinstance(error, ClientError) else type(error).__name__
        logger.warning("sweep could not judge a job", extra={"resource": listed.arn, "code": code})
        summary.errors.append({"resource": listed.arn, "error": code})

    def _untag_unused(self, summary: SweepSummary) -> None:
        """Guarded groups the record no longer knows: untagged (enforce mode), or said."""
        key = self._policy.guard_tag_key
        for group in guarded_groups(self._clients.ec2, key):
            if self._record.uses(group.id):
                continue
            if self._policy.mode is GuardMode.NOTIFY:
                summary.untagged.append(f"notify mode: would remove {key} from {group.id}")
                continue
            failed = unmark_guarded(self._clients.ec2, group.id, key)
            if failed is None:
                summary.untagged.append(group.id)
            else:
                summary.actions.append({"resource": group.id, **failed.to_dict()})

    def _time_for_a_job(self) -> bool:
        return self.budget.seconds_left(reporting=False) > JOB_SECONDS
