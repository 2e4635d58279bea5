"""`make bench`: what a cold start costs each handler, beside the floor and Cloud Custodian.

Every figure is one fresh Python process, from the moment the benchmark starts it (fork and
exec included) to a checkpoint inside it: wall time, CPU seconds (user + system, of the whole
process so far) and peak resident memory, the median over ROUNDS runs after one discarded
warm-up run (bytecode and page caches filled; one subject runs on a layer without bytecode).
Subjects take turns within a round, so a slow minute of the machine hits them all alike.

* A handler: `import app` in its function folder (Lambda's /var/task), then one real-shaped
  event handled against the emulator up to its summary, in the environment the template gives
  it (tracing off, the default), in a fresh account: the emulator is reset and a World built
  before every run.
* The floor: `import boto3`, create a client for each service the job guard calls for a
  stop-worthy CloudTrail event, then replay the very calls it made (same operations, order
  and parameters, recorded from a cold run with botocore's `before-parameter-build`
  hook): the least any guard pays to do the same AWS work.
* Cloud Custodian (c7n, in .venv-c7n): import its Lambda handler, load the `sagemaker-job`
  and `security-group` resource types, create the same clients, then make the same calls.
* Each of those three also stops at "+ the event's clients, no call", as issue 8 first
  compared them; the job guard's stage imports its handler, then creates them.
* The job guard once more on a layer without bytecode, as `sam build` makes it.

The emulator runs in a child process (python -m emulator): its work is in the wall times of
the runs that call it, never in their CPU or memory. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore import xform_name

from bench.custodian_env import C7N_VERSION, custodian_python
from bench.harness import emulator_process
from bench.sizes import LAYER, TEMPLATE, artifacts, build_locally
from emulator.server import EMULATOR_ENVIRONMENT
from emulator.world import ACCOUNT, REGION, World

ROUNDS = int(os.environ.get("COLD_START_ROUNDS", "15"))  # fewer for a quick look
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "cold_start.json"
OURS_PYTHON = Path(sys.executable)
HANDLERS = ("job_guard", "sg_guard", "sweeper", "slack_notifier")
STOP_EVENT = "cloudtrail-create-training-job-unencrypted"
SG_EVENT = "cloudtrail-ec2-authorize-ingress-public-nested"
# What EventBridge Scheduler delivers to the sweeper (the template's ScheduleV2 has no Input).
SCHEDULED_EVENT = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}
CUSTODIAN_RESOURCES = ("aws.sagemaker-job", "aws.security-group")
# The stages of a subject.
IMPORTED = "import"
READY = "+ the event's clients, no call"
DONE = "+ the event's calls"
EVENT = "first event, to its summary"
NO_BYTECODE = "first event, layer without .pyc"
TARGET_FLOOR = 1.15  # issue 8: cold start at most 1.15x the floor ...
TARGET_CUSTODIAN = 0.7  # ... and at most 0.7x Cloud Custodian's CPU

# The template's Globals with its parameters' defaults (XRayTracing=Disabled).
FUNCTION_ENVIRONMENT = {
    "GUARD_MODE": "enforce",
    "EXEMPT_TAG_KEY": "training-guard:exempt",
    "DEPLOY_ACCOUNT_IDS": "",
    "REQUIRE_NETWORK_ISOLATION": "false",
    "OWNER_TAG_KEY": "",
    "GUARD_TAG_KEY": "training-guard:guarded",
    "POWERTOOLS_SERVICE_NAME": "training-guard",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "TrainingGuard",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}

# --- the child programs (python -c; argv: result file, start time, argument) -------------

# Measures before it imports anything the subject would not: resource, sys and time are
# built in or already loaded at interpreter start. Peak memory is the process's VmHWM, not
# ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
CHECKPOINT = """\
import resource, sys, time
def checkpoint(outcome=None):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.clock_gettime(time.CLOCK_MONOTONIC) - float(sys.argv[2])
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(sys.argv[1], "w") as out:
        out.write(f"{wall} {usage.ru_utime + usage.ru_stime} {peak}\\n")
        if outcome is not None:
            import json
            out.write(json.dumps(outcome, default=str))
"""
# The attributes Powertools and the guards read from Lambda's context.
CONTEXT = """\
class Context:
    function_name = {name!r}
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:{region}:{account}:function:" + {name!r}
    aws_request_id = {request!r}
    def get_remaining_time_in_millis(self):
        return 60000
