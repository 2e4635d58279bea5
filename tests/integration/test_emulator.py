"""The emulator extensions behave as the AWS behaviour they cite (emulator/extensions)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.extensions.sagemaker import set_training_job_status
from emulator.world import ACCOUNT, REGION, World

JOB = {
    "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
    "RoleArn": "arn:aws:iam::123456789012:role/r",
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/"},
    "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 60},
}
TUNING = {
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
    },
    "TrainingJobDefinition": {**JOB},
}


def error_of(call: object, **kwargs: object) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)  # type: ignore[operator]
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_training_job_starts_in_progress_and_stops(world: World) -> None:
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_training_job(TrainingJobName="j", **JOB)
    assert sagemaker.describe_training_job(TrainingJobName="j")["TrainingJobStatus"] == "InProgress"
    sagemaker.stop_training_job(TrainingJobName="j")
    assert sagemaker.describe_training_job(TrainingJobName="j")["TrainingJobStatus"] == "Stopping"


def test_only_in_progress_jobs_can_be_stopped(world: World) -> None:
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_training_job(TrainingJobName="done", **JOB)
    set_training_job_status(ACCOUNT, REGION, "done", "Completed")
    code, message = error_of(sagemaker.stop_training_job, TrainingJobName="done")
    assert code == "ValidationException"
    assert "is in status Completed" in message


def test_stopping_an_unknown_job_is_not_found(world: World) -> None:
    sagemaker = boto3.client("sagemaker")
    assert error_of(sagemaker.stop_training_job, TrainingJobName="nope")[0] == "ResourceNotFound"
    assert (
        error_of(sagemaker.stop_hyper_parameter_tuning_job, HyperParameterTuningJobName="nope")[0]
        == "ResourceNotFound"
    )


def test_tuning_job_starts_in_progress_and_stops(world: World) -> None:
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_hyper_parameter_tuning_job(HyperParameterTuningJobName="t", **TUNING)

    def status() -> str:
        job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="t")
        return str(job["HyperParameterTuningJobStatus"])

    assert status() == "InProgress"
    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="t")
    assert status() == "Stopping"
    code, message = error_of(
        sagemaker.stop_hyper_parameter_tuning_job, HyperParameterTuningJobName="t"
    )
    assert (code, "is in status Stopping" in message) == ("ValidationException", True)


def test_protocol_50_rule_without_ports(world: World) -> None:
    ec2 = boto3.client("ec2")
    group = world.bad_group
    esp = {"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": group}]}
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[esp])
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[esp])
    described = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    for direction in ("IpPermissions", "IpPermissionsEgress"):
        (rule,) = [p for p in described[direction] if p["IpProtocol"] == "50"]
        assert "FromPort" not in rule
        assert "ToPort" not in rule
    assert error_of(ec2.authorize_security_group_ingress, GroupId=group, IpPermissions=[esp])[
        0
    ] == ("InvalidPermission.Duplicate")


def test_aws_managed_keys_report_aws(world: World) -> None:
    kms = boto3.client("kms")
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"] == "AWS"
    assert kms.describe_key(KeyId=world.key_id)["KeyMetadata"]["KeyManager"] == "CUSTOMER"


def test_modified_rule_by_protocol_number_can_be_revoked(world: World) -> None:
    ec2 = boto3.client("ec2")
    group = world.good_group
    (ssh,) = [
        r
        for r in ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group]}]
        )["SecurityGroupRules"]
        if r.get("CidrIpv4") == "10.0.0.0/16"
    ]
    ec2.modify_security_group_rules(
        GroupId=group,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": ssh["SecurityGroupRuleId"],
                "SecurityGroupRule": {
                    "IpProtocol": "6",
                    "FromPort": 22,
                    "ToPort": 22,
                    "CidrIpv4": "0.0.0.0/0",
                },
            }
        ],
    )
    described = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    (modified,) = [p for p in described if p.get("FromPort") == 22]
    assert modified["IpProtocol"] == "tcp"
    ec2.revoke_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "6", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    described = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert not [p for p in described if p.get("FromPort") == 22]


def test_group_names_resolve_in_the_default_vpc(world: World) -> None:
    ec2 = boto3.client("ec2")
    (default_vpc,) = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    (group,) = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    assert group["VpcId"] == default_vpc["VpcId"]
    # The world's own VPC has a group named "default" too; it is not returned.
    assert world.vpc_id != group["VpcId"]
