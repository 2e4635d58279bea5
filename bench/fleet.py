"""`make bench`, part three: `training-guard scan` and the sweep over fleets of running
training jobs, beside Cloud Custodian running the same checks on the same fleet
(issue 8, item 4 (c)).

One emulator runs in a child process. For each fleet size a fresh account is built
from the samples in events/: most jobs compliant, some unencrypted, some without a VPC,
some on the AWS managed key aws/s3, some without keys; each job in a group of its own,
a shared team group, or both; a few groups open to the internet. The guard's record
knows every job with groups, as it would after the jobs' events (notify mode).

Each contender is a process of its own: wall time from its start to its exit, its own
CPU and peak RSS (wait4), the emulator's CPU meanwhile (AWS's side of the work), and
its AWS calls, counted with botocore's `before-call` hook (once per API call):
* `training-guard scan --format json` (run_scan on a counting session);
* `custodian run` with one policy per control on `sagemaker-job` and `security-group`,
  sharing c7n's in-memory resource cache as the policies of one run do;
* the floor under scan's memory: boto3 imported and scan's clients created;
* the sweeper in notify mode, as tests/integration/test_sweeper.py builds it: the first
  sweep after the guard's notices are cleared (it tells each noncompliant job once), and
  a sweep again (nothing new to tell), neither changing the fleet.
Contenders take turns round by round; medians are shown. One more run of ours under
tracemalloc gives Python's own peak. Times include loopback HTTP and moto's work on
the other side of it. Prints figures and writes .bench/fleet.json; asserts nothing.

Only the standard library is imported at module level: the children import this module
too, and their memory is what is measured.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.custodian_env import C7N_VERSION, ROOT, custodian_python

if TYPE_CHECKING:
    from emulator.world import World

FLEET_SIZES = (200, 1000)
ROUNDS = 3
# A sweep of 1,000 jobs takes over a minute here; one run of each kind shows its cost.
SWEEP_ROUNDS = 1
EMULATOR_STOP_SECONDS = 30
RESULTS = ROOT / ".bench" / "fleet.json"

# The targets, as ratios in the same run, for a scan of this many jobs.
TARGET_JOBS = 1000
TARGET_WALL = 0.25
TARGET_MEMORY = 0.6

# Per hundred jobs: what the fleet holds, each kind made from a sample of events/.
MIX = {"compliant": 80, "unencrypted": 6, "no-vpc": 5, "aws-managed-key": 5, "no-keys": 4}
SAMPLES = {
    "compliant": "cloudtrail-create-training-job-compliant",
    "unencrypted": "cloudtrail-create-training-job-unencrypted",
    "no-vpc": "cloudtrail-create-training-job-no-vpc",
    "aws-managed-key": "cloudtrail-create-training-job-aws-managed-key",
    "no-keys": "cloudtrail-create-training-job-compliant",  # its two keys taken out
}
# What each kind of job should be found for: the fleet's own truth, to read the counts by.
EXPECTED = {
    "unencrypted": ("inter-container-encryption",),
    "no-vpc": ("vpc-config",),
    "aws-managed-key": ("kms-customer-managed",),
    "no-keys": ("output-kms", "volume-kms"),
}
SHARED_GROUPS = 5  # team groups, each shared by many jobs
PUBLIC_EVERY = 40  # one job in this many has its own group open to 0.0.0.0/0 on SSH
GUARD_TAG = "training-guard:guarded"
FLOOR_CLIENTS = ("sagemaker", "ec2", "kms", "dynamodb")  # the clients a scan creates
CREATE_TAGS_BATCH = 500  # EC2 CreateTags takes up to 1,000 resources
DELETE_BATCH = 25  # DynamoDB BatchWriteItem takes up to 25 requests

# Cloud Custodian: one policy per control, filters on what DescribeTrainingJob returns.
# c7n registers no kms-key filter on sagemaker-job (c7n/resources/sagemaker.py), so an
# AWS managed key is recognised by its alias only, as the fleet's jobs name it.
_AWS_ALIAS = r"(arn:aws[a-z-]*:kms:[^:]*:[0-9]*:)?alias/aws/"


def _value(key: str, value: Any, op: str | None = None) -> dict[str, Any]:
    """A c7n value filter on a field of the resource as its Describe call returns it."""
    return {"type": "value", "key": key, "value": value, **({"op": op} if op else {})}


JOB_FILTERS: dict[str, list[dict[str, Any]]] = {
    "inter-container-encryption": [
        _value("ResourceConfig.InstanceCount", 1, "gt"),
        _value("EnableInterContainerTrafficEncryption", True, "ne"),
    ],
    "vpc-config": [
        {"or": [
            _value("VpcConfig.Subnets", "empty"),
            _value("VpcConfig.SecurityGroupIds", "empty"),
        ]}
    ],
    "output-kms": [_value("OutputDataConfig.KmsKeyId", "empty")],
    "volume-kms": [_value("ResourceConfig.VolumeKmsKeyId", "empty")],
    "kms-customer-managed": [
        {"or": [
            _value("OutputDataConfig.KmsKeyId", _AWS_ALIAS, "regex"),
            _value("ResourceConfig.VolumeKmsKeyId", _AWS_ALIAS, "regex"),
        ]}
    ],
}  # fmt: skip
GROUP_FILTERS: dict[str, list[dict[str, Any]]] = {
    "sg-no-public-ingress": [
        {f"tag:{GUARD_TAG}": "true"},
        {"or": [
            {"type": "ingress", "Cidr": {"value": "0.0.0.0/0"}},
            {"type": "ingress", "CidrV6": {"value": "::/0"}},
        ]},
    ],
}  # fmt: skip

# Run in Custodian's interpreter: `custodian run` as its console script runs it, with
# every AWS call counted through botocore's list of handlers each new session registers.
_CUSTODIAN_RUNNER = """
import atexit, collections, json, sys, threading
import botocore.handlers
calls, lock = collections.Counter(), threading.Lock()
def count(model, **_):
    with lock:
        calls[model.service_model.service_name + ":" + model.name] += 1
