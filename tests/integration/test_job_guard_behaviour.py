"""Modes, exemptions, tuning children, repeated events and deploy accounts."""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3

from emulator.world import DEPLOY_ACCOUNT, World
from tests.integration.conftest import Invoke


def status(name: str) -> str:
    return str(
        boto3.client("sagemaker").describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
    )


def tuning_status(name: str) -> str:
    job = boto3.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name
    )
    return str(job["HyperParameterTuningJobStatus"])


def test_notify_mode_reports_and_touches_nothing(
    world: World, invoke: Invoke, configure: Callable[..., None]
) -> None:
    configure(GUARD_MODE="notify")
    for sample in (
        "cloudtrail-create-training-job-unencrypted",
        "cloudtrail-create-training-job-missing-ipsec",
    ):
        event = world.event(sample)
        world.create_job_for(event)
        summary = invoke(event)
        assert summary["mode"] == "notify"
        assert [a["action"] for a in summary["actions"]] == ["skipped"]
        assert summary["actions"][0]["detail"].startswith("notify mode: would ")
    assert status("fraud-model-unencrypted") == status("fraud-model-open-sg") == "InProgress"
    group = boto3.client("ec2").describe_security_groups(GroupIds=[world.bad_group])[
        "SecurityGroups"
    ][0]
    assert all(not p["UserIdGroupPairs"] for p in group["IpPermissions"])
    subjects = [n["Subject"] for n in world.notifications()]
    assert subjects == [
        "[Training Guard] HIGH: training job fraud-model-unencrypted reported",
        "[Training Guard] MEDIUM: training job fraud-model-open-sg reported",
    ]


def test_custom_exempt_tag_key(
    world: World, invoke: Invoke, configure: Callable[..., None]
) -> None:
    configure(EXEMPT_TAG_KEY="team")
    event = world.event("cloudtrail-create-training-job-unencrypted")
    event["detail"]["requestParameters"]["tags"] = [{"key": "team", "value": "TRUE"}]
    world.create_job_for(event)
    summary = invoke(event)
    assert (
        summary["actions"][0]["detail"]
        == "fraud-model-unencrypted is tagged team=true: reported, not touched."
    )
    assert status("fraud-model-unencrypted") == "InProgress"


def test_tuning_child_stops_its_tuning_job_once(world: World, invoke: Invoke) -> None:
    world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    child = world.event("sagemaker-training-job-state-change-tuning-child")
    world.create_job_for(child)
    first, second = invoke(child), invoke(child)
    assert first["resource"].endswith(":hyper-parameter-tuning-job/xgb-tuning-unencrypted")
    assert first["actions"][0]["action"] == "stopped"
    # The tuning job is already stopping: the next child's event is not judged again.
    assert second["findings"] == []
    assert second["actions"] == [
        {"action": "skipped", "detail": "tuning job xgb-tuning-unencrypted is Stopping."}
    ]
    assert tuning_status("xgb-tuning-unencrypted") == "Stopping"
    assert (
        status("xgb-tuning-unencrypted-001-1a2b3c4d") == "InProgress"
    )  # the tuner stops its children
    assert len(world.notifications()) == 1


def test_the_same_news_is_told_once(world: World, invoke: Invoke) -> None:
    created = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(created)
    invoke(created)
    invoke(created)  # EventBridge delivers at least once
    assert len(world.notifications()) == 1


def test_new_findings_on_the_same_job_are_told(
    world: World, invoke: Invoke, configure: Callable[..., None]
) -> None:
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    invoke(event)
    configure(REQUIRE_NETWORK_ISOLATION="true")
    summary = invoke(event)
    assert [f["control"] for f in summary["findings"]] == ["network-isolation"]
    assert summary["actions"][0]["action"] == "stopped"
    assert len(world.notifications()) == 1


def test_deploy_accounts_in_the_key_policy(
    world: World, invoke: Invoke, configure: Callable[..., None]
) -> None:
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    configure(DEPLOY_ACCOUNT_IDS=DEPLOY_ACCOUNT)
    assert invoke(event)["findings"] == []

    configure(DEPLOY_ACCOUNT_IDS=f"{DEPLOY_ACCOUNT},333333333333")
    summary = invoke(event)
    (finding,) = summary["findings"]
    assert finding["control"] == "kms-deploy-accounts"
    assert "333333333333" in finding["message"]
    assert DEPLOY_ACCOUNT not in finding["message"]
    assert summary["actions"] == []  # report only
    (notification,) = world.notifications()
    assert json.loads(notification["MessageAttributes"]["action"]["Value"]) == ["none"]
    assert status("fraud-model-compliant") == "InProgress"


