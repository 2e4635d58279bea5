"""When the request alone shows a stop is due, the stop is made before any fact is
loaded: the only call before it is the notice's claim (issue 7's "claimed before
acting"), and the facts are loaded after it for the report."""

from __future__ import annotations

from typing import Any

from emulator.world import World
from tests.integration.conftest import fresh_session
from training_guard.config import GuardMode, Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard

STOPS = {"sagemaker:StopTrainingJob", "sagemaker:StopHyperParameterTuningJob"}


def guard_recording(world: World, policy: Policy | None = None) -> tuple[JobGuard, list[str]]:
    calls: list[str] = []
    session = fresh_session()

    def record(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.service_name}:{model.name}")

    session.events.register("before-call", record)
    clients = Clients.create(session=session)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    record_ = GroupRecord(clients.dynamodb, world.table_name)
    return JobGuard(clients, policy or Policy(), notifier, record_), calls


def before_the_stop(calls: list[str]) -> list[str]:
    first = next(i for i, call in enumerate(calls) if call in STOPS)
    return calls[:first]


def test_an_unencrypted_job_is_stopped_before_any_fact_is_loaded(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    guard, calls = guard_recording(world, Policy(deploy_account_ids=("210987654321",)))

    summary = guard.handle(event).to_dict()

    assert before_the_stop(calls) == ["dynamodb:UpdateItem"]  # the claim, then the stop
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    # The facts come after, for the report: the key was described once the job was stopped.
    assert calls.index("kms:DescribeKey") > calls.index("sagemaker:StopTrainingJob")
    assert len(world.notifications()) == 1


def test_an_unencrypted_tuning_job_is_stopped_first_too(world: World) -> None:
    event = world.event("cloudtrail-create-hyper-parameter-tuning-job")
    world.create_job_for(event)
    guard, calls = guard_recording(world)
    guard.handle(event)
    assert before_the_stop(calls) == ["dynamodb:UpdateItem"]


def test_a_stop_that_needs_facts_loads_them_first(world: World) -> None:
    """Whether a key is AWS managed only KMS can say: no stop on the request's face."""
    event = world.event("cloudtrail-create-training-job-aws-managed-key")
    world.create_job_for(event)
    guard, calls = guard_recording(world)

    summary = guard.handle(event).to_dict()

    assert "stopped" in [a["action"] for a in summary["actions"]]
    assert "kms:DescribeKey" in before_the_stop(calls)


def test_exempt_and_notify_mode_jobs_are_never_stopped_first(world: World) -> None:
    exempt = world.event("cloudtrail-create-training-job-exempt")
    world.create_job_for(exempt)
    guard, calls = guard_recording(world)
    guard.handle(exempt)
    assert not STOPS & set(calls)

    unencrypted = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(unencrypted)
    guard, calls = guard_recording(world, Policy(mode=GuardMode.NOTIFY))
    summary = guard.handle(unencrypted).to_dict()
    assert not STOPS & set(calls)
    assert [a["action"] for a in summary["actions"]] == ["skipped"]