botocore.handlers.BUILTIN_HANDLERS.append(("before-call", count))
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(calls)))
sys.argv = ["custodian", *sys.argv[2:]]
from c7n.cli import main
sys.exit(main())
"""

# Starts the measured process and reaps it with wait4, whose figures are that process's
# own. Linux carries a parent's peak RSS into a child it forks (kept across exec), so the
# launcher is a bare interpreter, far smaller than anything measured, never this one.
_LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
cpu = usage.ru_utime + usage.ru_stime
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "cpu_seconds": cpu, "rss_kib": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""

_JOB_NAME = re.compile(r":training-job/(?P<name>[^/]+)$")
_GROUP_ID = re.compile(r"\bsg-[0-9a-f]+\b")


# --- the fleet ----------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    kind: str
    groups: tuple[str, ...]


@dataclass
class Fleet:
    world: World
    jobs: list[Job] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    public_groups: list[str] = field(default_factory=list)

    def expected(self) -> dict[str, set[str]]:
        """The jobs (or groups) each control should find, by construction."""
        found: dict[str, set[str]] = {c: set() for c in (*JOB_FILTERS, *GROUP_FILTERS)}
        for job in self.jobs:
            for control in EXPECTED.get(job.kind, ()):
                found[control].add(job.name)
        found["sg-no-public-ingress"] = set(self.public_groups)
        return found


def build_fleet(size: int) -> Fleet:
    import boto3  # noqa: PLC0415 - the children measured import this module, not boto3

    from emulator.world import REGION, World  # noqa: PLC0415 - it imports moto

    fleet = Fleet(World.build(boto3.Session(region_name=REGION)))
    templates = {kind: fleet.world.event(sample) for kind, sample in SAMPLES.items()}
    shared = [_new_group(fleet, f"team-{n}", public=False) for n in range(SHARED_GROUPS)]
    for index, kind in enumerate(_kinds(size)):
        job = _new_job(fleet, index, kind, templates[kind], shared)
        fleet.jobs.append(job)
    # Tagged guarded by hand, used by no job: judged for public ingress alone.
    _new_group(fleet, "tagged-by-hand", public=True)
    _tag_guarded(fleet.world, fleet.groups)
    remember_jobs(fleet)
    return fleet


def _kinds(size: int) -> list[str]:
    """The fleet's kinds of job, in the mix's proportions, in a fixed shuffled order."""
    kinds = [kind for kind, share in MIX.items() for _ in range(share * size // 100)]
    kinds += ["compliant"] * (size - len(kinds))
    random.Random(8).shuffle(kinds)
    return kinds


def _new_job(
    fleet: Fleet, index: int, kind: str, template: dict[str, Any], shared: Sequence[str]
) -> Job:
    event = copy.deepcopy(template)
    request = event["detail"]["requestParameters"]
    name = f"fleet-{index:04d}-{kind}"
    request["trainingJobName"] = name
    if kind == "no-keys":
        del request["outputDataConfig"]["kmsKeyId"]
        del request["resourceConfig"]["volumeKmsKeyId"]
    groups: tuple[str, ...] = ()
    if request.get("vpcConfig"):
        groups = _groups_of(fleet, index, shared)
        request["vpcConfig"]["securityGroupIds"] = list(groups)
    fleet.world.create_job_for(event)
    return Job(name, kind, groups)


def _groups_of(fleet: Fleet, index: int, shared: Sequence[str]) -> tuple[str, ...]:
    """Three jobs in five have a group of their own, one a team's, one both."""
    team = shared[index % len(shared)]
    layout = index % 5
    if layout == 3:
        return (team,)
    own = _new_group(fleet, f"job-{index:04d}", public=index % PUBLIC_EVERY == 0)
    return (own, team) if layout == 4 else (own,)


