"""One normalized job from CloudTrail requests, state-change events and Describe* answers."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.world import load_sample, pascalize
from support import JOB_SAMPLE_NAMES
from training_guard.events import (
    CLOUDTRAIL_API_CALL,
    JOB_GUARD_EVENTS,
    TRAINING_JOB_STATE_CHANGE,
)
from training_guard.facts.jobs import (
    DEFAULT_TRAINING_SECONDS,
    MAX_JOB_SECONDS,
    InstanceGroup,
    JobFacts,
    JobKind,
    job_arn,
    name_from_arn,
    parse_tags,
    training_job_from_description,
    training_job_from_request,
    training_job_ref,
    tuning_job_from_description,
    tuning_job_from_request,
    tuning_job_ref,
)
from training_guard.reader import Field, InvalidEventError, root

ACCOUNT, REGION = "123456789012", "us-east-1"
SECRET = "do-not-log-me"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
TRAINING_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/j"
TUNING_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:hyper-parameter-tuning-job/t"


def request(value: object) -> Field:
    return root(value, "detail.requestParameters")


def response(value: object = None) -> Field:
    return root(value, "detail.responseElements")


def detail(value: object) -> Field:
    return root(value, "detail")


def training(params: dict[str, Any], resp: object = None, region: str = REGION) -> JobFacts:
    return training_job_from_request(request(params), response(resp), ACCOUNT, region)


def tuning(params: dict[str, Any], resp: object = None, region: str = REGION) -> JobFacts:
    return tuning_job_from_request(request(params), response(resp), ACCOUNT, region)


def cloudtrail_job(sample: str) -> JobFacts:
    raw = load_sample(sample)
    record = raw["detail"]
    parse = (
        training_job_from_request
        if record["eventName"] == "CreateTrainingJob"
        else tuning_job_from_request
    )
    return parse(
        request(record["requestParameters"]),
        response(record["responseElements"]),
        raw["account"],
        raw["region"],
    )


def state_change(sample: str) -> JobFacts:
    raw = load_sample(sample)
    if raw["detail-type"] == TRAINING_JOB_STATE_CHANGE:
        return training_job_from_description(detail(raw["detail"]))
    return tuning_job_from_description(detail(raw["detail"]))


# --- every sample -------------------------------------------------------------------

JOB_EVENT_SAMPLES = [
    n for n in JOB_SAMPLE_NAMES if load_sample(n)["detail-type"] in JOB_GUARD_EVENTS
]


def test_the_job_samples_are_found() -> None:
    assert len(JOB_EVENT_SAMPLES) >= 14


@pytest.mark.parametrize("sample", JOB_EVENT_SAMPLES)
def test_every_job_sample_parses(sample: str) -> None:
    raw = load_sample(sample)
    if raw["detail-type"] == CLOUDTRAIL_API_CALL:
        job = cloudtrail_job(sample)
    else:
        ref = (
            training_job_ref if raw["detail-type"] == TRAINING_JOB_STATE_CHANGE else tuning_job_ref
        )(detail(raw["detail"]))
        assert ref.complete, "every state-change sample carries the whole job"
        job = state_change(sample)
        assert (job.arn, job.status) == (ref.arn, ref.status)
    assert job.specs
    assert job.account == ACCOUNT
    assert job.region == REGION
    assert name_from_arn(job.arn) == job.name.lower()
    for spec in job.specs:
        assert bool(spec.clusters) is not spec.serverless
        assert all(g.count >= 1 for c in spec.clusters for g in c)
    assert 0 < job.runtime_seconds <= MAX_JOB_SECONDS


# --- CloudTrail samples ---------------------------------------------------------------


def test_cloudtrail_training_job_is_read_from_lower_camel_case() -> None:
    job = cloudtrail_job("cloudtrail-create-training-job-compliant")
    (spec,) = job.specs
    assert job.kind is JobKind.TRAINING
    assert job.name == "fraud-model-compliant"
    assert job.arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/fraud-model-compliant"
    assert job.tags == {"team": "fraud"}
    assert job.status is None
    assert spec.clusters == ((InstanceGroup("ml.m5.xlarge", 2),),)
    assert spec.inter_container_encryption is True
    assert spec.network_isolation is False
    assert spec.security_groups == ("sg-0c0ffee0c0ffee000",)
    assert spec.subnets == ("subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88")
    assert spec.output_kms_key == KEY_ARN
    assert spec.volume_kms_key == KEY_ID
    assert not spec.serverless
    assert job.runtime_seconds == 86400


def test_the_api_spelling_reads_the_same() -> None:
    record = load_sample("cloudtrail-create-training-job-compliant")["detail"]
    camel = training(record["requestParameters"])
    pascal = training(pascalize(record["requestParameters"]))
    assert pascal.specs == camel.specs
    assert pascal.tags == camel.tags


def test_heterogeneous_cluster_is_one_layout_of_several_groups() -> None:
    (spec,) = cloudtrail_job("cloudtrail-create-training-job-heterogeneous").specs
    assert spec.clusters == ((InstanceGroup("ml.c5.xlarge", 1), InstanceGroup("ml.m5.2xlarge", 2)),)
    assert spec.most_instances == 3
    assert spec.instance_types == ("ml.c5.xlarge", "ml.m5.2xlarge")
    assert spec.distributed_types == ("ml.c5.xlarge", "ml.m5.2xlarge")
    assert spec.is_distributed
    assert spec.volume_kms_key == KEY_ID
    assert spec.describe_instances() == "1 x ml.c5.xlarge + 2 x ml.m5.2xlarge"


def test_tuning_job_with_one_definition() -> None:
    job = cloudtrail_job("cloudtrail-create-hyper-parameter-tuning-job")
    assert job.kind is JobKind.TUNING
    assert job.arn.endswith(":hyper-parameter-tuning-job/xgb-tuning-unencrypted")
    (spec,) = job.specs
    assert spec.label == "xgb-tuning-unencrypted"
    assert spec.most_instances == 2
    assert spec.inter_container_encryption is False
    assert job.tags == {"team": "fraud"}


def test_tuning_job_with_a_list_of_definitions_keeps_their_names() -> None:
    job = cloudtrail_job("cloudtrail-create-hyper-parameter-tuning-job-definitions")
    assert [s.label for s in job.specs] == ["small", "large"]
    assert [s.most_instances for s in job.specs] == [1, 2]
    assert [s.inter_container_encryption for s in job.specs] == [True, False]


def test_a_failed_call_without_response_gets_its_arn_from_name_account_and_region() -> None:
    job = cloudtrail_job("cloudtrail-create-training-job-failed-call")
    assert job.arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/fraud-model-failed-call"


# --- state changes and Describe answers ------------------------------------------------


def test_state_change_detail_with_empty_vpc_config_and_tag_map() -> None:
    job = state_change("sagemaker-training-job-state-change-in-progress")
    (spec,) = job.specs
    assert job.status == "InProgress"
    assert job.tags == {"team": "churn"}
    assert spec.subnets == ()
    assert spec.security_groups == ()
    assert not spec.has_vpc
    assert spec.output_kms_key is None
    assert spec.inter_container_encryption is False


def test_tuning_child_knows_its_tuning_job() -> None:
    job = state_change("sagemaker-training-job-state-change-tuning-child")
    assert job.parent_tuning_job_arn == (
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:hyper-parameter-tuning-job/xgb-tuning-unencrypted"
    )


def test_tuning_state_change() -> None:
    job = state_change("sagemaker-hyper-parameter-tuning-job-state-change-in-progress")
    assert job.kind is JobKind.TUNING
    assert job.status == "InProgress"
    assert job.specs[0].most_instances == 2
    assert job.tags == {"team": "fraud"}


def aws_documented_detail() -> dict[str, Any]:
    """A training job state change as AWS's documentation shows one: none of the
    settings the controls judge, and no tags."""
    return {
        "TrainingJobName": "89ea7b14-ee23-4a2a-9ff2-69d0e7cd8d8d",
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/89ea7b14-ee23-4a2a-9ff2-69d0e7cd8d8d",
        "TrainingJobStatus": "InProgress",
        "SecondaryStatus": "Starting",
        "HyperParameters": {"k": "10", "password": SECRET},
        "AlgorithmSpecification": {"TrainingImage": "image", "TrainingInputMode": "File"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/SageMakerRole",
        "InputDataConfig": [{"ChannelName": "train"}],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "CreationTime": 1583831889050,
        "LastModifiedTime": 1583831889050,
        "SecondaryStatusTransitions": [{"Status": "Starting", "StartTime": 1583831889050}],
    }


def complete_detail() -> dict[str, Any]:
    return {
        **aws_documented_detail(),
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
        "EnableInterContainerTrafficEncryption": True,
        "EnableNetworkIsolation": False,
        "Tags": {},
    }


def test_aws_documented_state_change_is_incomplete() -> None:
    ref = training_job_ref(detail(aws_documented_detail()))
    assert not ref.complete
    assert ref.kind is JobKind.TRAINING
    assert ref.name == "89ea7b14-ee23-4a2a-9ff2-69d0e7cd8d8d"
    assert ref.arn.endswith(":training-job/89ea7b14-ee23-4a2a-9ff2-69d0e7cd8d8d")
    assert ref.status == "InProgress"
    assert ref.parent_tuning_job_arn is None


def test_a_full_state_change_is_complete() -> None:
    assert training_job_ref(detail(complete_detail())).complete


@pytest.mark.parametrize(
    "missing",
    ["TrainingJobArn", "OutputDataConfig", "EnableInterContainerTrafficEncryption",
     "EnableNetworkIsolation", "VpcConfig", "Tags", "ResourceConfig"],
)  # fmt: skip
def test_a_state_change_without_one_judged_field_is_incomplete(missing: str) -> None:
    raw = complete_detail()
    del raw[missing]
    assert not training_job_ref(detail(raw)).complete


def test_a_null_field_counts_as_missing() -> None:
    raw = complete_detail()
    raw["EnableInterContainerTrafficEncryption"] = None
    assert not training_job_ref(detail(raw)).complete


def test_a_serverless_state_change_needs_no_resource_config() -> None:
    raw = complete_detail()
    del raw["ResourceConfig"]
    raw["ServerlessJobConfig"] = {"BaseModelArn": "base", "JobType": "FineTuning"}
    assert training_job_ref(detail(raw)).complete


def test_an_incomplete_tuning_child_still_names_its_tuning_job() -> None:
    raw = aws_documented_detail()
    raw["TuningJobArn"] = TUNING_ARN
    ref = training_job_ref(detail(raw))
    assert not ref.complete
    assert ref.parent_tuning_job_arn == TUNING_ARN


TUNING_STATE_CHANGE = "sagemaker-hyper-parameter-tuning-job-state-change-in-progress"


def test_a_full_tuning_state_change_is_complete() -> None:
    raw = load_sample(TUNING_STATE_CHANGE)["detail"]
    ref = tuning_job_ref(detail(raw))
    assert ref.complete
    assert (ref.kind, ref.name, ref.status) == (
        JobKind.TUNING,
        "xgb-tuning-unencrypted",
        "InProgress",
    )


@pytest.mark.parametrize(
    "missing",
    [
        "HyperParameterTuningJobArn",
        "Tags",
        "HyperParameterTuningJobConfig",
        "TrainingJobDefinition",
    ],
)
def test_a_tuning_state_change_without_one_judged_field_is_incomplete(missing: str) -> None:
    raw = load_sample(TUNING_STATE_CHANGE)["detail"]
    del raw[missing]
    assert not tuning_job_ref(detail(raw)).complete


# The same settings a training job's detail must show (all but its ARN and tags, which
# the tuning job carries): each is judged by a control, so a definition that lacks one
# must be completed with DescribeHyperParameterTuningJob before it is judged.
DEFINITION_FIELDS = [
    "OutputDataConfig", "EnableInterContainerTrafficEncryption", "EnableNetworkIsolation",
    "VpcConfig", "ResourceConfig",
]  # fmt: skip


def test_definitions_need_what_a_training_detail_needs() -> None:
    raw = complete_detail()
    for key in DEFINITION_FIELDS:
        partial = {k: v for k, v in raw.items() if k != key}
        assert not training_job_ref(detail(partial)).complete, key


@pytest.mark.parametrize("missing", DEFINITION_FIELDS)
def test_a_tuning_definition_without_one_judged_field_is_incomplete(missing: str) -> None:
    raw = load_sample(TUNING_STATE_CHANGE)["detail"]
    del raw["TrainingJobDefinition"][missing]
    assert not tuning_job_ref(detail(raw)).complete


def test_a_definition_in_the_list_without_a_judged_field_is_incomplete() -> None:
    raw = load_sample(TUNING_STATE_CHANGE)["detail"]
    whole = raw.pop("TrainingJobDefinition")
    partial = {k: v for k, v in whole.items() if k != "VpcConfig"}
    raw["TrainingJobDefinitions"] = [whole, partial]
    assert not tuning_job_ref(detail(raw)).complete
    raw["TrainingJobDefinitions"] = [whole, whole]
    assert tuning_job_ref(detail(raw)).complete


def test_description_omission_is_unknown_request_omission_is_the_default() -> None:
    described = training_job_from_description(detail(aws_documented_detail() | {
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2},
    }))  # fmt: skip
    (spec,) = described.specs
    assert spec.inter_container_encryption is None
    assert spec.network_isolation is None
    assert described.tags is None  # not known until ListTags says

    requested = training(
        {
            "trainingJobName": "j",
            "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 2},
        }
    )
    (spec,) = requested.specs
    assert spec.inter_container_encryption is False
    assert spec.network_isolation is False
    assert requested.tags == {}


def test_description_takes_the_tags_it_is_given() -> None:
    raw = aws_documented_detail() | {"ResourceConfig": {"InstanceType": "ml.m5.large"}}
    job = training_job_from_description(detail(raw), {"team": "a"})
    assert job.tags == {"team": "a"}


def test_describe_answer_counts_may_arrive_as_strings() -> None:
    job = training_job_from_description(detail({
        "TrainingJobName": "j",
        "TrainingJobArn": TRAINING_ARN,
        "TrainingJobStatus": "InProgress",
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": "3"},
        "EnableInterContainerTrafficEncryption": "true",
    }))  # fmt: skip
    (spec,) = job.specs
    assert spec.most_instances == 3
    assert spec.inter_container_encryption is True


def test_description_without_an_arn_is_refused() -> None:
    raw = complete_detail()
    del raw["TrainingJobArn"]
    with pytest.raises(
        InvalidEventError, match=r"^detail\.TrainingJobArn: expected a training job ARN"
    ):
        training_job_from_description(detail(raw))


# --- every shape the API accepts -----------------------------------------------------


def definition(**fields: Any) -> dict[str, Any]:
    return {
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/R",
        "outputDataConfig": {"s3OutputPath": "s3://b/o", "kmsKeyId": KEY_ARN},
        "vpcConfig": {"securityGroupIds": ["sg-1"], "subnets": ["subnet-1"]},
        "enableInterContainerTrafficEncryption": True,
        **fields,
    }


def test_tuning_resource_config_with_type_and_count_is_one_cluster() -> None:
    job = tuning({
        "hyperParameterTuningJobName": "t",
        "trainingJobDefinition": definition(hyperParameterTuningResourceConfig={
            "instanceType": "ml.p4d.24xlarge", "instanceCount": 2, "volumeSizeInGB": 30,
            "allocationStrategy": "Prioritized",
        }),
    })  # fmt: skip
    (spec,) = job.specs
    assert spec.clusters == ((InstanceGroup("ml.p4d.24xlarge", 2),),)
    assert spec.volume_kms_key is None
    assert job.arn == TUNING_ARN


def test_instance_configs_are_one_cluster_each_with_the_tuning_volume_key() -> None:
    job = tuning({
        "hyperParameterTuningJobName": "flex",
        "trainingJobDefinition": definition(hyperParameterTuningResourceConfig={
            "instanceConfigs": [
                {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeSizeInGB": 30},
                {"instanceType": "ml.p4d.24xlarge", "instanceCount": 2, "volumeSizeInGB": 30},
            ],
            "volumeKmsKeyId": "key-1",
        }),
    })  # fmt: skip
    (spec,) = job.specs
    assert spec.clusters == (
        (InstanceGroup("ml.m5.xlarge", 1),),
        (InstanceGroup("ml.p4d.24xlarge", 2),),
    )
    assert spec.volume_kms_key == "key-1"
    assert spec.most_instances == 2
    assert spec.distributed_types == ("ml.p4d.24xlarge",)
    assert spec.describe_instances() == "1 x ml.m5.xlarge or 2 x ml.p4d.24xlarge"
    assert job.arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:hyper-parameter-tuning-job/flex"


def test_tuning_resource_config_wins_over_a_resource_config() -> None:
    job = tuning({
        "hyperParameterTuningJobName": "t",
        "trainingJobDefinition": definition(
            resourceConfig={"instanceType": "ml.m5.large", "instanceCount": 1},
            hyperParameterTuningResourceConfig={"instanceType": "ml.m5.xlarge", "instanceCount": 3},
        ),
    })  # fmt: skip
    assert job.specs[0].clusters == ((InstanceGroup("ml.m5.xlarge", 3),),)


def test_serverless_job_has_no_clusters() -> None:
    job = training({
        "trainingJobName": "fine-tune",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/R",
        "outputDataConfig": {"s3OutputPath": "s3://b/o", "kmsKeyId": KEY_ARN},
        "serverlessJobConfig": {
            "baseModelArn": "arn:aws:sagemaker:us-east-1:aws:hub-content/SageMakerPublicHub/Model/llama/1.0.0",
            "jobType": "FineTuning", "customizationTechnique": "SFT", "peft": "LORA", "acceptEula": True,
        },
    })  # fmt: skip
    (spec,) = job.specs
    assert spec.serverless
    assert spec.clusters == ()
    assert spec.instance_types == ()
    assert spec.most_instances == 0
    assert not spec.is_distributed
    assert not spec.has_vpc
    assert spec.volume_kms_key is None
    assert spec.output_kms_key == KEY_ARN


def test_resource_config_with_training_plan_warm_pool_and_placement() -> None:
    job = training({
        "trainingJobName": "ultra",
        "resourceConfig": {
            "instanceType": "ml.p6e-gb200.36xlarge", "instanceCount": 18, "volumeSizeInGB": 100,
            "keepAlivePeriodInSeconds": 1800,
            "trainingPlanArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-plan/plan-1",
            "instancePlacementConfig": {
                "enableMultipleJobs": False,
                "placementSpecifications": [{"ultraServerId": "us-1", "instanceCount": 18}],
            },
        },
        "stoppingCondition": {"maxRuntimeInSeconds": 3600},
    })  # fmt: skip
    (spec,) = job.specs
    assert spec.clusters == ((InstanceGroup("ml.p6e-gb200.36xlarge", 18),),)
    assert job.runtime_seconds == 3600 + 1800


def test_heterogeneous_instance_groups_from_a_description() -> None:
    job = training_job_from_description(detail(complete_detail() | {
        "ResourceConfig": {"InstanceGroups": [
            {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 2, "InstanceGroupName": "gpu"},
            {"InstanceType": "ml.c5.2xlarge", "InstanceCount": 1, "InstanceGroupName": "cpu"},
        ], "VolumeKmsKeyId": "k"},
    }))  # fmt: skip
    (spec,) = job.specs
    assert spec.clusters == (
        (InstanceGroup("ml.p4d.24xlarge", 2), InstanceGroup("ml.c5.2xlarge", 1)),
    )
    assert spec.volume_kms_key == "k"


def test_training_job_definitions_from_a_description() -> None:
    job = tuning_job_from_description(detail({
        "HyperParameterTuningJobName": "t",
        "HyperParameterTuningJobArn": TUNING_ARN,
        "HyperParameterTuningJobStatus": "InProgress",
        "HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxRuntimeInSeconds": 7200}},
        "TrainingJobDefinitions": [
            {"DefinitionName": "cpu", "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1}},
            {"ResourceConfig": {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 2},
             "EnableInterContainerTrafficEncryption": True},
        ],
    }))  # fmt: skip
    assert [s.label for s in job.specs] == ["cpu", "#2"]
    assert [s.inter_container_encryption for s in job.specs] == [None, True]
    assert job.tags is None
    assert job.runtime_seconds == 7200


# --- tags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        ([], {}),
        ({"a": "1"}, {"a": "1"}),
        ([{"Key": "a", "Value": "1"}], {"a": "1"}),
        ([{"key": "a", "value": "1"}], {"a": "1"}),
        ([{"key": "a"}], {"a": ""}),
        ({"a": None}, {"a": ""}),
    ],
)
def test_tags_in_every_encoding(raw: object, expected: dict[str, str]) -> None:
    assert parse_tags(root(raw, "detail.Tags")) == expected


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ([{"key": 5, "value": SECRET}], "detail.Tags[0].key"),
        ([{"key": "a", "value": {"v": SECRET}}], "detail.Tags[0].value"),
        ({"a": [SECRET]}, "detail.Tags.a"),
        ([SECRET], "detail.Tags[0]"),
        (SECRET, "detail.Tags"),
    ],
)
def test_tags_of_the_wrong_shape_are_refused(raw: object, path: str) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        parse_tags(root(raw, "detail.Tags"))
    assert str(refusal.value).startswith(f"{path}: expected ")
    assert SECRET not in str(refusal.value)


# --- refusals ---------------------------------------------------------------------------

BASE = {
    "trainingJobName": "j",
    "resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": 1},
}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "detail.requestParameters.TrainingJobName: expected a training job name, got nothing"),
        ({"trainingJobName": SECRET + "!"}, "detail.requestParameters.trainingJobName: expected a training job name, got a string that is not"),
        ({"trainingJobName": "j"}, "detail.requestParameters.ResourceConfig: expected a ResourceConfig with an instance type, got nothing"),
        ({"trainingJobName": "j", "resourceConfig": {"instanceCount": 1}}, "resourceConfig.InstanceType: expected an ml. instance type, got nothing"),
        ({"trainingJobName": "j", "resourceConfig": {"instanceType": SECRET}}, "resourceConfig.instanceType: expected an ml. instance type, got a string that is not"),
        (BASE | {"resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": SECRET}}, "detail.requestParameters.resourceConfig.instanceCount: expected an integer, got a string"),
        (BASE | {"resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": [2]}}, "resourceConfig.instanceCount: expected an integer, got a list"),
        (BASE | {"resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": True}}, "resourceConfig.instanceCount: expected an integer, got a boolean"),
        (BASE | {"resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": -1}}, "resourceConfig.instanceCount: expected an integer of at least 0"),
        (BASE | {"resourceConfig": SECRET}, "detail.requestParameters.resourceConfig: expected an object, got a string"),
        (BASE | {"vpcConfig": ["sg-1"]}, "detail.requestParameters.vpcConfig: expected an object, got a list"),
        (BASE | {"vpcConfig": {"securityGroupIds": [5]}}, "vpcConfig.securityGroupIds[0]: expected a security group id, got int"),
        (BASE | {"vpcConfig": {"securityGroupIds": [{"id": SECRET}]}}, "vpcConfig.securityGroupIds[0]: expected a security group id, got an object"),
        (BASE | {"vpcConfig": {"securityGroupIds": [SECRET]}}, "vpcConfig.securityGroupIds[0]: expected a security group id, got a string that is not"),
        (BASE | {"vpcConfig": {"securityGroupIds": "sg-1"}}, "vpcConfig.securityGroupIds: expected a list, got a string"),
        (BASE | {"vpcConfig": {"subnets": [None]}}, "vpcConfig.subnets[0]: expected a subnet id, got null"),
        (BASE | {"outputDataConfig": "s3://bucket"}, "detail.requestParameters.outputDataConfig: expected an object, got a string"),
        (BASE | {"outputDataConfig": {"kmsKeyId": 42}}, "outputDataConfig.kmsKeyId: expected a KMS key, got int"),
        (BASE | {"outputDataConfig": {"kmsKeyId": SECRET + " key"}}, "outputDataConfig.kmsKeyId: expected a KMS key, got a string that is not"),
        (BASE | {"enableInterContainerTrafficEncryption": "yes"}, "enableInterContainerTrafficEncryption: expected a boolean, got a string"),
        (BASE | {"enableNetworkIsolation": 1}, "enableNetworkIsolation: expected a boolean, got int"),
        ({"trainingJobName": "j", "resourceConfig": {"instanceGroups": {"instanceType": "ml.m5.large"}}}, "resourceConfig.instanceGroups: expected a list, got an object"),
        ({"trainingJobName": "j", "resourceConfig": {"instanceGroups": ["ml.m5.large"]}}, "resourceConfig.instanceGroups[0]: expected an object, got a string"),
        (BASE | {"tags": {"k": 1}}, "detail.requestParameters.tags.k: expected a string, got int"),
        (BASE | {"stoppingCondition": {"maxRuntimeInSeconds": SECRET}}, "stoppingCondition.maxRuntimeInSeconds: expected an integer, got a string"),
    ],
)  # fmt: skip
def test_training_requests_of_the_wrong_shape_are_refused_by_path(
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        training(params)
    assert message in str(refusal.value)
    assert SECRET not in str(refusal.value)


@pytest.mark.parametrize(
    ("resp", "message"),
    [
        ({"trainingJobArn": SECRET}, "detail.responseElements.trainingJobArn: expected a training job ARN, got a string that is not"),
        ({"trainingJobArn": f"arn:aws:s3:::{SECRET}"}, "trainingJobArn: expected a training job ARN, got a string that is not"),
        ({"trainingJobArn": [TRAINING_ARN]}, "trainingJobArn: expected a training job ARN, got a list"),
        ({"trainingJobArn": {"arn": SECRET}}, "trainingJobArn: expected a training job ARN, got an object"),
        ([SECRET], "detail.responseElements: expected an object, got a list"),
    ],
)  # fmt: skip
def test_arns_that_are_not_arns_are_refused(resp: object, message: str) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        training(BASE, resp)
    assert message in str(refusal.value)
    assert SECRET not in str(refusal.value)


def tuning_params(resource: dict[str, Any]) -> dict[str, Any]:
    return {"hyperParameterTuningJobName": "t", "trainingJobDefinition": definition(**resource)}


@pytest.mark.parametrize(
    ("params", "resp", "message"),
    [
        ({"hyperParameterTuningJobName": "t"}, None, "neither TrainingJobDefinition nor TrainingJobDefinitions"),
        ({"hyperParameterTuningJobName": "t", "trainingJobDefinitions": []}, None, "neither TrainingJobDefinition nor TrainingJobDefinitions"),
        ({"hyperParameterTuningJobName": "t", "trainingJobDefinitions": [None]}, None, "detail.requestParameters.trainingJobDefinitions[0].ResourceConfig: expected a ResourceConfig"),
        ({"hyperParameterTuningJobName": "t", "trainingJobDefinition": SECRET}, None, "detail.requestParameters.trainingJobDefinition: expected an object, got a string"),
        ({"hyperParameterTuningJobName": "x" * 33}, None, "hyperParameterTuningJobName: expected a tuning job name, got a string that is not"),
        (tuning_params({"hyperParameterTuningResourceConfig": {"instanceConfigs": [None]}}), None,
         "hyperParameterTuningResourceConfig.instanceConfigs[0].InstanceType: expected an ml. instance type, got nothing"),
        (tuning_params({"hyperParameterTuningResourceConfig": {"instanceConfigs": [SECRET]}}), None,
         "hyperParameterTuningResourceConfig.instanceConfigs[0]: expected an object, got a string"),
        (tuning_params({"hyperParameterTuningResourceConfig": {"instanceConfigs": {"instanceType": "ml.m5.large"}}}), None,
         "hyperParameterTuningResourceConfig.instanceConfigs: expected a list, got an object"),
        (tuning_params({"resourceConfig": {"instanceType": "ml.m5.large"}}), {"hyperParameterTuningJobArn": SECRET},
         "detail.responseElements.hyperParameterTuningJobArn: expected a tuning job ARN, got a string that is not"),
        (tuning_params({"resourceConfig": {"instanceType": "ml.m5.large"}}), {"hyperParameterTuningJobArn": TRAINING_ARN},
         "hyperParameterTuningJobArn: expected a tuning job ARN, got a string that is not"),
    ],
)  # fmt: skip
def test_tuning_requests_of_the_wrong_shape_are_refused_by_path(
    params: dict[str, Any], resp: object, message: str
) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        tuning(params, resp)
    assert message in str(refusal.value)
    assert SECRET not in str(refusal.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TrainingJobArn": SECRET}, "detail.TrainingJobArn: expected a training job ARN, got a string that is not"),
        ({"TrainingJobArn": 7}, "detail.TrainingJobArn: expected a training job ARN, got int"),
        ({"TuningJobArn": SECRET}, "detail.TuningJobArn: expected a tuning job ARN, got a string that is not"),
        ({"TuningJobArn": [TUNING_ARN]}, "detail.TuningJobArn: expected a tuning job ARN, got a list"),
        ({"TrainingJobName": None}, "detail.TrainingJobName: expected a training job name, got null"),
    ],
)  # fmt: skip
def test_state_changes_of_the_wrong_shape_are_refused_by_path(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        training_job_ref(detail(aws_documented_detail() | change))
    assert message in str(refusal.value)
    assert SECRET not in str(refusal.value)


def test_tuning_state_change_with_an_arn_that_is_not_one() -> None:
    raw = load_sample("sagemaker-hyper-parameter-tuning-job-state-change-in-progress")["detail"]
    raw["HyperParameterTuningJobArn"] = SECRET
    with pytest.raises(InvalidEventError) as refusal:
        tuning_job_ref(detail(raw))
    assert "detail.HyperParameterTuningJobArn: expected a tuning job ARN" in str(refusal.value)
    assert SECRET not in str(refusal.value)


# --- runtime and ARNs -----------------------------------------------------------------

DAY = 24 * 3600


@pytest.mark.parametrize(
    ("stopping", "resource", "seconds"),
    [
        (None, {}, DEFAULT_TRAINING_SECONDS),
        ({"maxRuntimeInSeconds": 3600}, {}, 3600),
        ({"maxRuntimeInSeconds": 3600, "maxWaitTimeInSeconds": 7200}, {}, 7200),
        ({"maxRuntimeInSeconds": 7200, "maxWaitTimeInSeconds": 3600}, {}, 7200),
        ({"maxRuntimeInSeconds": 3600, "maxPendingTimeInSeconds": 10800}, {}, 10800),
        ({"maxRuntimeInSeconds": 3600}, {"keepAlivePeriodInSeconds": 600}, 4200),
        ({"maxRuntimeInSeconds": 3600, "maxWaitTimeInSeconds": 7200}, {"keepAlivePeriodInSeconds": 600}, 7800),
        ({"maxRuntimeInSeconds": "5400"}, {}, 5400),
        ({"maxRuntimeInSeconds": 40 * DAY}, {}, MAX_JOB_SECONDS),
        ({"maxRuntimeInSeconds": 28 * DAY, "maxWaitTimeInSeconds": 29 * DAY}, {"keepAlivePeriodInSeconds": 3600 * 24 * 2}, MAX_JOB_SECONDS),
    ],
)  # fmt: skip
def test_training_runtime(
    stopping: dict[str, Any] | None, resource: dict[str, Any], seconds: int
) -> None:
    params: dict[str, Any] = {
        "trainingJobName": "j",
        "resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": 1, **resource},
    }
    if stopping is not None:
        params["stoppingCondition"] = stopping
    assert training(params).runtime_seconds == seconds
    assert MAX_JOB_SECONDS == 30 * DAY


@pytest.mark.parametrize(
    ("limits", "seconds"),
    [({}, MAX_JOB_SECONDS), ({"maxRuntimeInSeconds": 7200}, 7200), ({"maxRuntimeInSeconds": 90 * DAY}, MAX_JOB_SECONDS)],
)  # fmt: skip
def test_tuning_runtime(limits: dict[str, Any], seconds: int) -> None:
    params = tuning_params({"resourceConfig": {"instanceType": "ml.m5.large"}})
    params["hyperParameterTuningJobConfig"] = {"resourceLimits": limits}
    assert tuning(params).runtime_seconds == seconds


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
    ],
)
def test_job_arn_takes_the_partition_of_the_region(region: str, partition: str) -> None:
    assert job_arn(JobKind.TRAINING, "Fraud-Model", ACCOUNT, region) == (
        f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:training-job/fraud-model"
    )
    job = training({**BASE, "trainingJobName": "Fraud-Model"}, region=region)
    assert job.arn == f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:training-job/fraud-model"
    assert (job.account, job.region) == (ACCOUNT, region)
    tuned = tuning(
        {
            **tuning_params({"resourceConfig": {"instanceType": "ml.m5.large"}}),
            "hyperParameterTuningJobName": "T",
        },
        region=region,
    )
    assert tuned.arn == f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:hyper-parameter-tuning-job/t"


def test_a_china_response_arn_is_accepted() -> None:
    arn = f"arn:aws-cn:sagemaker:cn-north-1:{ACCOUNT}:training-job/j"
    assert training(BASE, {"trainingJobArn": arn}, region="cn-north-1").arn == arn
