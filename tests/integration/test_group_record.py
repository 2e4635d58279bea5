"""Tags are not authority: which groups the guard changes, and what they must allow,
come from its own record in the state table, written by job_guard when it lets a job
run and removed when the job ends.

Each test fails on the tag-driven guard this replaced: that guard revoked public
ingress on any group tagged `training-guard:guarded=true`, added the rules a
`training-guard:self-traffic` tag asked for, wrote no record, ignored terminal state
changes, and scanned the running jobs (ListTrainingJobs, ListHyperParameterTuningJobs
and two calls per job) on every change to an untagged group.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from emulator.extensions.sagemaker import set_training_job_status
from emulator.replay import apply_change
from emulator.world import ACCOUNT, REGION, World
from tests.integration.conftest import Invoke, counted, fresh_session
from tests.integration.ec2_changes import public_ingress, self_rules
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.records import GroupRecord, job_uses
from training_guard.facts.groups import SelfTraffic
from training_guard.facts.network import Direction
from training_guard.sg_guard import SgGuard

TRAINING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/"
TUNING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/"
NOT_CHANGED = (
    "Not changed: no running job the guard let run uses this group, and a tag alone never "
    "makes the guard change a group. Reported only."
)
IPSEC = {("udp", 500), ("50", None)}
NETWORKS = ("10.0.1.0/24", "10.0.2.0/24")


def rules(world: World, group_id: str) -> tuple[Any, Any]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return group["IpPermissions"], group["IpPermissionsEgress"]


def tags_of(world: World, group_id: str) -> dict[str, str]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}


def record_item(world: World, key: str) -> dict[str, Any]:
    """An item of the state table as DynamoDB holds it ({} when there is none)."""
    answer = world.client("dynamodb").get_item(
        TableName=world.table_name, Key={"resource": {"S": key}}, ConsistentRead=True
    )
    return answer.get("Item", {})  # type: ignore[no-any-return]


def entries(world: World, group_id: str) -> set[str]:
    """The jobs the record holds for a group, read straight from the table: one
    `job:<job ARN>|<groups>` attribute per job and set of groups (effects/records.py)."""
    return {
        name.removeprefix("job:").split("|", 1)[0]
        for name in record_item(world, f"group#{group_id}")
        if name.startswith("job:")
    }


def open_to_the_internet(world: World, group_id: str) -> dict[str, Any]:
    """Someone opens RDP to 0.0.0.0/0 on the group: the change, and its CloudTrail event."""
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    event["detail"]["requestParameters"]["groupId"] = group_id
    apply_change(world, event)
    return event


# --- (a) forged tags ----------------------------------------------------------------


def test_forged_tags_make_no_group_the_guards(world: World, invoke_sg: Invoke) -> None:
    # Anyone who may call ec2:CreateTags writes the tags the old guard took as orders.
    world.client("ec2").create_tags(
        Resources=[world.web_group],
        Tags=[
            {"Key": "training-guard:guarded", "Value": "true"},
            {"Key": "training-guard:self-traffic", "Value": "ipsec+efa"},
        ],
    )
    event = world.event("cloudtrail-ec2-authorize-ingress-unguarded")  # SSH from 0.0.0.0/0
    apply_change(world, event)
    opened = rules(world, world.web_group)

    summary = invoke_sg(event)
    assert [f["control"] for f in summary["findings"]] == ["sg-no-public-ingress"]
    assert summary["actions"] == [{"action": "skipped", "detail": NOT_CHANGED}]
    # Read back: nothing revoked, no rule added, in either direction.
    assert rules(world, world.web_group) == opened
    assert public_ingress(world, world.web_group) == [("tcp", 22, "0.0.0.0/0")]
    assert self_rules(world, world.web_group, Direction.INGRESS) == set()
    assert self_rules(world, world.web_group, Direction.EGRESS) == set()
    (notification,) = world.notifications()  # reported, so someone looks
    assert notification["Subject"].endswith("not changed")


def test_a_forged_traffic_tag_does_not_change_what_a_kept_group_gets(
    world: World, invoke_sg: Invoke
) -> None:
    # The record says the job needs IPsec only; a hand-written tag asks for EFA's
    # all-traffic rules too.
    world.keep_group(world.good_group, traffic=SelfTraffic.IPSEC)
    world.guard_group(world.good_group, **{"training-guard:self-traffic": "ipsec+efa"})
    event = world.event("cloudtrail-ec2-revoke-ingress-ipsec-nested")  # the IKE self rule
    apply_change(world, event)
    summary = invoke_sg(event)
    assert [f["control"] for f in summary["findings"]] == ["sg-ipsec-self-rules"]
    assert [a["action"] for a in summary["actions"]] == ["repaired"]
    assert self_rules(world, world.good_group, Direction.INGRESS) == IPSEC  # no ("-1", None)


# --- (b) the record follows the job's life ------------------------------------------


def test_job_guard_records_the_job_it_lets_run_and_forgets_it_when_it_ends(
    world: World, invoke: Invoke, invoke_sg: Invoke
) -> None:
    created = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(created)
    assert invoke(created)["actions"] == []
    arn = TRAINING_ARN + "fraud-model-compliant"
    assert entries(world, world.good_group) == {arn}
    (use,) = GroupRecord(world.client("dynamodb"), world.table_name).uses(world.good_group)
    assert (use.job_arn, use.groups, use.traffic, use.networks) == (
        arn, (world.good_group,), SelfTraffic.IPSEC, NETWORKS,
    )  # fmt: skip

    set_training_job_status(ACCOUNT, REGION, "fraud-model-compliant", "Completed")
    ended = invoke(world.event("sagemaker-training-job-state-change-completed"))
    assert ended["findings"] == []
    assert ended["actions"] == [
        {
            "action": "skipped",
            "detail": f"fraud-model-compliant is Completed; its record of {world.good_group} "
            "removed.",
        }
    ]
    assert entries(world, world.good_group) == set()
    assert tags_of(world, world.good_group) == {"training-guard:guarded": "true"}  # still

    # The tag stays, but no running job uses the group any more: reported, not revoked.
    summary = invoke_sg(open_to_the_internet(world, world.good_group))
    assert [f["control"] for f in summary["findings"]] == ["sg-no-public-ingress"]
    assert summary["actions"] == [{"action": "skipped", "detail": NOT_CHANGED}]
    assert public_ingress(world, world.good_group) == [("tcp", 3389, "0.0.0.0/0")]


def test_a_late_event_about_an_ended_job_records_nothing(world: World, invoke: Invoke) -> None:
    # EventBridge does not keep order, and Lambda retries a failed event for an hour.
    created = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(created)
    set_training_job_status(ACCOUNT, REGION, "fraud-model-compliant", "Completed")
    invoke(world.event("sagemaker-training-job-state-change-completed"))
    invoke(created)  # the CloudTrail event, delivered late
    assert entries(world, world.good_group) == set()


@pytest.mark.parametrize("status", ["Failed", "Stopped"])
def test_every_end_removes_the_job(world: World, invoke: Invoke, status: str) -> None:
    created = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(created)
    invoke(created)
    assert entries(world, world.good_group) == {TRAINING_ARN + "fraud-model-compliant"}
    set_training_job_status(ACCOUNT, REGION, "fraud-model-compliant", status)
    ended = world.event("sagemaker-training-job-state-change-completed")
    ended["detail"]["TrainingJobStatus"] = ended["detail"]["SecondaryStatus"] = status
    assert invoke(ended)["actions"][0]["detail"].startswith(f"fraud-model-compliant is {status}")
    assert entries(world, world.good_group) == set()


def test_a_group_another_job_still_uses_stays_kept(
    world: World, invoke: Invoke, invoke_sg: Invoke
) -> None:
    world.keep_group(world.good_group, job="still-running")
    created = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(created)
    invoke(created)
    set_training_job_status(ACCOUNT, REGION, "fraud-model-compliant", "Completed")
    invoke(world.event("sagemaker-training-job-state-change-completed"))
    assert entries(world, world.good_group) == {TRAINING_ARN + "still-running"}

    summary = invoke_sg(open_to_the_internet(world, world.good_group))
    assert [a["action"] for a in summary["actions"]] == ["revoked"]
    assert public_ingress(world, world.good_group) == []


def test_a_tuning_job_is_recorded_and_forgotten_with_its_groups(
    world: World, invoke: Invoke
) -> None:
    created = world.event("cloudtrail-create-hyper-parameter-tuning-job-resource-config")
    definition = created["detail"]["requestParameters"]["trainingJobDefinition"]
    definition["hyperParameterTuningResourceConfig"]["volumeKmsKeyId"] = world.key_id
    world.create_job_for(created)
    assert invoke(created)["findings"] == []
    arn = TUNING_ARN + "xgb-tuning-flexible"
    assert entries(world, world.good_group) == {arn}

    ended = world.event("sagemaker-hyper-parameter-tuning-job-state-change-in-progress")
    ended["detail"].update(
        HyperParameterTuningJobName="xgb-tuning-flexible",
        HyperParameterTuningJobArn=arn,
        HyperParameterTuningJobStatus="Completed",
    )
    assert "its record of" in invoke(ended)["actions"][0]["detail"]
    assert entries(world, world.good_group) == set()


def test_only_the_jobs_it_lets_run_are_recorded(world: World, invoke: Invoke) -> None:
    stopped = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(stopped)
    assert [a["action"] for a in invoke(stopped)["actions"]] == ["stopped"]
    exempt = world.event("cloudtrail-create-training-job-compliant")
    exempt["detail"]["requestParameters"]["tags"] = [
        {"key": "training-guard:exempt", "value": "true"}
    ]
    world.create_job_for(exempt)
    invoke(exempt)
    assert entries(world, world.good_group) == set()
    assert tags_of(world, world.good_group) == {}
    # Its group repaired, this one runs: recorded.
    repaired = world.event("cloudtrail-create-training-job-missing-ipsec")
    world.create_job_for(repaired)
    assert [a["action"] for a in invoke(repaired)["actions"]] == ["repaired"]
    assert entries(world, world.bad_group) == {TRAINING_ARN + "fraud-model-open-sg"}


def test_notify_mode_records_the_job_it_would_let_run(
    world: World, invoke: Invoke, invoke_sg: Invoke, configure: Callable[..., None]
) -> None:
    configure(GUARD_MODE="notify")
    created = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(created)
    invoke(created)
    assert entries(world, world.good_group) == {TRAINING_ARN + "fraud-model-compliant"}
    assert tags_of(world, world.good_group) == {}  # notify mode writes nothing to EC2

    summary = invoke_sg(open_to_the_internet(world, world.good_group))
    assert summary["actions"] == [
        {"action": "skipped", "detail": "notify mode: would revoke those rules."}
    ]
    assert public_ingress(world, world.good_group) == [("tcp", 3389, "0.0.0.0/0")]


def test_the_groups_of_a_recorded_job_are_judged_together(world: World, invoke_sg: Invoke) -> None:
    # The job's instances carry both groups: the good group's IPsec self rules admit
    # their traffic, so a change to the bad group needs no IPsec repair.
    world.keep_group(world.bad_group, world.good_group)
    summary = invoke_sg(open_to_the_internet(world, world.bad_group))
    assert [f["control"] for f in summary["findings"]] == ["sg-no-public-ingress"]
    assert [a["action"] for a in summary["actions"]] == ["revoked"]
    assert self_rules(world, world.bad_group, Direction.INGRESS) == set()


# --- (c) a change to a group no job uses costs O(1) calls ----------------------------


def record_running_jobs(world: World, first: int, last: int) -> None:
    """Jobs running-<first>..<last - 1>, each recorded in a group of its own (none the
    web group), as job_guard records the jobs it lets run."""
    record = GroupRecord(world.client("dynamodb"), world.table_name)
    now = time.time()
    for number in range(first, last):
        group, job = f"sg-{number:017x}", f"running-{number}"
        record.remember(
            job_uses(TRAINING_ARN + job, f"training job {job}",
                     [((group,), SelfTraffic.IPSEC, NETWORKS)], 3600, now)
        )  # fmt: skip


SAGEMAKER_JOBS = (
    "cloudtrail-create-training-job-compliant",
    "cloudtrail-create-training-job-missing-ipsec",
    "cloudtrail-create-hyper-parameter-tuning-job",
)


def calls_for_a_change_to_the_web_group(world: World, event: dict[str, Any]) -> dict[str, int]:
    c = counted(world)
    guard = SgGuard(c.clients, Policy(), c.notifier, c.record, own_role=None)
    summary = guard.handle(event).to_dict()
    assert summary["actions"][0]["detail"].startswith(f"{world.web_group} is not guarded")
    return dict(c.calls)


def test_a_change_to_a_group_no_job_uses_costs_the_same_with_1000_running_jobs(
    world: World,
) -> None:
    event = world.event("cloudtrail-ec2-authorize-ingress-unguarded")
    apply_change(world, event)
    none_running = calls_for_a_change_to_the_web_group(world, event)
    record_running_jobs(world, 0, 1000)
    for sample in SAGEMAKER_JOBS:  # and a few running in SageMaker: there is no scan
        world.create_job_for(world.event(sample))
    assert len(GroupRecord(world.client("dynamodb"), world.table_name).uses("sg-" + "0" * 17)) == 1
    thousand_running = calls_for_a_change_to_the_web_group(world, event)
    assert none_running == thousand_running
    assert sum(thousand_running.values()) <= 2
    assert thousand_running == {"dynamodb:GetItem": 1, "ec2:DescribeSecurityGroups": 1}


# --- (d) entries expire --------------------------------------------------------------


def test_an_entry_whose_time_has_passed_is_ignored(world: World, invoke_sg: Invoke) -> None:
    # Recorded ten hours ago for a job that could run an hour: its end event was missed.
    then = time.time() - 10 * 3600
    arn = TRAINING_ARN + "long-gone"
    uses = job_uses(arn, "training job long-gone",
                    [((world.good_group,), SelfTraffic.IPSEC, NETWORKS)], 3600, then)  # fmt: skip
    GroupRecord(world.client("dynamodb"), world.table_name, clock=lambda: then).remember(uses)
    world.guard_group(world.good_group)  # the tag it was given then
    assert entries(world, world.good_group) == {arn}  # still there, but past its time

    summary = invoke_sg(open_to_the_internet(world, world.good_group))
    assert [f["control"] for f in summary["findings"]] == ["sg-no-public-ingress"]
    assert summary["actions"] == [{"action": "skipped", "detail": NOT_CHANGED}]
    assert public_ingress(world, world.good_group) == [("tcp", 3389, "0.0.0.0/0")]


def test_a_new_job_reusing_an_ended_jobs_name_is_guarded(world: World, invoke: Invoke) -> None:
    # A name may be reused once a job is deleted: the ended job's marker must not hide
    # the new job, which is told apart by its creation time.
    created = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(created)
    invoke(created)
    set_training_job_status(ACCOUNT, REGION, "fraud-model-compliant", "Completed")
    invoke(world.event("sagemaker-training-job-state-change-completed"))
    assert entries(world, world.good_group) == set()
    later = world.event("cloudtrail-create-training-job-compliant")
    later["time"] = later["detail"]["eventTime"] = "2025-04-02T10:00:00Z"
    assert invoke(later)["actions"] == []
    assert entries(world, world.good_group) == {TRAINING_ARN + "fraud-model-compliant"}


def test_many_groups_are_read_in_batches_of_a_hundred(world: World) -> None:
    """What scan reads of the record: BatchGetItem, 100 keys a call, each group's live
    entries as `uses()` gives them, an unknown group with none."""
    ids = [world.good_group, world.bad_group] + [f"sg-{i:017x}" for i in range(148)]
    world.keep_group(*ids[:2])
    calls: list[str] = []
    session = fresh_session()
    session.events.register("before-call", lambda model, **_: calls.append(model.name))
    record = GroupRecord(Clients.create(session=session).dynamodb, world.table_name)

    found = record.uses_of(ids)

    assert calls == ["BatchGetItem", "BatchGetItem"]
    assert set(found) == set(ids)
    assert [u.job_arn for u in found[ids[0]]] == [u.job_arn for u in record.uses(ids[0])]
    assert found[ids[0]]
    assert found[ids[149]] == []