def _new_group(fleet: Fleet, name: str, *, public: bool) -> str:
    """A group with IPsec rules from itself (egress stays allow-all), and SSH from the
    internet if `public`."""
    ec2 = fleet.world.client("ec2")
    group = str(
        ec2.create_security_group(
            GroupName=name, Description=f"SageMaker training ({name})", VpcId=fleet.world.vpc_id
        )["GroupId"]
    )
    rules: list[dict[str, Any]] = [
        {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500,
         "UserIdGroupPairs": [{"GroupId": group}]},
        {"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": group}]},
    ]  # fmt: skip
    if public:
        rules.append(
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        )  # fmt: skip
        fleet.public_groups.append(group)
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
    fleet.groups.append(group)
    return group


def _tag_guarded(world: World, groups: Sequence[str]) -> None:
    """As the job guard tags the groups of the jobs it lets run."""
    for start in range(0, len(groups), CREATE_TAGS_BATCH):
        world.client("ec2").create_tags(
            Resources=list(groups[start : start + CREATE_TAGS_BATCH]),
            Tags=[{"Key": GUARD_TAG, "Value": "true"}],
        )


def remember_jobs(fleet: Fleet) -> None:
    """The guard's record of the running jobs and their groups, as the job guard writes it
    when it lets a job run (notify mode lets every job run)."""
    for job in fleet.jobs:
        if job.groups:
            fleet.world.keep_group(*job.groups, job=job.name, tag=False)


def clear_state(fleet: Fleet) -> None:
    """The state table as the guard left it after the jobs' events, before any sweep:
    the record of the jobs, and no notice told, claimed or sweep position."""
    dynamodb, table = fleet.world.client("dynamodb"), fleet.world.table_name
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="#r", ExpressionAttributeNames={"#r": "resource"}
    ):
        keys = [{"resource": item["resource"]} for item in page.get("Items", [])]
        for start in range(0, len(keys), DELETE_BATCH):
            deletes = [{"DeleteRequest": {"Key": k}} for k in keys[start : start + DELETE_BATCH]]
            while deletes:
                answer = dynamodb.batch_write_item(RequestItems={table: deletes})
                deletes = answer.get("UnprocessedItems", {}).get(table, [])
    remember_jobs(fleet)


# --- running a contender ------------------------------------------------------------


