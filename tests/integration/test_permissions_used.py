"""Every AWS call the guards make is one template.yaml grants them.

tests/unit/test_permissions.py holds the template to the permissions the code
declares; this test holds the declarations to the calls the code really makes,
recorded with botocore's `before-call` hook while every sample runs.
"""

from __future__ import annotations

from typing import Any

from emulator.extensions.sagemaker import set_training_job_status
from emulator.replay import apply_change
from emulator.world import ACCOUNT, DEPLOY_ACCOUNT, REGION, World
from support import JOB_SAMPLE_NAMES, SG_SAMPLE_NAMES
from tests.integration.conftest import fresh_session
from training_guard.config import Policy
from training_guard.effects.aws import Clients, caller_role
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard
from training_guard.permissions import job_guard_permissions, sg_guard_permissions
from training_guard.sg_guard import SgGuard

# sts:GetCallerIdentity needs no permission (AWS STS API reference).
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def recording_clients(world: World) -> tuple[Clients, Notifier, GroupRecord, set[str]]:
    calls: set[str] = set()
    session = fresh_session()

    def record(model: Any, **_: Any) -> None:
        calls.add(f"{model.service_model.signing_name}:{model.name}")

    session.events.register("before-call", record)
    clients = Clients.create(session=session)
    return (
        clients,
        Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name),
        GroupRecord(clients.dynamodb, world.table_name),
        calls,
    )


def run_job_samples(world: World, guard: JobGuard) -> None:
    world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    for sample in JOB_SAMPLE_NAMES:
        event = world.event(sample)
        if (
            sample.startswith(("cloudtrail-create-training", "sagemaker-training"))
            and "failed" not in sample
        ):
            world.create_job_for(event)
        if sample.endswith("completed"):
            set_training_job_status(
                ACCOUNT, REGION, event["detail"]["TrainingJobName"], "Completed"
            )
        guard.handle(event)


def test_job_guard_calls_only_what_it_is_granted(world: World) -> None:
    clients, notifier, record, calls = recording_clients(world)
    policy = Policy(deploy_account_ids=(DEPLOY_ACCOUNT,))
    run_job_samples(world, JobGuard(clients, policy, notifier, record))
    # An incomplete state change is completed with DescribeTrainingJob (+ ListTags).
    world.create_job_for(world.event("cloudtrail-create-training-job-compliant"))
    event = world.event("sagemaker-training-job-state-change-in-progress")
    detail = event["detail"]
    event["detail"] = {k: detail[k] for k in ("TrainingJobName", "TrainingJobStatus")}
    event["detail"]["TrainingJobName"] = "fraud-model-compliant"
    JobGuard(clients, policy, notifier, record).handle(event)
    covered = {
        "sagemaker:StopTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:ListTags",
        "ec2:CreateTags",
        "kms:GetKeyPolicy",
        "dynamodb:UpdateItem",  # the record of the jobs it lets run, and of those that ended
    }
    assert covered <= calls, "samples cover the calls"
    assert calls - NEEDS_NO_PERMISSION <= job_guard_permissions()


def test_sg_guard_calls_only_what_it_is_granted(world: World) -> None:
    clients, notifier, record, calls = recording_clients(world)
    guard = SgGuard(clients, Policy(), notifier, record, caller_role(clients.sts))
    # A job the guard let run uses the group, whose tag someone removed: the first
    # change puts the tag back.
    world.keep_group(world.good_group, tag=False)
    for sample in SG_SAMPLE_NAMES:
        event = world.event(sample)
        apply_change(world, event)
        guard.handle(event)
    assert {
        "ec2:RevokeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateTags",
        "dynamodb:GetItem",
    } <= calls
    assert not {c for c in calls if c.startswith("sagemaker:")}, "no running-jobs scan"
    assert calls - NEEDS_NO_PERMISSION <= sg_guard_permissions()
