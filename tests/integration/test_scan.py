"""`training-guard scan` against the emulator: a fleet of running jobs made from the
samples in events/, judged as the job guard judges each of them, with every fact
loaded once, across page boundaries (small pages), and nothing written.
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import json
import math
import textwrap
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from emulator.world import World
from tests.integration.conftest import Invoke, fresh_session
from tests.integration.ec2_changes import cloudtrail_event
from tests.integration.faults import HttpFault
from training_guard.config import Policy
from training_guard.controls import facts_needed
from training_guard.effects.aws import Clients
from training_guard.effects.fleet import described, running_jobs
from training_guard.effects.loaders import load_evidence
from training_guard.effects.scan_facts import FleetFacts, _stands_for
from training_guard.facts.keys import KeyFacts
from training_guard.scan import (
    EXIT_AWS,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    Paging,
    add_scan_arguments,
    run_scan,
    scan_permissions,
)
from training_guard.scan_report import FIELDS

pytestmark = pytest.mark.integration

SMALL = Paging(jobs=2, groups=5, batch=2)
SAMPLES = (
    "cloudtrail-create-training-job-compliant",
    "cloudtrail-create-training-job-unencrypted",
    "cloudtrail-create-training-job-no-vpc",
    "cloudtrail-create-training-job-aws-managed-key",
    "cloudtrail-create-hyper-parameter-tuning-job",
    "cloudtrail-create-training-job-missing-ipsec",
)
COPIES = 5  # compliant jobs, each on a group of its own
CHILD = "xgb-tuning-unencrypted-001-abc"
OPERATOR = "arn:aws:sts::123456789012:assumed-role/NetworkAdminRole/bob"
SSH_FROM_ANYWHERE = {
    "IpProtocol": "tcp",
    "FromPort": 22,
    "ToPort": 22,
    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
}


@dataclass
class Scan:
    code: int
    out: str
    err: str
    calls: Counter[str] = field(default_factory=Counter)  # "service:Operation"
    params: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def findings(self) -> list[dict[str, str]]:
        return json.loads(self.out)  # type: ignore[no-any-return]


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="training-guard scan")
    add_scan_arguments(parser)
    return parser.parse_args(argv)


def scan(*argv: str, paging: Paging = SMALL, fault: HttpFault | None = None) -> Scan:
    """Run the command on a session of its own, recording every call it makes."""
    session = fresh_session()
    out, err = io.StringIO(), io.StringIO()
    result = Scan(0, "", "")

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        result.calls[f"{model.service_model.signing_name}:{model.name}"] += 1
        result.params.append((model.name, params))

    session.events.register("before-parameter-build", record)
    if fault is not None:
        fault.install(session)
    result.code = run_scan(parse(*argv), out, err, session=session, paging=paging)
    result.out, result.err = out.getvalue(), err.getvalue()
    return result


def job_event(world: World, sample: str, name: str | None = None, group: str | None = None) -> Any:
    event = copy.deepcopy(world.event(sample))
    request = event["detail"]["requestParameters"]
    if name is not None:
        request["trainingJobName"] = name
        response = event["detail"]["responseElements"]
        response["trainingJobArn"] = response["trainingJobArn"].rsplit("/", 1)[0] + f"/{name}"
        # Another call: another event, request and delivery.
        event["id"], event["detail"]["eventID"], event["detail"]["requestID"] = (
            str(uuid.uuid4()) for _ in range(3)
        )
    if group is not None:
        request["vpcConfig"]["securityGroupIds"] = [group]
    return event


def plain_group(world: World, name: str) -> str:
    """A training group without the IPsec self rules."""
    return str(
        world.client("ec2").create_security_group(
            GroupName=name, Description=f"training ({name})", VpcId=world.vpc_id
        )["GroupId"]
    )


def build_fleet(world: World) -> list[dict[str, Any]]:
    """The sample jobs, compliant copies on groups of their own, and a tuning job's
    child; the events that reported each (the child's is not among them)."""
    events = [world.event(sample) for sample in SAMPLES]
    events += [
        job_event(
            world,
            "cloudtrail-create-training-job-compliant",
            f"fraud-model-copy-{n}",
            plain_group(world, f"training-copy-{n}"),
        )
        for n in range(COPIES)
    ]
    third_subnet = world.client("ec2").create_subnet(
        VpcId=world.vpc_id, CidrBlock="10.0.3.0/24", AvailabilityZone="us-east-1c"
    )["Subnet"]["SubnetId"]
    events[-1]["detail"]["requestParameters"]["vpcConfig"]["subnets"].append(third_subnet)
    for event in events:
        world.create_job_for(event)
    world.create_job_for(job_event(world, "cloudtrail-create-training-job-compliant", CHILD))
    tuning = events[SAMPLES.index("cloudtrail-create-hyper-parameter-tuning-job")]
    world.mark_tuning_child(
        CHILD, tuning["detail"]["responseElements"]["hyperParameterTuningJobArn"]
    )
    return events


def training_jobs(events: list[dict[str, Any]]) -> int:
    """The training jobs of a fleet from build_fleet: those reported, and the child."""
    return sum(e["detail"]["eventName"] == "CreateTrainingJob" for e in events) + 1


def as_tuples(findings: list[dict[str, str]], resource: str | None = None) -> set[tuple[str, ...]]:
    return {
        (resource or f["resource"], f["control"], f["severity"], f["message"]) for f in findings
    }


def group_arn(world: World, group_id: str) -> str:
    return f"arn:aws:ec2:us-east-1:123456789012:security-group/{group_id}"


# --- the same findings as the guards -----------------------------------------------------


def test_scan_finds_what_job_guard_finds_for_each_job(world: World, invoke: Invoke) -> None:
    events = build_fleet(world)
    result = scan("--format", "json")
    assert result.code == EXIT_OK
    jobs = {f for f in as_tuples(result.findings) if ":sagemaker:" in f[0]}

    # Then the job guard, event by event (it acts: after the scan).
    guarded: set[tuple[str, ...]] = set()
    for event in events:
        summary = invoke(event)
        guarded |= as_tuples(summary["findings"], summary["resource"])

    assert jobs == guarded
    assert {f[1] for f in jobs} == {
        "inter-container-encryption",
        "vpc-config",
        "kms-customer-managed",
        "sg-ipsec-self-rules",
    }
    assert not [f for f in jobs if CHILD in f[0]]  # judged as its tuning job
    # The list calls crossed page boundaries.
    assert result.calls["sagemaker:ListTrainingJobs"] >= math.ceil(training_jobs(events) / 2)


def test_guarded_groups_are_judged_as_sg_guard_judges_them(
    world: World, invoke_sg: Invoke, configure: Any
) -> None:
    """A hand-tagged group open to the internet, and a group the record says a job that
    the scan does not see uses (it started elsewhere), lacking the IPsec rules."""
    world.client("ec2").authorize_security_group_ingress(
        GroupId=world.web_group, IpPermissions=[SSH_FROM_ANYWHERE]
    )
    world.guard_group(world.web_group)
    world.keep_group(world.bad_group, job="started-before-the-scan")

    result = scan("--format", "json")  # STATE_TABLE_NAME is set: the record is read
    assert result.code == EXIT_OK

    configure(GUARD_MODE="notify")  # sg_guard then reports without changing a rule
    expected: set[tuple[str, ...]] = set()
    for group in (world.web_group, world.bad_group):
        event = cloudtrail_event(
            "AuthorizeSecurityGroupIngress",
            {"GroupId": group, "IpPermissions": [SSH_FROM_ANYWHERE]},
            OPERATOR,
        )
        summary = invoke_sg(event)
        expected |= as_tuples(summary["findings"], summary["resource"])
    assert as_tuples(result.findings) == expected
    assert {(f[0], f[1]) for f in expected} == {
        (group_arn(world, world.web_group), "sg-no-public-ingress"),
        (group_arn(world, world.bad_group), "sg-ipsec-self-rules"),
    }


def test_without_the_record_guarded_groups_are_judged_as_tagged_by_hand(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    world.keep_group(world.bad_group, job="started-before-the-scan")
    monkeypatch.delenv("STATE_TABLE_NAME")
    result = scan()
    assert result.code == EXIT_OK
    assert "dynamodb:GetItem" not in result.calls
    assert result.out.splitlines() == [
        "No findings in 0 running jobs and 1 guarded security group.",
        *textwrap.wrap(
            "Guarded groups were judged without the guard's record (no --table or "
            "STATE_TABLE_NAME): for public ingress only.",
            100,
        ),
    ]


def test_a_group_problem_a_job_reports_is_listed_once(world: World) -> None:
    world.create_job_for(world.event("cloudtrail-create-training-job-missing-ipsec"))
    world.keep_group(world.bad_group, job="fraud-model-open-sg")
    findings = scan("--format", "json").findings
    assert [(f["control"], f["resource"].rsplit(":", 1)[1]) for f in findings] == [
        ("sg-ipsec-self-rules", "training-job/fraud-model-open-sg")
    ]


# --- each fact once ------------------------------------------------------------------------


def test_each_fact_is_loaded_once_in_batches(world: World, configure: Any) -> None:
    configure(DEPLOY_ACCOUNT_IDS="210987654321")  # key policies are read too
    events = build_fleet(world)
    world.guard_group(world.good_group)  # listed as guarded: not described again
    result = scan("--format", "json")
    assert result.code == EXIT_OK

    vpc_configs = [
        e["detail"]["requestParameters"].get("vpcConfig")
        or e["detail"]["requestParameters"].get("trainingJobDefinition", {}).get("vpcConfig")
        for e in events
    ]
    groups = {g for c in vpc_configs if c for g in c["securityGroupIds"]} - {world.good_group}
    subnets = {n for c in vpc_configs if c for n in c["subnets"]}
    assert (len(groups), len(subnets)) == (COPIES + 1, 3)
    # Each asked once, in batches of SMALL.batch; the guarded group not at all.
    assert sorted(asked(result, "DescribeSecurityGroups", "group-id")) == sorted(groups)
    assert sorted(asked(result, "DescribeSubnets", "subnet-id")) == sorted(subnets)
    guarded_pages = 1
    assert result.calls["ec2:DescribeSecurityGroups"] == guarded_pages + math.ceil(len(groups) / 2)
    assert result.calls["ec2:DescribeSubnets"] == math.ceil(len(subnets) / 2)
    assert result.calls["ec2:DescribeVpcEndpoints"] == 1  # one VPC
    # The key by ARN and by key id is one key, its alias another reference; alias/aws/s3
    # is judged without a call.
    assert result.calls["kms:DescribeKey"] == 2
    assert result.calls["kms:GetKeyPolicy"] == 2
    assert result.calls["ec2:DescribeInstanceTypes"] == 0  # the table knows ml.m5
    training = training_jobs(events)
    assert result.calls["sagemaker:DescribeTrainingJob"] == training
    assert result.calls["sagemaker:DescribeHyperParameterTuningJob"] == 1
    # Tags of every job but the child (judged as its tuning job): the tuning job's instead.
    assert result.calls["sagemaker:ListTags"] == training
    listing = [
        p for name, p in result.params if name == "DescribeSecurityGroups" and "MaxResults" in p
    ]
    assert [p["MaxResults"] for p in listing] == [SMALL.groups]


def asked(result: Scan, operation: str, filter_name: str) -> list[str]:
    """The ids a scan asked for with this filter, each time it asked."""
    return [
        value
        for name, params in result.params
        if name == operation
        for f in params.get("Filters", [])
        if f["Name"] == filter_name
        for value in f["Values"]
    ]


def test_scan_is_read_only(world: World, configure: Any) -> None:
    configure(DEPLOY_ACCOUNT_IDS="210987654321")
    build_fleet(world)
    world.client("ec2").authorize_security_group_ingress(
        GroupId=world.web_group, IpPermissions=[SSH_FROM_ANYWHERE]
    )
    world.guard_group(world.web_group)
    world.keep_group(world.bad_group)
    result = scan("--format", "json")
    assert result.findings
    operations = set(result.calls)
    assert {op.split(":")[1] for op in operations} >= {"BatchGetItem", "DescribeKey", "ListTags"}
    assert all(
        op.split(":")[1].startswith(("Describe", "List", "Get", "BatchGet")) for op in operations
    )
    assert operations <= set(scan_permissions())
    # Nothing changed: the job the guard would stop runs, the public rule is there.
    status = world.client("sagemaker").describe_training_job(
        TrainingJobName="fraud-model-unencrypted"
    )["TrainingJobStatus"]
    assert status == "InProgress"
    assert world.published() == []


# --- output formats and exit codes --------------------------------------------------------


def test_json_is_only_the_list_of_findings(world: World) -> None:
    build_fleet(world)
    result = scan("--format", "json")
    assert result.err == ""  # no progress bar: stderr is not a terminal
    findings = result.findings
    assert findings
    assert all(list(f) == list(FIELDS) for f in findings)
    assert all(isinstance(v, str) and v for f in findings for v in f.values())


def test_csv_has_a_header_and_the_json_rows(world: World) -> None:
    build_fleet(world)
    rows = list(csv.DictReader(io.StringIO(scan("--format", "csv").out)))
    assert rows == scan("--format", "json").findings


def test_table_ends_with_a_summary(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough for one line of summary
    build_fleet(world)
    lines = scan().out.splitlines()
    assert lines[0].split() == ["SEVERITY", "CONTROL", "RESOURCE", "MESSAGE"]
    assert (
        lines[-1]
        == "10 findings (4 HIGH, 6 MEDIUM) in 11 running jobs and 0 guarded security groups."
    )


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [("CRITICAL", EXIT_OK), ("high", EXIT_FINDINGS), ("LOW", EXIT_FINDINGS)],
)
def test_fail_on(world: World, fail_on: str, code: int) -> None:
    build_fleet(world)
    assert scan("--format", "json", "--fail-on", fail_on).code == code


def test_fail_on_without_findings(world: World) -> None:
    world.create_job_for(world.event("cloudtrail-create-training-job-compliant"))
    result = scan("--fail-on", "LOW")
    assert result.code == EXIT_OK
    assert "No findings in 1 running job and 0 guarded security groups." in result.out


def test_a_bad_severity_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        parse("--fail-on", "SEVERE")
    assert exit_.value.code == EXIT_USAGE


def test_a_bad_configuration_is_a_usage_error(world: World, configure: Any) -> None:
    configure(DEPLOY_ACCOUNT_IDS="not-an-account")
    result = scan()
    assert result.code == EXIT_USAGE
    assert "DEPLOY_ACCOUNT_IDS" in result.err
    assert not result.calls


def test_an_aws_error_is_one_line_and_exit_3(world: World) -> None:
    fault = HttpFault("sagemaker", "ListTrainingJobs", "AccessDeniedException")
    result = scan("--format", "json", fault=fault)
    assert result.code == EXIT_AWS
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert result.err == (
        "training-guard scan: AWS error: An error occurred (AccessDeniedException) when "
        "calling the ListTrainingJobs operation: injected AccessDeniedException for "
        "ListTrainingJobs\n"
    )


def test_region_and_default_session(world: World) -> None:
    world.create_job_for(world.event("cloudtrail-create-training-job-unencrypted"))
    out, err = io.StringIO(), io.StringIO()
    code = run_scan(parse("--region", "us-east-1", "--format", "json"), out, err)
    assert code == EXIT_OK
    assert [f["control"] for f in json.loads(out.getvalue())] == ["inter-container-encryption"]


def test_asff_imports_into_security_hub(world: World) -> None:
    """botocore validates each finding against Security Hub's model before sending it."""
    build_fleet(world)
    findings = json.loads(scan("--format", "asff").out)
    assert len(findings) == len(scan("--format", "json").findings)
    answer = boto3.client("securityhub").batch_import_findings(Findings=findings)
    assert (answer["FailedCount"], answer["SuccessCount"]) == (0, len(findings))


# --- the fleet's evidence is each job's own -----------------------------------------------


def test_fleet_evidence_is_what_the_job_guard_loads_for_each_job(
    world: World, configure: Any
) -> None:
    configure(DEPLOY_ACCOUNT_IDS="210987654321")
    build_fleet(world)
    clients = Clients.create(session=fresh_session())
    policy = Policy.from_environment()
    needs = facts_needed(policy)
    jobs = [
        job
        for _, job in described(clients.sagemaker, running_jobs(clients.sagemaker))
        if job is not None and not job.parent_tuning_job_arn
    ]
    facts = FleetFacts(clients, needs, batch=2)
    facts.load(jobs)
    for job in jobs:
        assert facts.evidence(job) == load_evidence(clients, job, needs), job.name


OWN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ELSEWHERE = "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("reference", "asked_by", "answer", "shared"),
    [
        (KEY_ID, OWN, KeyFacts(OWN, arn=OWN, manager="CUSTOMER"), True),
        (OWN, KEY_ID, KeyFacts(KEY_ID, arn=OWN, manager="CUSTOMER"), True),
        # A bare key id names a key of the caller's own account and region only.
        (KEY_ID, ELSEWHERE, KeyFacts(ELSEWHERE, arn=ELSEWHERE, manager="CUSTOMER"), False),
        # A failure is not shared: the other form may succeed.
        (OWN, KEY_ID, KeyFacts(KEY_ID, error="NotFoundException: not found"), False),
        (KEY_ID, KEY_ID, KeyFacts(KEY_ID, error="NotFoundException: not found"), True),
    ],
)
def test_one_answer_stands_for_a_key_only_where_kms_would_give_it(
    reference: str, asked_by: str, answer: KeyFacts, shared: bool
) -> None:
    assert _stands_for(reference, asked_by, answer, "123456789012", "us-east-1") is shared