@dataclass(frozen=True)
class EmulatorProcess:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """The emulator's user and system CPU so far: AWS's side of the work, here."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # after the command name: state, ppid, ...
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    """One process, from its start to its exit."""

    seconds: float  # wall time
    cpu_seconds: float  # its own user and system CPU
    server_cpu_seconds: float  # the emulator's CPU meanwhile
    rss_kib: int  # its peak resident set
    calls: dict[str, int]
    output: dict[str, Any]


@dataclass(frozen=True)
class Measured:
    runs: list[Run]
    traced_peak: int | None = None  # tracemalloc's peak, bytes (ours only)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def server_cpu_seconds(self) -> float:
        return statistics.median(r.server_cpu_seconds for r in self.runs)

    @property
    def rss_mib(self) -> float:
        return statistics.median(r.rss_kib for r in self.runs) / 1024

    @property
    def calls(self) -> dict[str, int]:
        return self.runs[0].calls

    @property
    def output(self) -> dict[str, Any]:
        return self.runs[0].output

    def to_dict(self) -> dict[str, Any]:
        return {
            "median_seconds": round(self.seconds, 3),
            "seconds": [round(r.seconds, 3) for r in self.runs],
            "median_cpu_seconds": round(self.cpu_seconds, 3),
            "median_emulator_cpu_seconds": round(self.server_cpu_seconds, 3),
            "median_peak_rss_mib": round(self.rss_mib, 1),
            "peak_rss_mib": [round(r.rss_kib / 1024, 1) for r in self.runs],
            "tracemalloc_peak_mib": (
                None if self.traced_peak is None else round(self.traced_peak / 2**20, 1)
            ),
            "aws_calls": sum(self.calls.values()),
            "calls": dict(sorted(self.calls.items())),
        }


Contender = Callable[[], Run]


def interleaved(contenders: Mapping[str, Contender], rounds: int) -> dict[str, list[Run]]:
    """Each contender once per round, in turn, so that a slower spell of the machine
    weighs on all of them alike."""
    runs: dict[str, list[Run]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, once in contenders.items():
            runs[name].append(once())
    return runs


def run_process(
    command: Sequence[str], env: Mapping[str, str], emulator: EmulatorProcess
) -> tuple[dict[str, float], str]:
    """One process run to its end: its wall time, CPU and peak RSS, the emulator's CPU
    meanwhile; and its stdout."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r", suffix=".json") as usage,
    ):
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, usage.name, *command]
        server_before = emulator.cpu_seconds()
        status = subprocess.run(
            launcher, check=False, env=dict(env), stdout=out, stderr=err, cwd=ROOT
        )
        server = emulator.cpu_seconds() - server_before
        out.seek(0)
        err.seek(0)
        if status.returncode != 0:
            raise RuntimeError(f"{command[:4]} exited {status.returncode}: {err.read()[-2000:]}")
        return {**json.load(usage), "server_cpu_seconds": server}, out.read()


def _run(usage: Mapping[str, float], calls: dict[str, int], output: dict[str, Any]) -> Run:
    return Run(
        usage["seconds"],
        usage["cpu_seconds"],
        usage["server_cpu_seconds"],
        int(usage["rss_kib"]),
        calls,
        output,
    )


@dataclass(frozen=True)
class Ours:
    """One of our children (scan, sweep) as a contender."""

    child: str
    env: Mapping[str, str]
    emulator: EmulatorProcess
    before: Callable[[], None] = lambda: None  # puts the account in the state to measure

    def once(self) -> Run:
        self.before()
        usage, stdout = run_process(self._command(), self.env, self.emulator)
        output = json.loads(stdout)
        return _run(usage, output.pop("calls"), output)

    def traced_peak(self) -> int:
        """Python's own peak allocation, from a run under tracemalloc (slower: not timed)."""
        self.before()
        _, stdout = run_process([*self._command(), "--trace"], self.env, self.emulator)
        return int(json.loads(stdout)["traced_peak"])

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "bench.fleet", "--child", self.child]


@dataclass
class Custodian:
    """`custodian run` with the policies, as a contender; each run in its own output
    directory, with one in-memory resource cache shared by its policies."""

    python: Path
    env: Mapping[str, str]
    emulator: EmulatorProcess
    scratch: Path
    runs: int = 0

    def once(self) -> Run:
        self.runs += 1
        policies, calls = self.scratch / "policies.json", self.scratch / "calls.json"
        policies.write_text(json.dumps(custodian_policies(), indent=1))
        output_dir = self.scratch / f"out-{self.runs}"
        command = [str(self.python), "-c", _CUSTODIAN_RUNNER, str(calls), "run", "-s",
                   str(output_dir), "--cache", "memory", str(policies)]  # fmt: skip
        usage, _ = run_process(command, self.env, self.emulator)
        return _run(usage, json.loads(calls.read_text()), custodian_found(output_dir))


def custodian_policies() -> dict[str, Any]:
    jobs = [{"name": c, "resource": "sagemaker-job", "filters": f} for c, f in JOB_FILTERS.items()]
    groups = [
        {"name": c, "resource": "security-group", "filters": f} for c, f in GROUP_FILTERS.items()
    ]
    return {"policies": jobs + groups}


