"""Never stop on absent evidence: state changes whose detail lacks what a control needs are
completed with one Describe call before anything is judged, and every shape the
SageMaker API accepts is judged, never rejected.

The state changes below are AWS's own documented examples ("Events that Amazon SageMaker
AI sends to Amazon EventBridge", awsdocs/amazon-sagemaker-developer-guide,
doc_source/automating-sagemaker-with-eventbridge.md): their detail has no
EnableInterContainerTrafficEncryption or EnableNetworkIsolation, an empty VpcConfig and
Tags, and placeholder values ("InstanceType", "KmsKeyId") that are no judgment's
evidence. Only the job's name, ARN and status are set to a job in the emulator, and the
status to InProgress (the documented example is Completed).

moto 5.2 cannot create a serverless training job (World.create_job_for), so those are
exercised on the CloudTrail path, where the request is the evidence and no Describe is
needed; a stop then finds no job to stop.
"""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest

from emulator.world import ACCOUNT, REGION, World
from tests.integration.conftest import Counted, counted
from training_guard.config import Policy
from training_guard.job_guard import JobGuard

TRAINING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/"
TUNING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/"

# AWS's documented example of a training job state change, as published.
DOCUMENTED_TRAINING_STATE_CHANGE: dict[str, Any] = {
    "version": "0",
    "id": "844e2571-85d4-695f-b930-0153b71dcb42",
    "detail-type": "SageMaker Training Job State Change",
    "source": "aws.sagemaker",
    "account": "123456789012",
    "time": "2018-10-06T12:26:13Z",
    "region": "us-east-1",
    "resources": ["arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1"],
    "detail": {
        "TrainingJobName": "89c96cc8-dded-4739-afcc-6f1dc936701d",
        "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/kmeans-1",
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "HyperParameters": {"Hyper": "Parameters"},
        "AlgorithmSpecification": {
            "TrainingImage": "TrainingImage",
            "TrainingInputMode": "TrainingInputMode",
        },
        "RoleArn": "arn:aws:iam::123456789012:role/SMRole",
        "InputDataConfig": [
            {
                "ChannelName": "Train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3DataType",
                        "S3Uri": "S3Uri",
                        "S3DataDistributionType": "S3DataDistributionType",
                    }
                },
                "ContentType": "ContentType",
                "CompressionType": "CompressionType",
                "RecordWrapperType": "RecordWrapperType",
            }
        ],
        "OutputDataConfig": {"KmsKeyId": "KmsKeyId", "S3OutputPath": "S3OutputPath"},
        "ResourceConfig": {
            "InstanceType": "InstanceType",
            "InstanceCount": 3,
            "VolumeSizeInGB": 20,
            "VolumeKmsKeyId": "VolumeKmsKeyId",
        },
        "VpcConfig": {},
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        "CreationTime": "1583831889050",
        "TrainingStartTime": "1583831889050",
        "TrainingEndTime": "1583831889050",
        "LastModifiedTime": "1583831889050",
        "SecondaryStatusTransitions": [],
        "Tags": {},
    },
}

