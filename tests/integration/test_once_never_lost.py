"""Told once, and never lost: racing deliveries, an invocation killed between acting and
telling, a publish that failed after a stop, and failures that are news of their own.

What the emulator cannot do — a second delivery arriving mid-invocation, Lambda killing a
function — is played at the HTTP layer with botocore's `before-send` hook: a hook runs the
other delivery just before a call is sent, or raises `Killed` (a BaseException, as
nothing in the function can catch a killed process) so the call is never made.
Lambda's retry of an asynchronous invocation keeps its request id and comes a minute or
more after its attempt: a retry is played by handing the guard the first attempt's id
again on a clock moved past RETRY_AFTER_SECONDS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from emulator.replay import apply_change
from emulator.world import World
from tests.integration.conftest import fresh_session
from tests.integration.faults import HttpFault
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.ledger import LEASE_SECONDS, RETRY_AFTER_SECONDS
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard
from training_guard.sg_guard import SgGuard


class Killed(BaseException):  # what Lambda does to a function at its timeout
    """The function dies here: nothing after this line runs, no handler catches it."""


class Clock:
    """Wall-clock time a test moves by hand, to let a lease lapse without waiting."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


Hook = Callable[..., Any]


def job_guard_with(
    world: World, hooks: dict[str, Hook] | None = None, clock: Clock | None = None
) -> JobGuard:
    session = fresh_session()
    for event_name, hook in (hooks or {}).items():
        session.events.register(f"before-send.{event_name}", hook)
    clients = Clients.create(session=session)
    notifier = Notifier(
        clients.sns, world.topic_arn, clients.dynamodb, world.table_name, clock or Clock()
    )
    return JobGuard(clients, Policy(), notifier, GroupRecord(clients.dynamodb, world.table_name))


def sg_guard_with(
    world: World, hooks: dict[str, Hook] | None = None, clock: Clock | None = None
) -> SgGuard:
    session = fresh_session()
    for event_name, hook in (hooks or {}).items():
        session.events.register(f"before-send.{event_name}", hook)
    clients = Clients.create(session=session)
    notifier = Notifier(
        clients.sns, world.topic_arn, clients.dynamodb, world.table_name, clock or Clock()
    )
    return SgGuard(clients, Policy(), notifier, GroupRecord(clients.dynamodb, world.table_name))


def kill_once(**_: Any) -> None:
    if not getattr(kill_once, "fired", False):
        kill_once.fired = True  # type: ignore[attr-defined]
        raise Killed


@pytest.fixture(autouse=True)
def _rearm() -> None:
    kill_once.fired = False  # type: ignore[attr-defined]


def actions_told(world: World) -> list[list[str]]:
    told = []
    for envelope in world.notifications():
        told.append([a["action"] for a in json.loads(envelope["Message"])["actions"]])
    return told


def unencrypted_job(world: World) -> dict[str, Any]:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    return event


def test_racing_deliveries_tell_once_and_say_the_job_was_stopped(world: World) -> None:
    create = unencrypted_job(world)
    state_change = world.event("sagemaker-training-job-state-change-in-progress")
    state_change["detail"] = {
        **state_change["detail"],
        "TrainingJobName": create["detail"]["requestParameters"]["trainingJobName"],
    }
    other: dict[str, Any] = {}

    def second_delivery_arrives(**_: Any) -> None:
        # Before the first delivery's stop reaches SageMaker, the second runs to the end.
        if not other:
            other["summary"] = job_guard_with(world).handle(create, delivery="second").to_dict()

    first = job_guard_with(world, {"sagemaker.StopTrainingJob": second_delivery_arrives})
    summary = first.handle(create, delivery="first").to_dict()

    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert [a["action"] for a in other["summary"]["actions"]] == ["skipped"]
    assert "Another delivery" in other["summary"]["actions"][0]["detail"]
    assert actions_told(world) == [["stopped"]]


