"""Whoever may create a training job chooses its VpcConfig: a job naming a group that
other resources use (a web server, a load balancer) must not make the guard rewrite
that group. Such a group is reported, never changed; a group only training uses is
repaired as before."""

from __future__ import annotations

from typing import Any

from emulator.replay import apply_change
from emulator.world import World
from tests.integration.conftest import Invoke
from tests.integration.ec2_changes import public_ingress

SHARED = "other resources use it too"


def run_web_server(world: World) -> str:
    """An EC2 instance in the web servers' group: its network interface uses the group."""
    ec2 = world.client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=world.subnet_ids[0],
        SecurityGroupIds=[world.web_group],
    )["Instances"][0]
    return str(instance["InstanceId"])


def open_ssh(world: World, group_id: str) -> None:
    world.client("ec2").authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )


def job_in(world: World, group_id: str) -> dict[str, Any]:
    event = world.event("cloudtrail-create-training-job-compliant")
    event["detail"]["requestParameters"]["vpcConfig"]["securityGroupIds"] = [group_id]
    world.create_job_for(event)
    return event


def test_a_job_naming_a_web_servers_group_does_not_get_it_rewritten(
    world: World, invoke: Invoke
) -> None:
    instance = run_web_server(world)
    open_ssh(world, world.web_group)
    summary = invoke(job_in(world, world.web_group))
    controls = {f["control"] for f in summary["findings"]}
    assert {"sg-no-public-ingress", "sg-ipsec-self-rules"} <= controls
    refusals = [a for a in summary["actions"] if a["action"] == "skipped"]
    assert refusals
    assert all(SHARED in a["detail"] and instance in a["detail"] for a in refusals)
    assert not [a for a in summary["actions"] if a["action"] in {"revoked", "repaired"}]
    assert public_ingress(world, world.web_group), "the web servers' SSH rule is still there"


def test_sg_guard_leaves_a_shared_group_as_it_is(world: World, invoke_sg: Invoke) -> None:
    run_web_server(world)
    world.keep_group(world.web_group)
    event = world.event("cloudtrail-ec2-authorize-ingress-unguarded")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert "sg-no-public-ingress" in {f["control"] for f in summary["findings"]}
    assert summary["actions"]
    assert all(a["action"] == "skipped" and SHARED in a["detail"] for a in summary["actions"])
    assert public_ingress(world, world.web_group)


def test_a_group_only_training_uses_is_still_repaired(world: World, invoke_sg: Invoke) -> None:
    world.keep_group(world.good_group)
    event = world.event("cloudtrail-ec2-authorize-ingress-public-nested")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert [a["action"] for a in summary["actions"]] == ["revoked"]
    assert not public_ingress(world, world.good_group)


def test_a_shared_group_is_not_even_tagged(world: World, invoke: Invoke) -> None:
    run_web_server(world)
    invoke(job_in(world, world.web_group))
    group = world.client("ec2").describe_security_groups(GroupIds=[world.web_group])[
        "SecurityGroups"
    ][0]
    assert "training-guard:guarded" not in {t["Key"] for t in group.get("Tags", [])}