# AWS's documented example of a tuning job state change, as published.
DOCUMENTED_TUNING_STATE_CHANGE: dict[str, Any] = {
    "version": "0",
    "id": "844e2571-85d4-695f-b930-0153b71dcb42",
    "detail-type": "SageMaker HyperParameter Tuning Job State Change",
    "source": "aws.sagemaker",
    "account": "123456789012",
    "time": "2018-10-06T12:26:13Z",
    "region": "us-east-1",
    "resources": ["arn:aws:sagemaker:us-east-1:123456789012:tuningJob/x"],
    "detail": {
        "HyperParameterTuningJobName": "016bffd3-6d71-4d3a-9710-0a332b2759fc",
        "HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:123456789012:tuningJob/x",
        "TrainingJobDefinition": {
            "StaticHyperParameters": {},
            "AlgorithmSpecification": {
                "TrainingImage": "trainingImageName",
                "TrainingInputMode": "inputModeFile",
                "MetricDefinitions": [{"Name": "metricName", "Regex": "regex"}],
            },
            "RoleArn": "roleArn",
            "InputDataConfig": [
                {
                    "ChannelName": "channelName",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "s3DataType",
                            "S3Uri": "s3Uri",
                            "S3DataDistributionType": "s3DistributionType",
                        }
                    },
                    "ContentType": "contentType",
                    "CompressionType": "gz",
                    "RecordWrapperType": "RecordWrapper",
                }
            ],
            "VpcConfig": {"SecurityGroupIds": ["securityGroupIds"], "Subnets": ["subnets"]},
            "OutputDataConfig": {"KmsKeyId": "kmsKeyId", "S3OutputPath": "s3OutputPath"},
            "ResourceConfig": {
                "InstanceType": "instanceType",
                "InstanceCount": 10,
                "VolumeSizeInGB": 500,
                "VolumeKmsKeyId": "volumeKeyId",
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        "HyperParameterTuningJobStatus": "status",
        "CreationTime": "1583831889050",
        "LastModifiedTime": "1583831889050",
        "TrainingJobStatusCounters": {
            "Completed": 1,
            "InProgress": 0,
            "RetryableError": 0,
            "NonRetryableError": 0,
            "Stopped": 0,
        },
        "ObjectiveStatusCounters": {"Succeeded": 1, "Pending": 0, "Failed": 0},
        "Tags": {},
    },
}


def documented_training_change(name: str) -> dict[str, Any]:
    """AWS's documented example, about the running job `name` of this account."""
    event = copy.deepcopy(DOCUMENTED_TRAINING_STATE_CHANGE)
    arn = TRAINING_ARN + name
    event["resources"] = [arn]
    event["detail"].update(
        TrainingJobName=name, TrainingJobArn=arn, TrainingJobStatus="InProgress",
        SecondaryStatus="Starting",
    )  # fmt: skip
    return event


def documented_tuning_change(name: str) -> dict[str, Any]:
    event = copy.deepcopy(DOCUMENTED_TUNING_STATE_CHANGE)
    arn = TUNING_ARN + name
    event["resources"] = [arn]
    event["detail"].update(
        HyperParameterTuningJobName=name, HyperParameterTuningJobArn=arn,
        HyperParameterTuningJobStatus="InProgress",
    )  # fmt: skip
    return event


def guard(world: World) -> tuple[JobGuard, Counted]:
    c = counted(world)
    return JobGuard(c.clients, Policy.from_environment(), c.notifier, c.record), c


def training_status(name: str) -> str:
    job = boto3.client("sagemaker").describe_training_job(TrainingJobName=name)
    return str(job["TrainingJobStatus"])


def tuning_status(name: str) -> str:
    job = boto3.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name
    )
    return str(job["HyperParameterTuningJobStatus"])


# --- state changes completed with one Describe ---------------------------------------


def test_the_documented_example_of_a_compliant_job_does_not_stop_it(world: World) -> None:
    # Its detail lacks EnableInterContainerTrafficEncryption: were that read as "off",
    # this encrypted 2-instance job would be stopped.
    world.create_job_for(world.event("cloudtrail-create-training-job-compliant"))
    job_guard, c = guard(world)
    summary = job_guard.handle(documented_training_change("fraud-model-compliant")).to_dict()
    assert summary["resource"] == TRAINING_ARN + "fraud-model-compliant"
    assert summary["findings"] == []
    assert summary["actions"] == []
    assert c.calls["sagemaker:DescribeTrainingJob"] == 1
    assert c.calls["sagemaker:ListTags"] == 1
    assert "sagemaker:StopTrainingJob" not in c.calls
    assert training_status("fraud-model-compliant") == "InProgress"
    # Judged as described, it is let run: its group is in the guard's record.
    (use,) = c.record.uses(world.good_group)
    assert use.job_arn == TRAINING_ARN + "fraud-model-compliant"
    assert world.notifications() == []