def custodian_found(output_dir: Path) -> dict[str, Any]:
    """Per policy (control), the jobs or groups it matched."""
    found: dict[str, list[str]] = {}
    for control in (*JOB_FILTERS, *GROUP_FILTERS):
        resources = json.loads((output_dir / control / "resources.json").read_text())
        key = "GroupId" if control in GROUP_FILTERS else "TrainingJobName"
        found[control] = sorted(r[key] for r in resources)
    return found


_GUARD_VARIABLES = frozenset(
    {"VIRTUAL_ENV", "PYTHONPATH", "GUARD_MODE", "EXEMPT_TAG_KEY", "DEPLOY_ACCOUNT_IDS",
     "REQUIRE_NETWORK_ISOLATION", "GUARD_TAG_KEY", "OWNER_TAG_KEY"}
)  # fmt: skip


def child_environment(url: str, fleet: Fleet) -> dict[str, str]:
    from emulator.server import EMULATOR_ENVIRONMENT  # noqa: PLC0415 - it imports moto

    # The guard's settings as they default: no deploy accounts, no exemption key of the
    # shell's, nothing another AWS configuration would point elsewhere.
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in _GUARD_VARIABLES and not k.startswith("AWS_")
    }
    return {
        **environment,
        **EMULATOR_ENVIRONMENT,
        "AWS_ENDPOINT_URL": url,
        "STATE_TABLE_NAME": fleet.world.table_name,
        "NOTIFY_TOPIC_ARN": fleet.world.topic_arn,
    }


# --- the children: what is measured -------------------------------------------------


def _counting_session(*, boto3_session: bool) -> tuple[Any, Counter[str]]:
    """A session whose every API call is counted. `boto3_session`: a boto3 Session, as
    `training-guard scan` makes; else botocore's own, as the Lambda handlers make (they
    never import boto3)."""
    calls: Counter[str] = Counter()
    lock = threading.Lock()  # jobs are described by several threads at once

    def count(model: Any, **_: Any) -> None:
        with lock:
            calls[f"{model.service_model.service_name}:{model.name}"] += 1

    if boto3_session:
        import boto3  # noqa: PLC0415 - inside the measured process, on its clock

        session = boto3.Session()
        session.events.register("before-call", count)
        return session, calls
    import botocore.session  # noqa: PLC0415 - inside the measured process, on its clock

    core = botocore.session.get_session()
    core.register("before-call", count)
    return core, calls


def child_scan() -> dict[str, Any]:
    """`training-guard scan --format json`, with the state table, on a counting session."""
    from training_guard.scan import run_scan  # noqa: PLC0415 - on the child's clock

    session, calls = _counting_session(boto3_session=True)
    out, err = io.StringIO(), io.StringIO()
    options = argparse.Namespace(region=None, format="json", fail_on=None, table=None)
    status = run_scan(options, out, err, session=session)
    if status != 0:
        raise SystemExit(f"scan exited {status}: {err.getvalue()}")
    return {"calls": dict(calls), "findings": json.loads(out.getvalue())}


def child_sweep() -> dict[str, Any]:
    """One sweep in notify mode, built as tests/integration/test_sweeper.py builds it."""
    # Imported on the child's clock, as a cold sweeper imports them.
    from training_guard.config import GuardMode, Policy  # noqa: PLC0415
    from training_guard.effects.aws import Clients  # noqa: PLC0415
    from training_guard.effects.notify import Notifier  # noqa: PLC0415
    from training_guard.effects.records import GroupRecord  # noqa: PLC0415
    from training_guard.job_guard import JobGuard  # noqa: PLC0415
    from training_guard.observability import logger  # noqa: PLC0415
    from training_guard.sweeper import SweepCursor, Sweeper  # noqa: PLC0415

    logger.setLevel("ERROR")
    session, calls = _counting_session(boto3_session=False)
    table, topic = os.environ["STATE_TABLE_NAME"], os.environ["NOTIFY_TOPIC_ARN"]
    clients = Clients.create(session=session)
    policy = Policy(mode=GuardMode.NOTIFY)
    notifier = Notifier(clients.sns, topic, clients.dynamodb, table)
    record = GroupRecord(clients.dynamodb, table)
    job_guard = JobGuard(clients, policy, notifier, record)
    sweeper = Sweeper(clients, policy, job_guard, record, SweepCursor(clients.dynamodb, table))
    with redirect_stdout(io.StringIO()):  # metrics go to stdout
        summary = sweeper.handle().to_dict()
    return {
        "calls": dict(calls),
        "visited": summary["visited"],
        "complete": summary["complete"],
        "findings": len(summary["findings"]),
        "actions": dict(Counter(a["action"] for a in summary["actions"])),
        "errors": len(summary["errors"]),
    }