"""
HANDLE = """\
import json
import app
summary = app.lambda_handler(json.loads(sys.argv[3]), Context())
checkpoint({outcome})
"""
# Installed before any botocore session exists: every session registers it.
RECORDER = """\
import json
import botocore.handlers
calls = []
def record(params, model, **_):
    copied = json.loads(json.dumps(params, default=str))
    calls.append((model.service_model.service_name, model.name, copied))
botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", record))
"""
CLIENTS = """\
import boto3
session = boto3.Session()
clients = {{service: session.client(service) for service in {services!r}}}
"""
REPLAY = """\
import json
from botocore.exceptions import ClientError
for service, method, params in json.loads(sys.argv[3]):
    try:
        getattr(clients[service], method)(**params)
    except ClientError:
        pass  # as the guard's own call failed, or not: the cost is the same round trip
"""
CUSTODIAN = """\
import c7n.handler
from c7n.resources import load_resources
if load_resources({resources!r}):
    raise SystemExit("c7n lacks a resource type")
"""
ENDPOINTS = "{'boto3': boto3.__version__, 'endpoints': sorted({c.meta.endpoint_url for c in clients.values()})}"  # noqa: E501


def context_code(handler: str) -> str:
    name = handler.replace("_", "-")
    return CONTEXT.format(name=name, region=REGION, account=ACCOUNT, request=str(uuid.uuid4()))


def handler_code(handler: str, *, record: bool = False) -> str:
    outcome = "{'summary': summary, 'calls': calls}" if record else "summary"
    prelude = RECORDER if record else ""
    return CHECKPOINT + prelude + context_code(handler) + HANDLE.format(outcome=outcome)


# --- measuring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float
    rss_kib: int


# A recorded AWS call: service, operation, parameters.
Call = tuple[str, str, dict[str, Any]]
# Given this run's fresh account: extra environment and the child's argument.
Setup = Callable[[World], tuple[dict[str, str], str]]


@dataclass
class Subject:
    group: str
    stage: str
    code: str
    python: Path = OURS_PYTHON
    cwd: Path = ROOT
    setup: Setup | None = None
    environment: dict[str, str] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    outcome: Any = None

    @property
    def key(self) -> str:
        return f"{self.group}: {self.stage}"

    def median(self) -> Sample:
        return Sample(
            statistics.median(s.wall_s for s in self.samples),
            statistics.median(s.cpu_s for s in self.samples),
            int(statistics.median(s.rss_kib for s in self.samples)),
        )


class Bench:
    """The emulator's URL, one boto3 session for building accounts, the children's base
    environment."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = boto3.Session()  # shared: botocore caches service models per session
        self.environment = {
            **os.environ,
            **EMULATOR_ENVIRONMENT,
            **FUNCTION_ENVIRONMENT,
            "AWS_ENDPOINT_URL": url,
        }

    def fresh_world(self) -> World:
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        return World.build(self.session)

    def run(self, subject: Subject, world: World | None = None) -> tuple[Sample, Any]:
        environment, argument = {**self.environment, **subject.environment}, ""
        if subject.setup is not None:
            world = world or self.fresh_world()
            extra, argument = subject.setup(world)
            environment.update(
                NOTIFY_TOPIC_ARN=world.topic_arn, STATE_TABLE_NAME=world.table_name, **extra
            )
        with tempfile.TemporaryDirectory() as scratch:
            result = Path(scratch) / "result"
            started = time.clock_gettime(time.CLOCK_MONOTONIC)
            completed = subprocess.run(
                [str(subject.python), "-c", subject.code, str(result), repr(started), argument],
                cwd=subject.cwd,
                env=environment,
                stdout=subprocess.DEVNULL,  # the handlers' logs and metrics
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                raise RuntimeError(f"{subject.key} failed:\n{completed.stderr[-3000:]}")
            return _parse(result.read_text())


def _parse(text: str) -> tuple[Sample, Any]:
    figures, _, outcome = text.partition("\n")
    wall, cpu, rss = figures.split()
    return Sample(float(wall), float(cpu), int(rss)), json.loads(outcome) if outcome else None


# --- the subjects --------------------------------------------------------------------------


def stop_worthy_job(world: World) -> dict[str, Any]:
    """The unencrypted job's CloudTrail event, its job created as AWS would have."""
    event = world.event(STOP_EVENT)
    world.create_job_for(event)
    return event


def job_guard_setup(world: World) -> tuple[dict[str, str], str]:
    return {}, json.dumps(stop_worthy_job(world))


def sg_guard_setup(world: World) -> tuple[dict[str, str], str]:
    world.keep_group(world.good_group)  # as the job guard records the groups of its jobs
    event = world.event(SG_EVENT)
    world.client("ec2").authorize_security_group_ingress(
        GroupId=world.good_group, IpPermissions=_ingress_requested(event)
    )
    return {}, json.dumps(event)


def _ingress_requested(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules a nested-encoding AuthorizeSecurityGroupIngress event added, as the API
    takes them (CIDR ranges only: what the sample holds)."""
    rules = []
    for item in event["detail"]["requestParameters"]["ipPermissions"]["items"]:
        ranges = [
            {
                "CidrIp": r["cidrIp"],
                **({"Description": r["description"]} if "description" in r else {}),
            }
            for r in item["ipRanges"].get("items", [])
        ]
        rules.append(
            {"IpProtocol": item["ipProtocol"], "FromPort": item["fromPort"],
             "ToPort": item["toPort"], "IpRanges": ranges}
        )  # fmt: skip
    return rules


def sweeper_setup(world: World) -> tuple[dict[str, str], str]:
    stop_worthy_job(world)  # a job whose events never reached the guard
    return {}, json.dumps(SCHEDULED_EVENT)


def slack_setup(webhook: str, event: dict[str, Any]) -> Setup:
    def setup(world: World) -> tuple[dict[str, str], str]:
        arn = world.client("secretsmanager").create_secret(
            Name="training-guard/slack-webhook", SecretString=webhook
        )["ARN"]
        return {"SLACK_WEBHOOK_SECRET_ARN": arn}, json.dumps(event)

    return setup


def replay_setup(calls: list[Call]) -> Setup:
    template = [[service, xform_name(operation), params] for service, operation, params in calls]

    def setup(world: World) -> tuple[dict[str, str], str]:
        stop_worthy_job(world)
        return {}, json.dumps(world.render({"calls": template})["calls"])

    return setup


def handler_subjects(webhook: str, sns_event: dict[str, Any], services: list[str]) -> list[Subject]:
    setups: dict[str, Setup] = {
        "job_guard": job_guard_setup,
        "sg_guard": sg_guard_setup,
        "sweeper": sweeper_setup,
        "slack_notifier": slack_setup(webhook, sns_event),
    }
    subjects = []
    for handler in HANDLERS:
        folder = ROOT / "functions" / handler
        imported = CHECKPOINT + "import app\n"
        subjects.append(Subject(handler, IMPORTED, imported + "checkpoint()\n", cwd=folder))
        if handler == "job_guard":
            ready = imported + CLIENTS.format(services=services) + "checkpoint()\n"
            subjects.append(Subject(handler, READY, ready, cwd=folder))
        code = handler_code(handler)
        subjects.append(Subject(handler, EVENT, code, cwd=folder, setup=setups[handler]))
    return subjects


def floor_subjects(calls: list[Call]) -> list[Subject]:
    imported = CHECKPOINT + "import boto3\n"
    return _with_clients_and_calls("floor", imported, calls, OURS_PYTHON)


def custodian_subjects(python: Path, calls: list[Call]) -> list[Subject]:
    imported = CHECKPOINT + CUSTODIAN.format(resources=CUSTODIAN_RESOURCES)
    return _with_clients_and_calls("custodian", imported, calls, python)


def _with_clients_and_calls(
    group: str, imported: str, calls: list[Call], python: Path
) -> list[Subject]:
    ready = imported + CLIENTS.format(services=services_of(calls))
    return [
        Subject(group, IMPORTED, imported + "checkpoint()\n", python),
        Subject(group, READY, ready + f"checkpoint({ENDPOINTS})\n", python),
        Subject(group, DONE, ready + REPLAY + "checkpoint()\n", python, setup=replay_setup(calls)),
    ]


def services_of(calls: list[Call]) -> list[str]:
    return list(dict.fromkeys(service for service, _, _ in calls))


# --- the recording run and Slack's stand-in ------------------------------------------------


def record_job_guard(bench: Bench) -> tuple[list[Call], dict[str, Any], dict[str, Any]]:
    """One cold job guard run with every call recorded: the calls (this world's ids turned
    back into the samples' placeholders, for World.render), the summary, and the
    notification it published, as the SQS subscriber received it."""
    world = bench.fresh_world()
    recorder = Subject(
        "job_guard",
        "recorded",
        handler_code("job_guard", record=True),
        cwd=ROOT / "functions" / "job_guard",
        setup=job_guard_setup,
    )
    _, outcome = bench.run(recorder, world)
    calls = json.loads(_unrender(json.dumps(outcome["calls"]), world))
    notifications = world.notifications()
    if not notifications:
        raise RuntimeError(f"the job guard published nothing: {outcome['summary']}")
    return [(s, o, p) for s, o, p in calls], outcome["summary"], notifications[0]


def _unrender(text: str, world: World) -> str:
    for placeholder, real in world.ids.items():
        text = text.replace(real, placeholder)
    return text


def sns_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """What Lambda gives a function subscribed to the topic, for a notification the topic
    delivered to the SQS subscriber: the same message (its `sqs` and `lambda` keys carry one
    document), id, subject and attributes (Lambda developer guide, "Invoking Lambda
    functions with Amazon SNS notifications")."""
    topic = envelope["TopicArn"]
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": envelope.get("SignatureVersion", "1"),
                    "Timestamp": envelope["Timestamp"],
                    "Signature": envelope.get("Signature", "EXAMPLE"),
                    "SigningCertUrl": envelope.get("SigningCertURL", "EXAMPLE"),
                    "MessageId": envelope["MessageId"],
                    "Message": envelope["Message"],
                    "MessageAttributes": envelope.get("MessageAttributes", {}),
                    "Type": "Notification",
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL", "EXAMPLE"),
                    "TopicArn": topic,
                    "Subject": envelope.get("Subject"),
                },
            }
        ]
    }