def test_a_claim_left_by_a_killed_invocation_is_told_by_its_retry(world: World) -> None:
    event = unencrypted_job(world)
    clock = Clock()
    with pytest.raises(Killed):
        job_guard_with(world, {"sns.Publish": kill_once}, clock).handle(event, delivery="r-1")
    assert world.notifications() == []

    clock.now += RETRY_AFTER_SECONDS + 1  # Lambda's retry: the same request id, later
    retry = job_guard_with(world, clock=clock).handle(event, delivery="r-1").to_dict()

    # The stop was recorded as done before the kill: told as the guard's, once.
    assert [a["action"] for a in retry["actions"]] == ["stopped"]
    detail = retry["actions"][0]["detail"]
    assert detail.startswith("Stopped training job fraud-model-unencrypted")
    assert "earlier attempt" in detail
    assert actions_told(world) == [["stopped"]]
    assert (
        job_guard_with(world, clock=clock).handle(event, delivery="r-2").actions[0].action
        == "skipped"
    )
    assert world.notifications() == []  # told once


def test_a_second_copy_of_one_invocation_does_not_take_its_lease(world: World) -> None:
    """Lambda may deliver one asynchronous event twice, with one request id: the copy
    running beside the first must not act or tell."""
    event = unencrypted_job(world)
    clock = Clock()
    copy: dict[str, Any] = {}

    def copy_arrives(**_: Any) -> None:
        if not copy:
            guard = job_guard_with(world, clock=clock)
            copy["summary"] = guard.handle(event, delivery="same").to_dict()

    job_guard_with(world, {"sagemaker.StopTrainingJob": copy_arrives}, clock).handle(
        event, delivery="same"
    )
    assert "Another delivery" in copy["summary"]["actions"][0]["detail"]
    assert actions_told(world) == [["stopped"]]


def test_a_stop_made_by_someone_else_is_not_told_as_the_guards(world: World) -> None:
    event = unencrypted_job(world)
    name = event["detail"]["requestParameters"]["trainingJobName"]
    clock = Clock()
    # Killed just before its stop reached SageMaker; meanwhile a person stops the job.
    with pytest.raises(Killed):
        job_guard_with(world, {"sagemaker.StopTrainingJob": kill_once}, clock).handle(
            event, delivery="r-1"
        )
    world.client("sagemaker").stop_training_job(TrainingJobName=name)

    clock.now += RETRY_AFTER_SECONDS + 1
    retry = job_guard_with(world, clock=clock).handle(event, delivery="r-1").to_dict()

    assert [a["action"] for a in retry["actions"]] == ["skipped"]
    assert "set out to stop the job" in retry["actions"][0]["detail"]
    assert "already Stopping" in retry["actions"][0]["detail"]
    assert actions_told(world) == [["skipped"]]


def test_a_tuning_childs_untold_stop_is_told_when_the_parent_is_stopping(world: World) -> None:
    tuning = world.event("cloudtrail-create-hyper-parameter-tuning-job")
    world.create_job_for(tuning)
    child = world.event("sagemaker-training-job-state-change-tuning-child")
    world.create_job_for(child)
    world.mark_tuning_child(child["detail"]["TrainingJobName"], child["detail"]["TuningJobArn"])
    clock = Clock()
    with pytest.raises(Killed):
        job_guard_with(world, {"sns.Publish": kill_once}, clock).handle(child, delivery="r-1")

    clock.now += RETRY_AFTER_SECONDS + 1
    # The parent is Stopping now, so the child's retry judges nothing, and still tells.
    retry = job_guard_with(world, clock=clock).handle(child, delivery="r-1").to_dict()

    assert "stopped" in [a["action"] for a in retry["actions"]]
    assert actions_told(world) == [["stopped"]]


def test_another_delivery_waits_for_the_lease_to_lapse_then_tells(world: World) -> None:
    event = unencrypted_job(world)
    clock = Clock()
    with pytest.raises(Killed):
        job_guard_with(world, {"sns.Publish": kill_once}, clock).handle(event, delivery="dead")

    during = job_guard_with(world, clock=clock).handle(event, delivery="other").to_dict()
    assert "Another delivery" in during["actions"][0]["detail"]
    assert world.notifications() == []

    clock.now += LEASE_SECONDS + 1  # the killed invocation never confirmed: its lease lapses
    after = job_guard_with(world, clock=clock).handle(event, delivery="other").to_dict()
    assert [a["action"] for a in after["actions"]] == ["stopped"]
    assert actions_told(world) == [["stopped"]]