def child_floor() -> dict[str, Any]:
    """The floor under scan's memory: boto3 imported and scan's clients created, no call."""
    session, calls = _counting_session(boto3_session=True)
    for service in FLOOR_CLIENTS:
        session.client(service)
    return {"calls": dict(calls)}


CHILDREN: dict[str, Callable[[], dict[str, Any]]] = {
    "scan": child_scan,
    "sweep": child_sweep,
    "floor": child_floor,
}


def run_child(name: str, trace: bool) -> None:
    if trace:
        tracemalloc.start()
    result = CHILDREN[name]()
    if trace:
        result = {"traced_peak": tracemalloc.get_traced_memory()[1]}
        tracemalloc.stop()
    print(json.dumps(result))


# --- findings, compared -------------------------------------------------------------


def scan_found(findings: Sequence[Mapping[str, str]]) -> dict[str, set[str]]:
    """Per control, what scan found, in Custodian's units: the job, or for public ingress
    the group (scan reports a job's open group under the job, once per job using it)."""
    found: dict[str, set[str]] = {}
    for finding in findings:
        control = finding["control"]
        if control == "sg-no-public-ingress":
            group = _GROUP_ID.search(finding["message"])
            unit = group.group() if group else finding["resource"]
        else:
            job = _JOB_NAME.search(finding["resource"])
            unit = job["name"] if job else finding["resource"]
        found.setdefault(control, set()).add(unit)
    return found


def compare(
    fleet: Fleet, scan: Sequence[Mapping[str, str]], theirs: Mapping[str, Sequence[str]]
) -> dict[str, dict[str, Any]]:
    ours_found, expected = scan_found(scan), fleet.expected()
    raw = Counter(f["control"] for f in scan)
    table: dict[str, dict[str, Any]] = {}
    for control in sorted({*expected, *ours_found, *theirs}):
        mine, their = ours_found.get(control, set()), set(theirs.get(control, ()))
        table[control] = {
            "fleet": len(expected.get(control, ())),
            "scan_findings": raw[control],
            "scan": len(mine),
            "custodian": len(their) if control in theirs else None,
            "same": control in theirs and mine == their,
            "only_scan": sorted(mine - their)[:5],
            "only_custodian": sorted(their - mine)[:5],
        }
    return table


# --- the report ---------------------------------------------------------------------


def ratio(ours_value: float, theirs_value: float) -> float:
    return ours_value / theirs_value if theirs_value else float("inf")


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "MISS"


def print_runs(size: int, rows: Sequence[tuple[str, Measured, str]]) -> None:
    print(f"\n{size} running training jobs")
    print(
        f"{'run':32} {'wall s':>7} {'CPU s':>6} {'emu CPU s':>9} {'AWS calls':>9} "
        f"{'RSS MiB':>7} {'traced MiB':>10}  found"
    )
    for label, measured, found in rows:
        traced = "-" if measured.traced_peak is None else f"{measured.traced_peak / 2**20:.1f}"
        print(
            f"{label:32} {measured.seconds:>7.2f} {measured.cpu_seconds:>6.2f} "
            f"{measured.server_cpu_seconds:>9.2f} {sum(measured.calls.values()):>9} "
            f"{measured.rss_mib:>7.1f} {traced:>10}  {found}"
        )
        top = sorted(measured.calls.items(), key=lambda c: (-c[1], c[0]))
        if top:
            print("    " + ", ".join(f"{call} {n}" for call, n in top))


def print_findings(table: Mapping[str, Mapping[str, Any]]) -> None:
    print(f"\n{'control (jobs or groups found)':32} {'fleet':>5} {'scan':>5} {'c7n':>5}  same")
    for control, row in table.items():
        theirs = "-" if row["custodian"] is None else row["custodian"]
        differs = ""
        if row["only_scan"] or row["only_custodian"]:
            differs = f"  only scan {row['only_scan']}, only c7n {row['only_custodian']}"
        print(
            f"{control:32} {row['fleet']:>5} {row['scan']:>5} {theirs:>5}  "
            f"{'yes' if row['same'] else 'NO'}{differs}"
        )


