"""`training-guard scan`: the read-only audit of one account and region (DESIGN.md,
"Command line").

Every running training and tuning job is judged with the job guard's own controls and
evidence, and every guarded security group as the security-group guard judges it; the
facts are loaded once for the whole fleet (effects/scan_facts.py). Nothing is changed:
only Describe, List and Get calls are made. boto3 is imported only when a scan runs, so
the command line starts fast.
"""

from __future__ import annotations

import argparse
import io
import os
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from training_guard.config import ConfigError, Policy
from training_guard.controls import evaluate_groups, evaluate_job, facts_needed
from training_guard.facts.evidence import Fact
from training_guard.facts.groups import GroupSet
from training_guard.facts.identifiers import arn
from training_guard.facts.jobs import JobFacts
from training_guard.facts.network import SecurityGroup
from training_guard.group_sets import hand_tagged_set, recorded_sets
from training_guard.model import Finding, Severity
from training_guard.scan_report import (
    Audit,
    ScanFinding,
    ordered,
    render,
    terminal_width,
)

if TYPE_CHECKING:
    from training_guard.effects.aws import Clients
    from training_guard.effects.records import GroupRecord, JobUse
    from training_guard.effects.scan_facts import FleetFacts

FORMATS = ("table", "json", "csv", "asff")
SEVERITIES = tuple(s.name for s in Severity)

EXIT_OK = 0
EXIT_FINDINGS = 1  # a finding at or above --fail-on
EXIT_USAGE = 2  # argparse's own code for a bad command line; also a bad configuration
EXIT_AWS = 3

ACTIVE_STATUS = "InProgress"
# The record names at most a few jobs per group set (as sg_guard.py does).

DESCRIPTION = (
    "Audit the running SageMaker training and tuning jobs and the guarded security groups "
    "of one account and region, read-only, with the default AWS credential chain (and "
    "AWS_ENDPOINT_URL). Jobs are judged as the job guard judges them; guarded groups "
    "(tagged training-guard:guarded=true, or GUARD_TAG_KEY) as the security-group guard "
    "does. DEPLOY_ACCOUNT_IDS, REQUIRE_NETWORK_ISOLATION and the tag keys apply as in the "
    "functions' environment."
)
_HELP_WIDTH = 88  # the epilog's own width: argparse prints both as written
EPILOG = """\
guarded groups:
  With --table (or STATE_TABLE_NAME), a guarded group is judged with the guard's record
  of the running jobs that use it, as sg_guard does. Without either, it is judged as a
  group tagged by hand: for public ingress only. A group finding that a job's finding
  already reports (the same rules on the same group) is listed once, under the job.

exit status:
  0  no finding at or above --fail-on (or no --fail-on)
  1  a finding at or above --fail-on
  2  a usage or configuration error
  3  AWS refused or could not be reached (the message says which call)
"""


@dataclass(frozen=True)
class Paging:
    """Page and batch sizes; None: the largest the API takes. Tests make them small."""

    jobs: int | None = None  # ListTrainingJobs / ListHyperParameterTuningJobs MaxResults
    groups: int | None = None  # DescribeSecurityGroups MaxResults for the guarded groups
    batch: int | None = None  # ids per Describe call for groups, subnets and VPCs


class Progress:
    """A one-line progress report on stderr, rewritten in place; only on a terminal."""

    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        self._stream = stream
        self._enabled = stream.isatty() if enabled is None else enabled
        self._shown = 0

    def show(self, what: str, done: int | None = None, total: int | None = None) -> None:
        if not self._enabled:
            return
        text = what if total is None or done is None else f"{what} {_bar(done, total)}"
        text = text[: max(terminal_width() - 1, 1)]
        self._stream.write("\r" + text.ljust(self._shown))
        self._stream.flush()
        self._shown = len(text)

    def clear(self) -> None:
        if self._enabled and self._shown:
            self._stream.write("\r" + " " * self._shown + "\r")
            self._stream.flush()
            self._shown = 0


# --- the command line ---------------------------------------------------------------


