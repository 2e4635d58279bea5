"""The sweeper finds what events missed: jobs whose events never arrived are judged
(stopped, their groups recorded and kept), told once; groups no running job uses lose the
guard's tag; a sweep out of time resumes where it stopped. Lists are paged small, as
the emulator pages only when MaxResults is set."""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

from emulator.lambda_context import LambdaContext
from emulator.world import World
from tests.integration.conftest import fresh_session
from tests.integration.faults import HttpFault
from training_guard.config import GuardMode, Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard
from training_guard.permissions import sweeper_permissions
from training_guard.sweeper import SweepCursor, Sweeper

GUARD_TAG = "training-guard:guarded"


def sweeper_for(
    world: World,
    policy: Policy | None = None,
    *,
    hooks: dict[str, Any] | None = None,
    **options: int,
) -> tuple[Sweeper, Counter[str]]:
    session = fresh_session()
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    session.events.register("before-call", count)
    for event_name, hook in (hooks or {}).items():
        session.events.register(f"before-send.{event_name}", hook)
    clients = Clients.create(session=session)
    policy = policy or Policy()
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    record = GroupRecord(clients.dynamodb, world.table_name)
    job_guard = JobGuard(clients, policy, notifier, record)
    cursor = SweepCursor(clients.dynamodb, world.table_name)
    return Sweeper(clients, policy, job_guard, record, cursor, page_size=2, **options), calls


def missed(world: World, sample: str, name: str | None = None) -> str:
    """A job created without its events ever reaching the guard; its name."""
    event = copy.deepcopy(world.event(sample))
    request = event["detail"]["requestParameters"]
    key = "trainingJobName" if "trainingJobName" in request else "hyperParameterTuningJobName"
    if name:
        request[key] = name
    world.create_job_for(event)
    return str(request[key])


def status(world: World, name: str) -> str:
    return str(
        world.client("sagemaker").describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
    )


def test_jobs_whose_events_never_arrived_are_judged_and_told_once(world: World) -> None:
    unencrypted = missed(world, "cloudtrail-create-training-job-unencrypted")
    compliant = missed(world, "cloudtrail-create-training-job-compliant")
    tuning = missed(world, "cloudtrail-create-hyper-parameter-tuning-job")
    others = [
        missed(world, "cloudtrail-create-training-job-compliant", f"fleet-{i}") for i in range(3)
    ]
    sweeper, calls = sweeper_for(world)

    summary = sweeper.handle().to_dict()

    assert summary["complete"] is True
    assert summary["visited"] == 6
    assert calls["sagemaker:ListTrainingJobs"] >= 3  # 5 training jobs, 2 a page
    assert status(world, unencrypted) == "Stopping"
    assert status(world, compliant) == "InProgress"
    tuning_status = world.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning
    )["HyperParameterTuningJobStatus"]
    assert tuning_status == "Stopping"
    stopped = {
        a["resource"].rsplit("/", 1)[-1] for a in summary["actions"] if a["action"] == "stopped"
    }
    assert stopped == {unencrypted, tuning}
    # The compliant jobs' groups, unknown to the record before (their events never came),
    # are now recorded and tagged: sg_guard keeps them from here on.
    used_by = {
        u.job_arn.rsplit("/", 1)[-1]
        for u in GroupRecord(world.client("dynamodb"), world.table_name).uses(world.good_group)
    }
    assert {compliant, *others} <= used_by
    tags = world.client("ec2").describe_security_groups(GroupIds=[world.good_group])[
        "SecurityGroups"
    ][0]["Tags"]
    assert {"Key": GUARD_TAG, "Value": "true"} in tags
    told = world.notifications()
    assert sorted(json.loads(n["Message"])["name"] for n in told) == sorted([unencrypted, tuning])

    again, _ = sweeper_for(world)
    assert again.handle().complete is True
    assert world.notifications() == []  # told once, however many sweeps


def test_a_group_no_running_job_uses_loses_the_guards_tag(world: World) -> None:
    compliant = missed(world, "cloudtrail-create-training-job-compliant")
    world.guard_group(world.web_group)  # tagged once, by the guard or by hand; unused now
    sweeper, calls = sweeper_for(world)

    summary = sweeper.handle().to_dict()

    assert summary["untagged"] == [world.web_group]
    ec2 = world.client("ec2")
    web_tags = ec2.describe_security_groups(GroupIds=[world.web_group])["SecurityGroups"][0].get(
        "Tags", []
    )
    assert GUARD_TAG not in {t["Key"] for t in web_tags}
    good_tags = ec2.describe_security_groups(GroupIds=[world.good_group])["SecurityGroups"][0][
        "Tags"
    ]
    assert {"Key": GUARD_TAG, "Value": "true"} in good_tags  # in use by `compliant`
    assert status(world, compliant) == "InProgress"
    assert calls["ec2:DeleteTags"] == 1