def print_ratios(size: int, ratios: Mapping[str, float], same: bool) -> None:
    wall, memory = ratios["scan_wall"], ratios["scan_rss"]
    print(
        f"scan / Custodian, {size} jobs: wall {wall:.2f}x, peak RSS {memory:.2f}x, "
        f"CPU {ratios['scan_cpu']:.2f}x, emulator CPU {ratios['scan_emulator_cpu']:.2f}x "
        f"(the floor's RSS alone: {ratios['floor_rss']:.2f}x)"
    )
    if size == TARGET_JOBS:
        print(
            f"  targets: wall <= {TARGET_WALL}x {verdict(wall, TARGET_WALL)}, "
            f"peak memory <= {TARGET_MEMORY}x {verdict(memory, TARGET_MEMORY)}, "
            f"same findings {'PASS' if same else 'MISS'}"
        )
    print(
        f"sweep / Custodian, {size} jobs: first {ratios['sweep_first_wall']:.2f}x wall, "
        f"again {ratios['sweep_again_wall']:.2f}x wall, {ratios['sweep_again_rss']:.2f}x RSS"
    )


# --- the benchmark ------------------------------------------------------------------


@contextmanager
def emulator_process() -> Iterator[EmulatorProcess]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        yield EmulatorProcess(process.stdout.readline().strip(), process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=EMULATOR_STOP_SECONDS)
        except subprocess.TimeoutExpired:  # moto's server can take long to let go of a fleet
            process.kill()
            process.wait()


def measure_fleet(
    emulator: EmulatorProcess, size: int, rounds: int, sweep_rounds: int, python: Path
) -> dict[str, Any]:
    import requests  # noqa: PLC0415 - the parent's alone

    requests.post(f"{emulator.url}/moto-api/reset", timeout=10).raise_for_status()
    fleet = build_fleet(size)
    env = child_environment(emulator.url, fleet)
    scan, theirs, floor = _scan_beside_custodian(emulator, env, rounds, python)
    sweep_first, sweep_again = _sweeps(emulator, env, sweep_rounds, fleet)
    findings = scan.output["findings"]
    table = compare(fleet, findings, theirs.output)
    same = all(row["same"] for row in table.values())
    ratios = {
        "scan_wall": ratio(scan.seconds, theirs.seconds),
        "scan_rss": ratio(scan.rss_mib, theirs.rss_mib),
        "scan_cpu": ratio(scan.cpu_seconds, theirs.cpu_seconds),
        "floor_rss": ratio(floor.rss_mib, theirs.rss_mib),
        "scan_emulator_cpu": ratio(scan.server_cpu_seconds, theirs.server_cpu_seconds),
        "sweep_first_wall": ratio(sweep_first.seconds, theirs.seconds),
        "sweep_again_wall": ratio(sweep_again.seconds, theirs.seconds),
        "sweep_again_rss": ratio(sweep_again.rss_mib, theirs.rss_mib),
    }
    c7n_found = sum(len(v) for v in theirs.output.values())
    print_runs(
        size,
        [
            ("training-guard scan --format json", scan, f"{len(findings)} findings"),
            (f"custodian run ({len(table)} policies)", theirs, f"{c7n_found} resources"),
            ("floor: boto3 and scan's clients", floor, "no call"),
            ("sweep, first (notify mode)", sweep_first, _sweep_found(sweep_first)),
            ("sweep, again (nothing new)", sweep_again, _sweep_found(sweep_again)),
        ],
    )
    print_findings(table)
    print_ratios(size, ratios, same)
    return {
        "jobs": size,
        "kinds": dict(Counter(job.kind for job in fleet.jobs)),
        "groups": len(fleet.groups),
        "public_groups": len(fleet.public_groups),
        "scan": {**scan.to_dict(), "findings": len(findings)},
        "custodian": {**theirs.to_dict(), "resources": c7n_found},
        "floor": floor.to_dict(),
        "sweep_first": {**sweep_first.to_dict(), **_sweep_summary(sweep_first)},
        "sweep_again": {**sweep_again.to_dict(), **_sweep_summary(sweep_again)},
        "findings": table,
        "same_findings": same,
        "ratios": {k: round(v, 3) for k, v in ratios.items()},
    }


