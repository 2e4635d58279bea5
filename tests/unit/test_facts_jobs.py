"""One normalized job from CloudTrail, state-change events and Describe* responses."""

from __future__ import annotations

import pytest

from support import load_sample
from training_guard.facts.jobs import (
    FactsError,
    InstanceGroup,
    JobKind,
    parse_tags,
    pascalize,
    training_job_from_cloudtrail,
    training_job_from_description,
    tuning_job_from_cloudtrail,
    tuning_job_from_description,
)

ACCOUNT, REGION = "123456789012", "us-east-1"


def cloudtrail_job(sample: str):  # type: ignore[no-untyped-def]
    detail = load_sample(sample)["detail"]
    parse = (
        training_job_from_cloudtrail
        if detail["eventName"] == "CreateTrainingJob"
        else tuning_job_from_cloudtrail
    )
    return parse(detail["requestParameters"], detail["responseElements"], ACCOUNT, REGION)


def test_cloudtrail_training_job_is_read_from_lower_camel_case() -> None:
    job = cloudtrail_job("cloudtrail-create-training-job-compliant")
    (spec,) = job.specs
    assert job.kind is JobKind.TRAINING
    assert job.name == "fraud-model-compliant"
    assert job.arn.endswith(":training-job/fraud-model-compliant")
    assert job.tags == {"team": "fraud"}
    assert spec.instance_groups == (InstanceGroup("ml.m5.xlarge", 2),)
    assert spec.inter_container_encryption is True
    assert spec.security_groups == ("sg-0c0ffee0c0ffee000",)
    assert spec.subnets == ("subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88")
    assert spec.output_kms_key is not None
    assert spec.output_kms_key.startswith("arn:aws:kms:")
    assert spec.volume_kms_key == "1234abcd-12ab-34cd-56ef-1234567890ab"


def test_heterogeneous_cluster_counts_every_instance_group() -> None:
    (spec,) = cloudtrail_job("cloudtrail-create-training-job-heterogeneous").specs
    assert spec.instance_count == 3
    assert spec.instance_types == ("ml.c5.xlarge", "ml.m5.2xlarge")
    assert spec.is_distributed


def test_tuning_job_with_one_definition() -> None:
    job = cloudtrail_job("cloudtrail-create-hyper-parameter-tuning-job")
    assert job.kind is JobKind.TUNING
    assert job.arn.endswith(":hyper-parameter-tuning-job/xgb-tuning-unencrypted")
    (spec,) = job.specs
    assert spec.instance_count == 2
    assert not spec.inter_container_encryption


def test_tuning_job_with_a_list_of_definitions_keeps_their_names() -> None:
    job = cloudtrail_job("cloudtrail-create-hyper-parameter-tuning-job-definitions")
    assert [s.label for s in job.specs] == ["small", "large"]
    assert [s.instance_count for s in job.specs] == [1, 2]


def test_state_change_detail_with_empty_vpc_config_and_tag_map() -> None:
    job = training_job_from_description(
        load_sample("sagemaker-training-job-state-change-in-progress")["detail"]
    )
    (spec,) = job.specs
    assert job.status == "InProgress"
    assert job.tags == {"team": "churn"}
    assert spec.subnets == ()
    assert spec.security_groups == ()
    assert not spec.has_vpc
    assert spec.output_kms_key is None


def test_tuning_child_knows_its_tuning_job() -> None:
    job = training_job_from_description(
        load_sample("sagemaker-training-job-state-change-tuning-child")["detail"]
    )
    assert job.parent_tuning_job_arn is not None
    assert job.parent_tuning_job_arn.endswith("hyper-parameter-tuning-job/xgb-tuning-unencrypted")


def test_tuning_state_change() -> None:
    job = tuning_job_from_description(
        load_sample("sagemaker-hyper-parameter-tuning-job-state-change-in-progress")["detail"]
    )
    assert job.kind is JobKind.TUNING
    assert job.status == "InProgress"
    assert job.specs[0].instance_count == 2


