"""Refusals a retry would meet again (a rule quota, a conflicting state) become failed
actions that are told, while the rest of the event is still carried out; and events
about another account's resources are left alone. Faults are injected at the HTTP
layer with botocore's `before-send` hook (tests/integration/faults.py)."""

from __future__ import annotations

from typing import Any

from emulator.lambda_context import LambdaContext
from emulator.replay import apply_change
from emulator.world import World
from functions.job_guard import app
from functions.sg_guard import app as sg_app
from tests.integration.conftest import fresh_session
from tests.integration.ec2_changes import public_ingress
from tests.integration.faults import HttpFault
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard
from training_guard.sg_guard import SgGuard


def sg_guard_with(world: World, *faults: HttpFault) -> SgGuard:
    session = fresh_session()
    for fault in faults:
        fault.install(session)
    clients = Clients.create(session=session)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    return SgGuard(clients, Policy(), notifier, GroupRecord(clients.dynamodb, world.table_name))


def open_all_traffic(world: World) -> dict[str, Any]:
    """Someone replaces the training group's IPsec self rules by all traffic from anywhere."""
    ec2 = world.client("ec2")
    ec2.revoke_security_group_ingress(
        GroupId=world.good_group,
        IpPermissions=[
            {
                "IpProtocol": "udp",
                "FromPort": 500,
                "ToPort": 500,
                "UserIdGroupPairs": [{"GroupId": world.good_group}],
            },
            {"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": world.good_group}]},
        ],
    )
    event = world.event("cloudtrail-ec2-authorize-ingress-public-nested")
    apply_change(world, event)
    return event


def test_a_rule_quota_refusal_is_told_and_the_revoke_still_reported(world: World) -> None:
    world.keep_group(world.good_group)
    event = open_all_traffic(world)
    quota = HttpFault("ec2", "AuthorizeSecurityGroupIngress", "RulesPerSecurityGroupLimitExceeded")
    summary = sg_guard_with(world, quota).handle(event).to_dict()
    actions = {a["action"]: a["detail"] for a in summary["actions"]}
    assert "revoked" in actions, "the public range is gone even though the repair was refused"
    assert "RulesPerSecurityGroupLimitExceeded" in actions["failed"]
    assert not public_ingress(world, world.good_group)
    (told,) = world.notifications()
    assert "failed" in told["MessageAttributes"]["action"]["Value"]


def test_a_conflicting_stop_is_a_failed_action_not_a_lost_event(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    conflict = HttpFault("sagemaker", "StopTrainingJob", "ConflictException")
    session = fresh_session()
    conflict.install(session)
    clients = Clients.create(session=session)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    guard = JobGuard(clients, Policy(), notifier, GroupRecord(clients.dynamodb, world.table_name))
    summary = guard.handle(event).to_dict()
    (action,) = summary["actions"]
    assert action["action"] == "failed"
    assert "ConflictException" in action["detail"]
    assert len(world.notifications()) == 1


def test_events_about_another_account_are_left_alone(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    event["account"] = "210987654321"
    event["detail"]["recipientAccountId"] = "210987654321"
    summary = app.lambda_handler(event, LambdaContext())
    assert summary["findings"] == []
    (action,) = summary["actions"]
    assert action["action"] == "skipped"
    assert "210987654321" in action["detail"]
    sg_event = world.event("cloudtrail-ec2-authorize-ingress-public-nested")
    sg_event["account"] = "210987654321"
    sg_event["detail"]["recipientAccountId"] = "210987654321"
    world.keep_group(world.good_group)
    apply_change(world, sg_event)
    sg_summary = sg_app.lambda_handler(sg_event, LambdaContext.named("sg-guard"))
    assert [a["action"] for a in sg_summary["actions"]] == ["skipped"]
    assert public_ingress(world, world.good_group), "nothing changed in this account"
    status = world.client("sagemaker").describe_training_job(
        TrainingJobName="fraud-model-unencrypted"
    )
    assert status["TrainingJobStatus"] == "InProgress"


def test_a_key_kms_will_not_describe_is_said_not_a_lost_event(world: World, configure: Any) -> None:
    configure(DEPLOY_ACCOUNT_IDS="210987654321")
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    invalid = HttpFault("kms", "DescribeKey", "InvalidArnException")
    session = fresh_session()
    invalid.install(session)
    clients = Clients.create(session=session)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    guard = JobGuard(
        clients,
        Policy.from_environment(),
        notifier,
        GroupRecord(clients.dynamodb, world.table_name),
    )
    summary = guard.handle(event).to_dict()
    assert [f["control"] for f in summary["findings"]] == ["kms-deploy-accounts"]
    assert "InvalidArnException" in summary["findings"][0]["message"]
    assert not [a for a in summary["actions"] if a["action"] == "stopped"]