def _scan_beside_custodian(
    emulator: EmulatorProcess, env: Mapping[str, str], rounds: int, python: Path
) -> tuple[Measured, Measured, Measured]:
    """Scan, Custodian and the floor in turn; tracemalloc's peaks after."""
    scan, floor = Ours("scan", env, emulator), Ours("floor", env, emulator)
    with tempfile.TemporaryDirectory(prefix="c7n-fleet-") as scratch:
        custodian = Custodian(python, env, emulator, Path(scratch))
        contenders = {"scan": scan.once, "custodian": custodian.once, "floor": floor.once}
        runs = interleaved(contenders, rounds)
    return (
        Measured(runs["scan"], scan.traced_peak()),
        Measured(runs["custodian"]),
        Measured(runs["floor"], floor.traced_peak()),
    )


def _sweeps(
    emulator: EmulatorProcess, env: Mapping[str, str], rounds: int, fleet: Fleet
) -> tuple[Measured, Measured]:
    """The first sweep (the notices cleared before each run) and a sweep right after it.
    tracemalloc's peak is taken of the second only: the two differ by the notices told."""
    first = Ours("sweep", env, emulator, before=lambda: clear_state(fleet))
    again = Ours("sweep", env, emulator)
    runs = interleaved({"first": first.once, "again": again.once}, rounds)
    return Measured(runs["first"]), Measured(runs["again"], again.traced_peak())


def _point_at(url: str) -> None:
    """This process builds the fleets through the emulator, as the tests do."""
    from emulator.server import EMULATOR_ENVIRONMENT  # noqa: PLC0415 - it imports moto

    os.environ.update({**EMULATOR_ENVIRONMENT, "AWS_ENDPOINT_URL": url})


def _sweep_summary(measured: Measured) -> dict[str, Any]:
    output = measured.output
    return {k: output[k] for k in ("visited", "complete", "findings", "actions", "errors")}


def _sweep_found(measured: Measured) -> str:
    output = measured.output
    return f"{output['visited']} jobs, {output['findings']} findings, {output['actions']}"


def run(sizes: Sequence[int], rounds: int, sweep_rounds: int) -> dict[str, Any]:
    import warnings  # noqa: PLC0415

    warnings.filterwarnings("ignore")
    python = custodian_python()
    with emulator_process() as emulator:
        _point_at(emulator.url)
        print(
            f"Fleet scan and sweep beside Cloud Custodian {C7N_VERSION}, each a process of its "
            f"own: median of {rounds} runs ({sweep_rounds} for sweeps); emulator at "
            f"{emulator.url}"
        )
        fleets = [measure_fleet(emulator, n, rounds, sweep_rounds, python) for n in sizes]
    target = next((f for f in fleets if f["jobs"] == TARGET_JOBS), None)
    report = {
        "benchmark": "fleet",
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "c7n_version": C7N_VERSION,
        "rounds": rounds,
        "sweep_rounds": sweep_rounds,
        "cpus": os.cpu_count(),
        "fleets": fleets,
        "targets": _targets(target),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return report


def _targets(fleet: Mapping[str, Any] | None) -> dict[str, Any]:
    if fleet is None:
        return {"measured": False, "why": f"no fleet of {TARGET_JOBS} jobs in this run"}
    wall, memory = fleet["ratios"]["scan_wall"], fleet["ratios"]["scan_rss"]
    return {
        "measured": True,
        "scan_wall_ratio": wall,
        "scan_wall_target": TARGET_WALL,
        "scan_wall": verdict(wall, TARGET_WALL),
        "scan_memory_ratio": memory,
        "scan_memory_target": TARGET_MEMORY,
        "scan_memory": verdict(memory, TARGET_MEMORY),
        "same_findings": "PASS" if fleet["same_findings"] else "MISS",
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--sizes", type=int, nargs="+", default=list(FLEET_SIZES))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--sweep-rounds", type=int, default=SWEEP_ROUNDS)
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        run_child(arguments.child, arguments.trace)
        return
    run(arguments.sizes, arguments.rounds, arguments.sweep_rounds)


if __name__ == "__main__":
    main()