def test_notify_mode_says_which_tags_it_would_remove_and_changes_nothing(world: World) -> None:
    unencrypted = missed(world, "cloudtrail-create-training-job-unencrypted")
    world.guard_group(world.web_group)
    sweeper, calls = sweeper_for(world, Policy(mode=GuardMode.NOTIFY))

    summary = sweeper.handle().to_dict()

    assert status(world, unencrypted) == "InProgress"
    assert summary["untagged"] == [f"notify mode: would remove {GUARD_TAG} from {world.web_group}"]
    assert not {
        c
        for c in calls
        if c.split(":")[1].startswith(("Stop", "Delete", "Create", "Authorize", "Revoke"))
    }


def test_a_sweep_out_of_time_resumes_after_the_last_job_it_finished(world: World) -> None:
    names = [
        missed(world, "cloudtrail-create-training-job-unencrypted", f"late-{i}") for i in range(7)
    ]
    clock = [0.0]

    def each_stop_takes_five_seconds(**_: Any) -> None:
        clock[0] += 5.0

    # 70 s to run; the budget keeps 22 s back and a job may take 20: after three batches
    # of two jobs the sweep stops.
    context = LambdaContext(timeout_ms=70_000, clock=lambda: clock[0])
    sweeper, _ = sweeper_for(
        world, hooks={"sagemaker.StopTrainingJob": each_stop_takes_five_seconds}, workers=2
    )
    sweeper.budget.start(context.get_remaining_time_in_millis)
    first = sweeper.handle()
    sweeper.budget.start(None)

    assert first.complete is False
    assert first.resume_after is not None
    done = [n for n in names if status(world, n) == "Stopping"]
    assert 0 < len(done) < len(names)
    assert first.resume_after == f"training-job/{sorted(done)[-1]}"

    second, _ = sweeper_for(world)
    summary = second.handle()
    assert summary.complete is True
    assert summary.visited == len(names) - len(done)  # only the jobs left
    assert all(status(world, n) == "Stopping" for n in names)
    assert len(world.notifications()) == len(names)  # each told once


def test_every_call_a_sweep_makes_is_one_it_is_granted(world: World) -> None:
    missed(world, "cloudtrail-create-training-job-unencrypted")
    missed(world, "cloudtrail-create-training-job-missing-ipsec")
    missed(world, "cloudtrail-create-hyper-parameter-tuning-job")
    world.guard_group(world.web_group)
    for mode in GuardMode:
        sweeper, calls = sweeper_for(world, Policy(mode=mode))
        sweeper.handle()
        assert set(calls) <= sweeper_permissions(mode), mode


def test_a_job_aws_will_not_describe_does_not_stop_the_sweep(world: World) -> None:
    names = [
        missed(world, "cloudtrail-create-training-job-unencrypted", f"job-{i}") for i in range(3)
    ]
    refused = HttpFault("sagemaker", "DescribeTrainingJob", "AccessDeniedException", times=1)
    sweeper, _ = sweeper_for(world, hooks={"sagemaker.DescribeTrainingJob": refused})

    summary = sweeper.handle()

    assert [e["error"] for e in summary.errors] == ["AccessDeniedException"]
    assert summary.complete is True  # the next pass visits the refused job again
    assert sorted(status(world, n) for n in names) == ["InProgress", "Stopping", "Stopping"]


def test_a_pass_with_errors_untags_nothing(world: World) -> None:
    """A job the sweep could not judge may use a guarded group the record does not know."""
    missed(world, "cloudtrail-create-training-job-compliant")
    world.guard_group(world.good_group)  # tagged, but its job's events never came
    refused = HttpFault("ec2", "DescribeVpcEndpoints", "UnauthorizedOperation")
    sweeper, calls = sweeper_for(world, hooks={"ec2.DescribeVpcEndpoints": refused})

    summary = sweeper.handle()

    assert summary.errors
    assert summary.untagged == []
    assert calls["ec2:DeleteTags"] == 0