@contextmanager
def slack_stand_in() -> Iterator[str]:
    """A local HTTP server answering every post as a Slack incoming webhook does: 200 "ok"."""

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the benchmark prints its own table

    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T0BENCH/B0BENCH/bench"
    finally:
        server.shutdown()
        server.server_close()


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    name: str
    cpu: float
    wall: float
    target: float | None  # judged on CPU seconds: Lambda's fraction of a CPU scales them

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return f"target <= {self.target:.2f}x: {'PASS' if self.cpu <= self.target else 'MISS'}"


def ratio(name: str, ours: Sample, other: Sample, target: float | None = None) -> Ratio:
    return Ratio(name, ours.cpu_s / other.cpu_s, ours.wall_s / other.wall_s, target)


DEFINITIONS = f"""\
Each figure: a fresh process, from its start to a checkpoint in it; median of {ROUNDS} runs.
  import       handler: `import app` in its function folder, as Lambda imports it.
               floor: `import boto3`.  custodian: `import c7n.handler` and
               load_resources({", ".join(CUSTODIAN_RESOURCES)}).
  + clients    then create, with one boto3 session, a client for each service the job
               guard calls for its event (below); no call.
  + calls      then make the very calls the job guard made, in order, with its parameters.
  first event  the handler handles one event in a fresh account, to its summary.
               "layer without .pyc": the layer as sam builds it (no bytecode), which
               Lambda compiles at every cold start; every other run has bytecode.
The floor and Custodian make the job guard's event's calls; their stages compare with
the job guard's of the same name. The emulator's own work shows in the wall times of the
runs that call it, never in their CPU or memory."""