def test_a_stop_whose_notification_failed_is_told_truthfully_on_the_retry(world: World) -> None:
    event = unencrypted_job(world)
    sns_down = HttpFault("sns", "Publish", "InternalError")
    guard = job_guard_with(world, {"sns.Publish": sns_down})
    with pytest.raises(Exception, match="InternalError"):
        guard.handle(event, delivery="r-1")
    assert world.notifications() == []

    # Any delivery may tell it: the failed publish ended the lease and kept the plan.
    retry = job_guard_with(world).handle(event, delivery="r-9").to_dict()
    assert [a["action"] for a in retry["actions"]] == ["stopped"]
    told = world.notifications()
    assert len(told) == 1
    assert json.loads(told[0]["MessageAttributes"]["action"]["Value"]) == ["stopped"]


def test_a_repair_killed_before_telling_is_told_by_the_retry(world: World) -> None:
    world.keep_group(world.good_group)
    event = world.event("cloudtrail-ec2-revoke-ingress-ipsec-nested")
    apply_change(world, event)
    clock = Clock()
    with pytest.raises(Killed):
        sg_guard_with(world, {"sns.Publish": kill_once}, clock).handle(event, delivery="r-1")
    assert world.notifications() == []

    # Judged afresh the group is in order now; the record left behind says who did it.
    clock.now += RETRY_AFTER_SECONDS + 1
    retry = sg_guard_with(world, clock=clock).handle(event, delivery="r-1").to_dict()

    assert [f["control"] for f in retry["findings"]] == ["sg-ipsec-self-rules"]
    assert [a["action"] for a in retry["actions"]] == ["repaired"]
    assert retry["actions"][0]["detail"].startswith("Added self-referencing rules")
    assert actions_told(world) == [["repaired"]]


def test_rules_a_person_restored_are_not_told_as_the_guards_repair(world: World) -> None:
    world.keep_group(world.good_group)
    event = world.event("cloudtrail-ec2-revoke-ingress-ipsec-nested")
    apply_change(world, event)
    clock = Clock()
    with pytest.raises(Killed):  # killed just before its repair reached EC2
        sg_guard_with(world, {"ec2.AuthorizeSecurityGroupIngress": kill_once}, clock).handle(
            event, delivery="r-1"
        )
    # What the change took away (UDP 500 from the group itself), a person puts back.
    world.client("ec2").authorize_security_group_ingress(
        GroupId=world.good_group,
        IpPermissions=[
            {
                "IpProtocol": "udp",
                "FromPort": 500,
                "ToPort": 500,
                "UserIdGroupPairs": [{"GroupId": world.good_group}],
            }
        ],
    )

    clock.now += RETRY_AFTER_SECONDS + 1
    retry = sg_guard_with(world, clock=clock).handle(event, delivery="r-1").to_dict()

    assert [a["action"] for a in retry["actions"]] == ["skipped"]
    assert "EC2 now shows the missing rules in place" in retry["actions"][0]["detail"]
    assert actions_told(world) == [["skipped"]]


def test_a_group_the_guard_cannot_mark_is_news_for_a_compliant_job(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    refused = HttpFault("ec2", "CreateTags", "UnauthorizedOperation")
    summary = job_guard_with(world, {"ec2.CreateTags": refused}).handle(event).to_dict()

    assert summary["findings"] == []
    assert [a["action"] for a in summary["actions"]] == ["failed"]
    told = world.notifications()
    assert len(told) == 1
    assert json.loads(told[0]["MessageAttributes"]["action"]["Value"]) == ["failed"]
    # Once: the same failure again is not news.
    job_guard_with(world, {"ec2.CreateTags": refused}).handle(event)
    assert world.notifications() == []


def test_a_retry_of_a_compliant_job_costs_no_notice_write(world: World) -> None:
    """The outbox is looked at only where an earlier attempt could have repaired groups."""
    event = world.event("cloudtrail-create-training-job-serverless")
    world.create_job_for(event)
    calls: list[str] = []
    guard = job_guard_with(world, {"dynamodb": lambda **kw: calls.append("dynamodb")})
    assert guard.handle(event).findings == ()
    assert calls == []