def add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    """The `scan` subcommand's options, description and epilog."""
    parser.description = textwrap.fill(DESCRIPTION, _HELP_WIDTH)
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--region", help="the region to audit (default: the AWS configuration's region)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default, for people), json (only the list of findings on stdout), "
        "csv (with a header row) or asff (AWS Security Finding Format, for Security Hub)",
    )
    parser.add_argument(
        "--fail-on",
        type=str.upper,
        choices=SEVERITIES,
        metavar="SEVERITY",
        help=f"exit 1 when a finding is at least this severe ({', '.join(SEVERITIES)})",
    )
    parser.add_argument(
        "--table",
        metavar="NAME",
        help="the guard's state table, to judge guarded groups with its record of the "
        "running jobs that use them (default: STATE_TABLE_NAME; without either, guarded "
        "groups are judged as tagged by hand: for public ingress only)",
    )


def run_scan(
    options: argparse.Namespace,
    stdout: TextIO,
    stderr: TextIO,
    *,
    session: Any = None,
    paging: Paging | None = None,
    now: datetime | None = None,
) -> int:
    """Run the audit the options ask for and print it; the exit status. `session` (a
    boto3 Session, whose own region then applies) lets tests hook every call."""
    try:
        policy = Policy.from_environment()
    except ConfigError as e:
        stderr.write(f"training-guard scan: {e}\n")
        return EXIT_USAGE
    progress = Progress(stderr)
    table = getattr(options, "table", None) or os.environ.get("STATE_TABLE_NAME", "").strip()
    try:
        result = _audit_account(
            options.region,
            table or None,
            policy,
            session=session,
            paging=paging or Paging(),
            progress=progress,
        )
    except _aws_errors() as e:
        progress.clear()
        stderr.write(f"training-guard scan: AWS error: {' '.join(str(e).split())}\n")
        return EXIT_AWS
    progress.clear()
    stdout.write(render(result, options.format, now=now))
    threshold = getattr(options, "fail_on", None)
    if threshold and any(f.severity.value >= Severity[threshold].value for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _audit_account(
    region: str | None,
    table: str | None,
    policy: Policy,
    *,
    session: Any,
    paging: Paging,
    progress: Progress,
) -> Audit:
    import boto3  # noqa: PLC0415 - only a scan pays for boto3's import

    from training_guard.effects.aws import Clients  # noqa: PLC0415
    from training_guard.effects.records import GroupRecord  # noqa: PLC0415

    clients = Clients.create(session=session or boto3.Session(region_name=region))
    record = GroupRecord(clients.dynamodb, table) if table else None
    return audit(clients, policy, record, paging=paging, progress=progress)


def scan_permissions() -> tuple[str, ...]:
    """The IAM actions a scan may take, all of them reads (README, `training-guard scan`)."""
    from training_guard.effects.fleet import FLEET_PERMISSIONS  # noqa: PLC0415
    from training_guard.effects.jobs import DESCRIBE_PERMISSIONS  # noqa: PLC0415
    from training_guard.effects.records import RECORD_BATCH_READ_PERMISSIONS  # noqa: PLC0415

    facts = (p for fact in Fact for p in fact.permissions)
    return tuple(
        sorted({*FLEET_PERMISSIONS, *DESCRIBE_PERMISSIONS, *RECORD_BATCH_READ_PERMISSIONS, *facts})
    )


def _aws_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    return (BotoCoreError, ClientError)


# --- the audit ----------------------------------------------------------------------


def audit(
    clients: Clients,
    policy: Policy,
    record: GroupRecord | None = None,
    *,
    paging: Paging | None = None,
    progress: Progress | None = None,
) -> Audit:
    """Judge every running job and guarded group of the clients' account and region."""
    from training_guard.effects.scan_facts import FleetFacts  # noqa: PLC0415 - boto3 on use

    paging = paging or Paging()
    progress = progress or Progress(io.StringIO(), enabled=False)
    jobs = _running_jobs(clients, paging, progress)
    guarded, uses = _guarded_groups(clients, policy, record, paging, progress)
    progress.show("Loading facts")
    facts = FleetFacts(clients, facts_needed(policy), batch=paging.batch)
    facts.know(guarded)
    used_groups = [g for entries in uses.values() for use in entries for g in use.groups]
    facts.load(jobs, [*(g.id for g in guarded), *used_groups])
    progress.show("Judging")
    job_findings = [
        (job.arn, f) for job in jobs for f in evaluate_job(job, facts.evidence(job), policy)
    ]
    reported = {_problem(f) for _, f in job_findings}
    region = str(clients.ec2.meta.region_name)
    group_findings = [
        (_group_arn(group, region, jobs), found)
        for group in guarded
        for found in _judge_group(group, uses.get(group.id, []), facts, policy)
        if _problem(found) not in reported
    ]
    findings = [
        ScanFinding(f.control, resource, f.severity, f.message)
        for resource, f in job_findings + group_findings
    ]
    return Audit(tuple(ordered(findings)), len(jobs), len(guarded), record is not None)


def _running_jobs(clients: Clients, paging: Paging, progress: Progress) -> list[JobFacts]:
    from training_guard.effects import fleet  # noqa: PLC0415 - boto3 on use

    progress.show("Listing running jobs")
    listed = fleet.running_jobs(clients.sagemaker, paging.jobs or fleet.PAGE_SIZE)
    jobs: list[JobFacts] = []
    for done, (_, job) in enumerate(fleet.described(clients.sagemaker, listed), 1):
        progress.show("Describing jobs", done, len(listed))
        if job is not None and _judged(job):
            jobs.append(job)
    return jobs


def _guarded_groups(
    clients: Clients,
    policy: Policy,
    record: GroupRecord | None,
    paging: Paging,
    progress: Progress,
) -> tuple[list[SecurityGroup], dict[str, list[JobUse]]]:
    """The guarded groups, and what the record says of the running jobs using each."""
    from training_guard.effects import scan_facts  # noqa: PLC0415 - boto3 on use

    progress.show("Listing guarded security groups")
    page_size = paging.groups or scan_facts.GUARDED_PAGE_SIZE
    guarded = scan_facts.guarded_groups(clients.ec2, policy.guard_tag_key, page_size)
    uses: dict[str, list[JobUse]] = {}
    if record is not None:
        progress.show("Reading the guard's record")
        uses = record.uses_of([g.id for g in guarded])
    return guarded, uses


def _judge_group(
    group: SecurityGroup, uses: Sequence[JobUse], facts: FleetFacts, policy: Policy
) -> list[Finding]:
    """As sg_guard: each recorded job configuration's groups together, else the group alone."""
    sets = _group_sets(group, uses, facts)
    return _unique(found for groups in sets for found in evaluate_groups(groups, policy))


def _group_arn(group: SecurityGroup, region: str, jobs: Sequence[JobFacts]) -> str:
    return arn("ec2", region, group.owner_id or _account(jobs), f"security-group/{group.id}")


def _group_sets(group: SecurityGroup, uses: Sequence[JobUse], facts: FleetFacts) -> list[GroupSet]:
    if not uses:
        return [hand_tagged_set(group, facts.prefix_lists([group]))]
    groups = facts.groups(g for use in uses for g in use.groups)
    return recorded_sets(uses, groups, facts.prefix_lists(groups.values()))


def _judged(job: JobFacts) -> bool:
    """Running, and not a tuning job's child: its tuning job is listed and judged itself."""
    return job.status == ACTIVE_STATUS and not job.parent_tuning_job_arn


def _account(jobs: Sequence[JobFacts]) -> str:
    return jobs[0].account if jobs else ""


def _problem(found: Finding) -> tuple[str, Any]:
    """What makes two findings one problem: the same rules on the same group (the
    evidence a repair acts on), or else the same words."""
    return (found.control, found.evidence if found.evidence is not None else found.message)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _bar(done: int, total: int, size: int = 24) -> str:
    filled = size * done // total if total else size
    return f"[{'#' * filled}{'-' * (size - filled)}] {done}/{total}"


__all__ = [
    "EXIT_AWS",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "FORMATS",
    "Paging",
    "Progress",
    "add_scan_arguments",
    "audit",
    "run_scan",
    "scan_permissions",
]