class Report:
    def __init__(self, subjects: list[Subject], calls: list[Call], summary: Any) -> None:
        self.subjects = subjects
        self.calls = calls
        self.summary = summary
        self.by_key = {s.key: s for s in subjects}

    def median(self, group: str, stage: str) -> Sample:
        return self.by_key[f"{group}: {stage}"].median()

    def ratios(self) -> list[Ratio]:
        guard = {stage: self.median("job_guard", stage) for stage in (IMPORTED, READY, EVENT)}
        floor = {stage: self.median("floor", stage) for stage in (IMPORTED, READY, DONE)}
        custodian = {stage: self.median("custodian", stage) for stage in (IMPORTED, READY, DONE)}
        return [
            ratio("job_guard / floor, first event (same calls)", guard[EVENT], floor[DONE], TARGET_FLOOR),  # noqa: E501
            ratio("job_guard / floor, + clients (no call)", guard[READY], floor[READY], TARGET_FLOOR),  # noqa: E501
            ratio("job_guard / Custodian, first event (same calls)", guard[EVENT], custodian[DONE], TARGET_CUSTODIAN),  # noqa: E501
            ratio("job_guard / Custodian, + clients (no call)", guard[READY], custodian[READY], TARGET_CUSTODIAN),  # noqa: E501
            ratio("job_guard / Custodian, import", guard[IMPORTED], custodian[IMPORTED]),
            ratio("floor / Custodian, + clients (no call)", floor[READY], custodian[READY]),
            ratio("job_guard first event, layer without / with .pyc", self.median("job_guard", NO_BYTECODE), guard[EVENT]),  # noqa: E501
        ]  # fmt: skip

    def print(self) -> None:
        print(DEFINITIONS)
        print(f"\nThe job guard's event: events/{STOP_EVENT}.json; its calls, in order:")
        print("  " + ", ".join(f"{service}:{operation}" for service, operation, _ in self.calls))
        print(f"Its clients: {', '.join(services_of(self.calls))}")
        print(f"Custodian {C7N_VERSION}: {self.custodian_endpoints()}\n")
        print(f"{'subject':15} {'stage':31} {'wall ms':>8} {'CPU ms':>7} {'peak MiB':>9}")
        for subject in self.subjects:
            m = subject.median()
            print(
                f"{subject.group:15} {subject.stage:31} {m.wall_s * 1000:>8.0f} "
                f"{m.cpu_s * 1000:>7.0f} {m.rss_kib / 1024:>9.1f}"
            )
        print("\nWhat each first event did (the last run's summary):")
        for handler in HANDLERS:
            print(f"  {handler:15} {outcome_of(self.by_key[f'{handler}: {EVENT}'].outcome)}")
        print(f"\n{'ratio':48} {'CPU':>6} {'wall':>6}")
        for r in self.ratios():
            print(f"{r.name:48} {r.cpu:>5.2f}x {r.wall:>5.2f}x  {r.verdict}")

    def custodian_endpoints(self) -> str:
        outcome = self.by_key[f"custodian: {READY}"].outcome
        return f"boto3 {outcome['boto3']}, its clients' endpoint {', '.join(outcome['endpoints'])}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "benchmark": "cold_start",
            "rounds": ROUNDS,
            "definitions": DEFINITIONS,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "custodian": {"c7n": C7N_VERSION, **self.by_key[f"custodian: {READY}"].outcome},
            "job_guard_event": {
                "sample": STOP_EVENT,
                "services": services_of(self.calls),
                "calls": [f"{service}:{operation}" for service, operation, _ in self.calls],
                "summary": self.summary,
            },
            "subjects": [
                {
                    "subject": s.group,
                    "stage": s.stage,
                    "median": s.median().__dict__,
                    "samples": [x.__dict__ for x in s.samples],
                }
                for s in self.subjects
            ],
            "ratios": [{**r.__dict__, "verdict": r.verdict} for r in self.ratios()],
        }


