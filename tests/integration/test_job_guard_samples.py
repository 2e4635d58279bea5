"""Every sample in events/ through the real job_guard handler, against the emulator.

For each: the summary, the job's status read back from SageMaker, the security
group read back from EC2 where it was repaired, and the SNS notification received
through an SQS subscription.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from emulator.extensions.sagemaker import set_training_job_status
from emulator.world import ACCOUNT, REGION, World
from support import JOB_SAMPLE_NAMES, load_sample
from tests.integration.conftest import Invoke

SECRET = "do-not-log-me"


@dataclass(frozen=True)
class Expected:
    controls: tuple[str, ...]
    actions: tuple[str, ...]
    status: str | None  # of the job acted on, read back after the handler ran
    notified: bool


EXPECTED = {
    "cloudtrail-create-training-job-compliant": Expected((), (), "InProgress", False),
    "cloudtrail-create-training-job-unencrypted": Expected(("inter-container-encryption",), ("stopped",), "Stopping", True),
    "cloudtrail-create-training-job-no-vpc": Expected(("vpc-config",), ("stopped",), "Stopping", True),
    "cloudtrail-create-training-job-aws-managed-key": Expected(("kms-customer-managed",), ("stopped",), "Stopping", True),
    "cloudtrail-create-training-job-missing-ipsec": Expected(("sg-ipsec-self-rules",), ("repaired",), "InProgress", True),
    "cloudtrail-create-training-job-local-nvme": Expected((), (), "InProgress", False),
    "cloudtrail-create-training-job-heterogeneous": Expected(("inter-container-encryption",), ("stopped",), "Stopping", True),
    "cloudtrail-create-training-job-exempt": Expected(
        ("inter-container-encryption", "vpc-config", "output-kms", "volume-kms"), ("skipped",), "InProgress", True),
    "cloudtrail-create-training-job-failed-call": Expected((), ("skipped",), None, False),
    "cloudtrail-create-hyper-parameter-tuning-job": Expected(("inter-container-encryption",), ("stopped",), "Stopping", True),
    "cloudtrail-create-hyper-parameter-tuning-job-definitions": Expected(("inter-container-encryption",), ("stopped",), "Stopping", True),
    "cloudtrail-create-hyper-parameter-tuning-job-resource-config": Expected(("volume-kms",), ("stopped",), "Stopping", True),
    # moto cannot create a serverless job (World.create_job_for): nothing to read back.
    "cloudtrail-create-training-job-serverless": Expected((), (), None, False),
    "sagemaker-training-job-state-change-in-progress": Expected(("vpc-config", "output-kms", "volume-kms"), ("stopped",), "Stopping", True),
    "sagemaker-training-job-state-change-completed": Expected((), ("skipped",), "Completed", False),
    "sagemaker-training-job-state-change-tuning-child": Expected(("inter-container-encryption",), ("stopped",), "Stopping", True),
    "sagemaker-hyper-parameter-tuning-job-state-change-in-progress": Expected(("inter-container-encryption",), ("stopped",), "Stopping", True),
    "eventbridge-unknown-detail-type": Expected((), ("failed",), None, False),
}  # fmt: skip


def test_every_sample_has_an_expectation() -> None:
    assert sorted(EXPECTED) == JOB_SAMPLE_NAMES


def prepare(world: World, sample: str) -> dict[str, Any]:
    """Create what AWS would have created before delivering the event."""
    event = world.event(sample)
    if sample == "sagemaker-training-job-state-change-tuning-child":
        world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    if sample not in {
        "eventbridge-unknown-detail-type",
        "cloudtrail-create-training-job-failed-call",
    }:
        world.create_job_for(event)
    if sample == "sagemaker-training-job-state-change-completed":
        set_training_job_status(ACCOUNT, REGION, event["detail"]["TrainingJobName"], "Completed")
    return event


def status_of(resource: str) -> str:
    sagemaker = boto3.client("sagemaker")
    kind, name = resource.rsplit(":", 1)[1].split("/", 1)
    if kind == "training-job":
        return str(sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"])
    job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    return str(job["HyperParameterTuningJobStatus"])


@pytest.mark.parametrize("sample", JOB_SAMPLE_NAMES)
def test_sample(
    sample: str,
    world: World,
    invoke: Invoke,
    logs: Callable[[], list[dict[str, Any]]],
    capfd: pytest.CaptureFixture[str],
) -> None:
    expected = EXPECTED[sample]
    summary = invoke(prepare(world, sample))

    assert summary["mode"] == "enforce"
    assert tuple(f["control"] for f in summary["findings"]) == expected.controls
    assert tuple(a["action"] for a in summary["actions"]) == expected.actions
    if expected.status:
        assert status_of(summary["resource"]) == expected.status

    notifications = world.notifications()
    assert len(notifications) == int(expected.notified)
    if expected.notified:
        assert_notification(notifications[0], summary)
        trigger = json.loads(notifications[0]["Message"])["trigger"]
        if sample.startswith("cloudtrail-"):
            caller = load_sample(sample)["detail"]["userIdentity"]["arn"]
            assert trigger == f"{load_sample(sample)['detail']['eventName']} by {caller}"
        else:
            assert trigger.startswith("SageMaker ")
            assert trigger.endswith("(InProgress)")

    assert logs(), "the guard logs every event"
    output = capfd.readouterr()
    assert SECRET not in json.dumps(logs()) + output.out + output.err
    assert SECRET not in json.dumps(notifications)


def assert_notification(envelope: dict[str, Any], summary: dict[str, Any]) -> None:
    attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
    assert json.loads(attributes["control"]) == sorted({f["control"] for f in summary["findings"]})
    assert json.loads(attributes["action"]) == sorted({a["action"] for a in summary["actions"]})
    assert attributes["severity"] in {f["severity"] for f in summary["findings"]}
    document = json.loads(envelope["Message"])
    assert {k: document[k] for k in summary} == summary
    assert envelope["Subject"].startswith(f"[Training Guard] {attributes['severity']}: ")


def test_repair_is_read_back_and_converges(world: World, invoke: Invoke) -> None:
    event = prepare(world, "cloudtrail-create-training-job-missing-ipsec")
    invoke(event)
    group = boto3.client("ec2").describe_security_groups(GroupIds=[world.bad_group])[
        "SecurityGroups"
    ][0]
    self_rules = {
        (p["IpProtocol"], p.get("FromPort"))
        for p in group["IpPermissions"]
        if any(pair["GroupId"] == world.bad_group for pair in p["UserIdGroupPairs"])
    }
    assert self_rules == {("udp", 500), ("50", None)}
    assert any(p["IpProtocol"] == "tcp" for p in group["IpPermissions"]), "other rules stay"

    again = invoke(event)
    assert again["findings"] == []
    assert again["actions"] == []