def test_the_documented_example_of_a_noncompliant_job_stops_it(world: World) -> None:
    world.create_job_for(world.event("cloudtrail-create-training-job-unencrypted"))
    job_guard, c = guard(world)
    summary = job_guard.handle(documented_training_change("fraud-model-unencrypted")).to_dict()
    assert [f["control"] for f in summary["findings"]] == ["inter-container-encryption"]
    assert "2 x ml.m5.xlarge" in summary["findings"][0]["message"]  # as described
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert c.calls["sagemaker:DescribeTrainingJob"] == 1
    assert training_status("fraud-model-unencrypted") == "Stopping"
    assert c.record.uses(world.good_group) == []  # a stopped job is not recorded
    assert len(world.notifications()) == 1


def test_a_tuning_child_with_only_its_name_is_judged_as_its_tuning_job(world: World) -> None:
    world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    world.create_job_for(world.event("sagemaker-training-job-state-change-tuning-child"))
    child = "xgb-tuning-unencrypted-001-1a2b3c4d"
    world.mark_tuning_child(child, TUNING_ARN + "xgb-tuning-unencrypted")
    event = world.event("sagemaker-training-job-state-change-tuning-child")
    # No TuningJobArn, no configuration: only who and in which status.
    event["detail"] = {
        "TrainingJobName": child,
        "TrainingJobArn": TRAINING_ARN + child,
        "TrainingJobStatus": "InProgress",
    }
    job_guard, c = guard(world)
    summary = job_guard.handle(event).to_dict()
    assert summary["resource"] == TUNING_ARN + "xgb-tuning-unencrypted"
    assert [f["control"] for f in summary["findings"]] == ["inter-container-encryption"]
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert c.calls["sagemaker:DescribeTrainingJob"] == 1  # gives the TuningJobArn
    assert c.calls["sagemaker:DescribeHyperParameterTuningJob"] == 1
    assert "sagemaker:StopTrainingJob" not in c.calls  # the tuner stops its children
    assert tuning_status("xgb-tuning-unencrypted") == "Stopping"
    assert training_status(child) == "InProgress"


def test_a_job_that_no_longer_exists_is_skipped(world: World) -> None:
    job_guard, c = guard(world)
    summary = job_guard.handle(documented_training_change("fraud-model-deleted")).to_dict()
    assert summary["resource"] == TRAINING_ARN + "fraud-model-deleted"
    assert summary["findings"] == []
    assert summary["actions"] == [
        {"action": "skipped", "detail": "fraud-model-deleted no longer exists."}
    ]
    assert c.calls["sagemaker:DescribeTrainingJob"] == 1
    assert not [call for call in c.calls if call.startswith("ec2:")]
    assert world.notifications() == []


@pytest.mark.parametrize(
    ("sample", "controls", "status"),
    [
        ("cloudtrail-create-hyper-parameter-tuning-job", ["inter-container-encryption"], "Stopping"),
        ("cloudtrail-create-hyper-parameter-tuning-job-resource-config", ["volume-kms"], "Stopping"),
    ],
)  # fmt: skip
def test_the_documented_example_of_a_tuning_job_is_completed_with_a_describe(
    world: World, sample: str, controls: list[str], status: str
) -> None:
    created = world.event(sample)
    world.create_job_for(created)
    name = created["detail"]["requestParameters"]["hyperParameterTuningJobName"]
    job_guard, c = guard(world)
    summary = job_guard.handle(documented_tuning_change(name)).to_dict()
    assert summary["resource"] == TUNING_ARN + name
    assert [f["control"] for f in summary["findings"]] == controls
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert c.calls["sagemaker:DescribeHyperParameterTuningJob"] == 1
    assert tuning_status(name) == status


# --- every shape the API accepts, on the CloudTrail path ------------------------------