def outcome_of(summary: Any) -> str:
    if isinstance(summary, dict) and "actions" in summary:
        actions = [a["action"] for a in summary["actions"]]
        controls = [f["control"] for f in summary.get("findings", [])]
        return f"findings {', '.join(controls) or 'none'}; actions {', '.join(actions) or 'none'}"
    if isinstance(summary, dict) and "records" in summary:
        return f"{len(summary['records'])} record(s): {json.dumps(summary['records'])[:120]}"
    return json.dumps(summary)[:160]


# --- the run -------------------------------------------------------------------------------


def measure(bench: Bench, subjects: list[Subject]) -> None:
    for round_number in range(ROUNDS + 1):
        for subject in subjects:
            sample, outcome = bench.run(subject)
            if round_number:  # round 0 warms the caches
                subject.samples.append(sample)
                subject.outcome = outcome
        print(f"  round {round_number}/{ROUNDS}", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def without_bytecode(layer: Path) -> Subject:
    """The job guard on a layer as `sam build` makes it: sources without .pyc. Lambda's
    /opt is read-only, so such a layer is compiled afresh at every cold start; the
    runtime's standard library keeps its own bytecode, as here."""
    return Subject(
        "job_guard",
        NO_BYTECODE,
        handler_code("job_guard"),
        cwd=ROOT / "functions" / "job_guard",
        setup=job_guard_setup,
        environment={"PYTHONPATH": str(layer), "PYTHONDONTWRITEBYTECODE": "1"},
    )


def layer_without_bytecode(scratch: Path) -> Path:
    layer = next(a for a in artifacts(TEMPLATE.read_text()) if a.kind == LAYER)
    return build_locally([layer], scratch)[layer.name] / "python"


def main() -> None:
    custodian = custodian_python()
    with (
        tempfile.TemporaryDirectory() as scratch,
        emulator_process() as url,
        slack_stand_in() as webhook,
    ):
        os.environ.update({**EMULATOR_ENVIRONMENT, "AWS_ENDPOINT_URL": url})
        bench = Bench(url)
        calls, summary, notification = record_job_guard(bench)
        services = services_of(calls)
        subjects = [
            *handler_subjects(webhook, sns_event(notification), services),
            without_bytecode(layer_without_bytecode(Path(scratch))),
            *floor_subjects(calls),
            *custodian_subjects(custodian, calls),
        ]
        print(f"Cold start: {ROUNDS} runs per subject (median), emulator at {url}\n")
        measure(bench, subjects)
    report = Report(subjects, calls, summary)
    report.print()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