def group_state(world: World, group_id: str) -> tuple[dict[str, str], list[dict[str, object]]]:
    group = boto3.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}, group["IpPermissions"]


def test_an_exempt_group_is_not_touched(world: World, invoke: Invoke) -> None:
    boto3.client("ec2").create_tags(
        Resources=[world.bad_group], Tags=[{"Key": "training-guard:exempt", "Value": "true"}]
    )
    before = group_state(world, world.bad_group)
    event = world.event("cloudtrail-create-training-job-missing-ipsec")
    world.create_job_for(event)
    summary = invoke(event)
    assert [f["control"] for f in summary["findings"]] == ["sg-ipsec-self-rules"]
    assert summary["actions"] == [
        {
            "action": "skipped",
            "detail": f"{world.bad_group} is tagged training-guard:exempt=true: reported, its rules left as they are.",
        }
    ]
    assert group_state(world, world.bad_group) == before


def test_the_groups_of_a_stopped_job_are_left_alone(world: World, invoke: Invoke) -> None:
    # A stopped job's VpcConfig could name any group; the guard does not take it under guard.
    event = world.event("cloudtrail-create-training-job-missing-ipsec")
    event["detail"]["requestParameters"]["enableInterContainerTrafficEncryption"] = False
    world.create_job_for(event)
    before = group_state(world, world.bad_group)
    summary = invoke(event)
    assert [a["action"] for a in summary["actions"]] == ["stopped", "skipped"]
    assert (
        summary["actions"][1]["detail"]
        == "Security groups left as they are: the guard changes the groups only of jobs it lets run."
    )
    assert group_state(world, world.bad_group) == before


def test_a_missing_first_group_does_not_lose_the_event(world: World, invoke: Invoke) -> None:
    event = world.event("cloudtrail-create-training-job-missing-ipsec")
    event["detail"]["requestParameters"]["vpcConfig"]["securityGroupIds"] = [
        "sg-0000000000000dead",
        world.bad_group,
    ]
    world.create_job_for(event)
    summary = invoke(event)
    assert [f["control"] for f in summary["findings"]] == ["vpc-config", "sg-ipsec-self-rules"]
    assert "sg-0000000000000dead" in summary["findings"][0]["message"]
    assert [a["action"] for a in summary["actions"]] == ["stopped", "skipped"]
    assert len(world.notifications()) == 1


def test_tuning_children_tell_once_in_notify_mode(
    world: World, invoke: Invoke, configure: Callable[..., None]
) -> None:
    configure(GUARD_MODE="notify")
    world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    child = world.event("sagemaker-training-job-state-change-tuning-child")
    world.create_job_for(child)
    for number in range(3):  # the tuner starts child after child
        child["detail"]["TrainingJobName"] = f"xgb-tuning-unencrypted-00{number}-1a2b3c4d"
        assert invoke(child)["resource"].endswith(
            "hyper-parameter-tuning-job/xgb-tuning-unencrypted"
        )
    assert len(world.notifications()) == 1


def test_a_job_group_open_to_the_internet_is_closed_when_the_job_runs(
    world: World, invoke: Invoke
) -> None:
    opened = {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }
    boto3.client("ec2").authorize_security_group_ingress(
        GroupId=world.good_group, IpPermissions=[opened]
    )
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    summary = invoke(event)
    assert [f["control"] for f in summary["findings"]] == ["sg-no-public-ingress"]
    assert summary["actions"] == [
        {
            "action": "revoked",
            "detail": f"Revoked public ingress on {world.good_group}: tcp 22 with 0.0.0.0/0.",
        }
    ]
    tags, rules = group_state(world, world.good_group)
    assert tags["training-guard:guarded"] == "true"
    assert not [r for r in rules if any(c["CidrIp"] == "0.0.0.0/0" for c in r["IpRanges"])]  # type: ignore[union-attr, index]
    assert status("fraud-model-compliant") == "InProgress"


def test_switching_to_enforce_tells_the_stop(
    world: World, invoke: Invoke, configure: Callable[..., None]
) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    configure(GUARD_MODE="notify")
    invoke(event)
    configure(GUARD_MODE="enforce")
    invoke(event)
    subjects = [n["Subject"] for n in world.notifications()]
    assert subjects == [
        "[Training Guard] HIGH: training job fraud-model-unencrypted reported",
        "[Training Guard] HIGH: training job fraud-model-unencrypted stopped",
    ]