def flexible_tuning(world: World, **definition: Any) -> dict[str, Any]:
    event = world.event("cloudtrail-create-hyper-parameter-tuning-job-resource-config")
    event["detail"]["requestParameters"]["trainingJobDefinition"].update(definition)
    return event


def test_tuning_resource_config_with_instance_type_and_count_is_judged(world: World) -> None:
    event = world.event("cloudtrail-create-hyper-parameter-tuning-job-resource-config")
    world.create_job_for(event)
    job_guard, c = guard(world)
    summary = job_guard.handle(event).to_dict()
    (finding,) = summary["findings"]
    assert finding["control"] == "volume-kms"
    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    assert not [call for call in c.calls if "Describe" in call and call.startswith("sagemaker:")]
    assert tuning_status("xgb-tuning-flexible") == "Stopping"


def test_tuning_resource_config_counts_its_instances(world: World) -> None:
    # 2 x ml.m5.xlarge from HyperParameterTuningResourceConfig: distributed, so
    # encryption is required.
    event = flexible_tuning(world, enableInterContainerTrafficEncryption=False)
    resources = event["detail"]["requestParameters"]["trainingJobDefinition"]
    resources["hyperParameterTuningResourceConfig"]["volumeKmsKeyId"] = world.key_id
    world.create_job_for(event)
    summary = guard(world)[0].handle(event).to_dict()
    assert [f["control"] for f in summary["findings"]] == ["inter-container-encryption"]
    assert "2 x ml.m5.xlarge" in summary["findings"][0]["message"]


def test_a_compliant_flexible_tuning_job_runs_and_is_recorded(world: World) -> None:
    event = world.event("cloudtrail-create-hyper-parameter-tuning-job-resource-config")
    definition = event["detail"]["requestParameters"]["trainingJobDefinition"]
    definition["hyperParameterTuningResourceConfig"]["volumeKmsKeyId"] = world.key_id
    world.create_job_for(event)
    job_guard, c = guard(world)
    summary = job_guard.handle(event).to_dict()
    assert summary["findings"] == []
    assert summary["actions"] == []
    assert tuning_status("xgb-tuning-flexible") == "InProgress"
    (use,) = c.record.uses(world.good_group)
    assert use.job_arn == TUNING_ARN + "xgb-tuning-flexible"


def serverless(world: World) -> dict[str, Any]:
    return world.event("cloudtrail-create-training-job-serverless")


def test_a_serverless_job_is_judged_without_vpc_config(world: World) -> None:
    job_guard, c = guard(world)
    summary = job_guard.handle(serverless(world)).to_dict()
    assert summary["resource"] == TRAINING_ARN + "support-llm-sft-serverless"
    assert summary["findings"] == []
    assert summary["actions"] == []
    # No VPC, no instances: nothing of EC2 to read, no Describe, nothing recorded.
    assert not [call for call in c.calls if call.startswith(("ec2:", "sagemaker:"))]
    assert "kms:DescribeKey" in c.calls  # its output key is judged
    assert "dynamodb:UpdateItem" not in c.calls


def test_a_serverless_job_is_judged_on_its_output_key(world: World) -> None:
    event = serverless(world)
    del event["detail"]["requestParameters"]["outputDataConfig"]["kmsKeyId"]
    summary = guard(world)[0].handle(event).to_dict()
    assert [f["control"] for f in summary["findings"]] == ["output-kms"]
    # moto cannot create a serverless job, so the stop finds none to stop.
    assert summary["actions"] == [
        {
            "action": "skipped",
            "detail": "Nothing to stop: training job support-llm-sft-serverless does not exist.",
        }
    ]


def test_a_serverless_job_with_an_aws_managed_key_is_flagged(world: World) -> None:
    event = serverless(world)
    event["detail"]["requestParameters"]["outputDataConfig"]["kmsKeyId"] = "alias/aws/s3"
    summary = guard(world)[0].handle(event).to_dict()
    assert [f["control"] for f in summary["findings"]] == ["kms-customer-managed"]