def test_describe_response_without_tags_has_no_tags() -> None:
    detail = {
        "TrainingJobName": "j",
        "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
        "TrainingJobStatus": "InProgress",
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": "3"},
    }
    job = training_job_from_description(detail)
    assert job.tags == {}
    assert job.specs[0].instance_count == 3  # counts may arrive as strings


def test_instance_type_flexibility_yields_one_spec_per_alternative() -> None:
    request = {
        "hyperParameterTuningJobName": "flex",
        "trainingJobDefinition": {
            "hyperParameterTuningResourceConfig": {
                "instanceConfigs": [
                    {"instanceType": "ml.m5.xlarge", "instanceCount": 1},
                    {"instanceType": "ml.p4d.24xlarge", "instanceCount": 2},
                ],
                "volumeKmsKeyId": "key-1",
            }
        },
    }
    job = tuning_job_from_cloudtrail(request, None, ACCOUNT, REGION)
    assert [s.instance_types for s in job.specs] == [("ml.m5.xlarge",), ("ml.p4d.24xlarge",)]
    assert all(s.volume_kms_key == "key-1" for s in job.specs)
    assert job.arn == "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/flex"


def test_pascalize_leaves_user_content_alone() -> None:
    converted = pascalize(
        {
            "hyperParameters": {"lr": "1"},
            "environment": {"db_password": "x"},
            "vpcConfig": {"subnets": []},
        }
    )
    assert converted == {
        "HyperParameters": {"lr": "1"},
        "Environment": {"db_password": "x"},
        "VpcConfig": {"Subnets": []},
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, {}),
        ({"a": "1"}, {"a": "1"}),
        ([{"Key": "a", "Value": "1"}], {"a": "1"}),
        ([{"key": "a", "value": "1"}], {"a": "1"}),
        ([{"key": "a"}], {"a": ""}),
    ],
)
def test_tags_in_every_encoding(raw: object, expected: dict[str, str]) -> None:
    assert parse_tags(raw) == expected


@pytest.mark.parametrize(
    ("request_parameters", "message"),
    [
        ({}, "has no TrainingJobName"),
        ({"trainingJobName": "j"}, "ResourceConfig is missing"),
        ({"trainingJobName": "j", "resourceConfig": {"instanceCount": 1}}, "has no InstanceType"),
        (
            {
                "trainingJobName": "j",
                "resourceConfig": {"instanceType": "ml.m5.large", "instanceCount": "two"},
            },
            "is not a number",
        ),
    ],
)
def test_missing_fields_are_named(request_parameters: dict[str, object], message: str) -> None:
    with pytest.raises(FactsError, match=message):
        training_job_from_cloudtrail(request_parameters, None, ACCOUNT, REGION)


def test_tuning_job_without_definitions_is_refused() -> None:
    with pytest.raises(
        FactsError, match="neither TrainingJobDefinition nor TrainingJobDefinitions"
    ):
        tuning_job_from_cloudtrail({"hyperParameterTuningJobName": "t"}, None, ACCOUNT, REGION)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vpcConfig": ["sg-1"]}, "VpcConfig must be an object, not list"),
        ({"outputDataConfig": "s3://bucket"}, "OutputDataConfig must be an object, not str"),
        ({"outputDataConfig": {"kmsKeyId": 42}}, "OutputDataConfig.KmsKeyId must be a string, not int"),
        ({"resourceConfig": {"instanceGroups": {"instanceType": "ml.m5.large"}}}, "InstanceGroups must be a list of objects"),
        ({"resourceConfig": {"instanceGroups": ["ml.m5.large"]}}, "InstanceGroups must be a list of objects"),
    ],
)  # fmt: skip
def test_malformed_fields_are_named(change: dict[str, object], message: str) -> None:
    request = {"trainingJobName": "j", "resourceConfig": {"instanceType": "ml.m5.large"}, **change}
    with pytest.raises(FactsError, match=message):
        training_job_from_cloudtrail(request, None, ACCOUNT, REGION)
