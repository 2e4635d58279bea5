"""Bad input and failing AWS: each a clear, specific outcome, never a silent loss.

Understood-but-unusable events come back as a `failed` action naming the reason (and
raise the RejectedEvents metric, which has an alarm). Transient AWS errors are
retried by the client and then raised, so Lambda retries the event and finally
parks it in the failed-events queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.extensions.sagemaker import set_training_job_status
from emulator.world import ACCOUNT, REGION, World
from tests.integration.conftest import Invoke, fresh_session
from tests.integration.faults import HttpFault
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard

# Few attempts keep the backoff short; the retry logic is botocore's standard mode.
FAST_RETRIES = Config(retries={"total_max_attempts": 3, "mode": "standard"})


def guard_with(world: World, *faults: HttpFault, config: Config = FAST_RETRIES) -> JobGuard:
    session = fresh_session()
    for fault in faults:
        fault.install(session)
    clients = Clients.create(session=session, config=config)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    record = GroupRecord(clients.dynamodb, world.table_name)
    return JobGuard(clients, Policy.from_environment(), notifier, record)


def rejected(summary: dict[str, Any]) -> str:
    assert summary["findings"] == []
    (action,) = summary["actions"]
    assert action["action"] == "failed"
    return str(action["detail"])


def training_status(name: str) -> str:
    job = boto3.client("sagemaker").describe_training_job(TrainingJobName=name)
    return str(job["TrainingJobStatus"])


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ([], "event: expected an EventBridge event object, got a list"),
        (None, "event: expected an EventBridge event object, got null"),
        ({"id": "x"}, "event.detail-type: not one this function handles"),
        ({"detail-type": "AWS API Call via CloudTrail", "id": "x"}, "event.detail: expected an object, got nothing"),
    ],
)  # fmt: skip
def test_malformed_events(world: World, invoke: Invoke, event: Any, reason: str) -> None:
    assert reason in rejected(invoke(event))
    assert world.notifications() == []


def test_unknown_event_is_rejected_and_logged(
    world: World, invoke: Invoke, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    event = world.event("eventbridge-unknown-detail-type")
    assert "event.detail-type: not one this function handles" in rejected(invoke(event))
    (error,) = [line for line in logs() if line["level"] == "ERROR"]
    assert error["event_id"] == event["id"]
    assert "not one this function handles" in error["reason"]
    assert error["correlation_id"] == event["id"]


def test_other_cloudtrail_calls_are_rejected(world: World, invoke: Invoke) -> None:
    event = world.event("cloudtrail-create-training-job-compliant")
    event["detail"]["eventName"] = "DeleteModel"
    assert "eventName: not a call the job guard handles" in rejected(invoke(event))


@pytest.mark.parametrize(
    ("remove", "reason"),
    [  # the field's path, never its value
        ("requestParameters", "event.detail.requestParameters: expected the request's parameters, got nothing"),
        ("requestParameters.resourceConfig", "event.detail.requestParameters.ResourceConfig: expected a ResourceConfig with an instance type, got nothing"),
        ("requestParameters.trainingJobName", "event.detail.requestParameters.TrainingJobName: expected a training job name, got nothing"),
    ],
)  # fmt: skip
def test_missing_fields(world: World, invoke: Invoke, remove: str, reason: str) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    *path, leaf = remove.split(".")
    parent = event["detail"]
    for key in path:
        parent = parent[key]
    del parent[leaf]
    assert reason in rejected(invoke(event))


def test_job_that_does_not_exist(world: World, invoke: Invoke) -> None:
    summary = invoke(world.event("cloudtrail-create-training-job-unencrypted"))
    assert [f["control"] for f in summary["findings"]] == ["inter-container-encryption"]
    assert summary["actions"] == [
        {
            "action": "skipped",
            "detail": "Nothing to stop: training job fraud-model-unencrypted does not exist.",
        }
    ]
    assert len(world.notifications()) == 1


def test_job_already_completed(world: World, invoke: Invoke) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    set_training_job_status(ACCOUNT, REGION, "fraud-model-unencrypted", "Completed")
    summary = invoke(event)
    assert summary["actions"] == [
        {
            "action": "skipped",
            "detail": "Nothing to stop: training job fraud-model-unencrypted is already Completed.",
        }
    ]
    assert training_status("fraud-model-unencrypted") == "Completed"


def test_access_denied_on_stop_is_a_failed_action(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    denied = HttpFault("sagemaker", "StopTrainingJob", "AccessDeniedException")
    summary = guard_with(world, denied).handle(event).to_dict()
    (action,) = summary["actions"]
    assert action["action"] == "failed"
    assert "AccessDeniedException" in action["detail"]
    assert "sagemaker:StopTrainingJob" in action["detail"]
    assert training_status("fraud-model-unencrypted") == "InProgress"
    (notification,) = world.notifications()
    assert notification["MessageAttributes"]["action"]["Value"] == '["failed"]'


def test_throttling_is_retried_until_it_passes(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    throttled = HttpFault("sagemaker", "StopTrainingJob", "ThrottlingException", times=2)
    summary = guard_with(world, throttled).handle(event).to_dict()
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert throttled.calls == 2
    assert training_status("fraud-model-unencrypted") == "Stopping"


def test_persistent_throttling_raises_so_the_event_is_retried(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    throttled = HttpFault("sagemaker", "StopTrainingJob", "ThrottlingException")
    with pytest.raises(ClientError, match="ThrottlingException"):
        guard_with(world, throttled).handle(event)
    assert throttled.calls == 3
    assert world.notifications() == []  # nothing is told until the retried event succeeds

    summary = guard_with(world).handle(event).to_dict()  # Lambda's retry, fault gone
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert len(world.notifications()) == 1


def test_failed_publish_is_not_remembered(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-no-vpc")
    world.create_job_for(event)
    throttled = HttpFault("sns", "Publish", "Throttling")
    with pytest.raises(ClientError, match="Throttling"):
        guard_with(world, throttled).handle(event)
    assert world.notifications() == []

    guard_with(world).handle(event)  # the retried event must still tell
    assert len(world.notifications()) == 1


def test_refused_tagging_is_a_failed_action_not_a_lost_event(world: World) -> None:
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    refused = HttpFault("ec2", "CreateTags", "UnauthorizedOperation")
    summary = guard_with(world, refused).handle(event).to_dict()
    (action,) = summary["actions"]
    assert action["action"] == "failed"
    assert action["detail"].startswith(
        f"Could not mark {world.good_group} as guarded: UnauthorizedOperation"
    )
    assert training_status("fraud-model-compliant") == "InProgress"
