"""A small account for the demo and the integration tests, with the resources the
sample events in events/ refer to, and the means to replay those events.

The samples name fixed ids (sg-0c0ffee0c0ffee000, ...); the emulator hands out its
own, so `World.render` rewrites a sample to the ids it created.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.sns.models import sns_backends

from training_guard.effects.records import GroupRecord, job_uses
from training_guard.facts.groups import SelfTraffic

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
ACCOUNT = "123456789012"
REGION = "us-east-1"
DEPLOY_ACCOUNT = "210987654321"

SAMPLE_VPC = "vpc-0a1b2c3d4e5f67890"
SAMPLE_SUBNETS = ("subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88")
SAMPLE_GOOD_GROUP = "sg-0c0ffee0c0ffee000"
SAMPLE_BAD_GROUP = "sg-0badbadbadbadbad0"
SAMPLE_WEB_GROUP = "sg-0e1e2e3e4e5e6e7e8"
SAMPLE_IKE_RULE = "sgr-0123456789abcdef0"
SAMPLE_ESP_RULE = "sgr-0fedcba9876543210"
SAMPLE_SSH_RULE = "sgr-0aaaabbbbccccdddd"
SAMPLE_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
SAMPLE_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{SAMPLE_KEY_ID}"
SAMPLE_KEY_ALIAS = "alias/training-artifacts"

# Fields of a Describe/state-change detail that CreateTrainingJob also takes.
_TRAINING_REQUEST_FIELDS = (
    "TrainingJobName", "HyperParameters", "AlgorithmSpecification", "RoleArn",
    "InputDataConfig", "OutputDataConfig", "ResourceConfig", "VpcConfig", "StoppingCondition",
    "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "Environment",
)  # fmt: skip
_TUNING_REQUEST_FIELDS = (
    "HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition",
    "TrainingJobDefinitions",
)  # fmt: skip


def arn_field_parts(arn: str) -> tuple[str, str]:
    """An ARN's account and region."""
    parts = arn.split(":")
    return parts[4], parts[3]


def pascalize(value: Any) -> Any:
    """CloudTrail's lowerCamelCase request as the API takes it; user-chosen keys (tags,
    hyperparameters, environment) keep their spelling."""
    if isinstance(value, dict):
        return {
            k[:1].upper() + k[1:]: v if k.lower() in _OPAQUE_KEYS else pascalize(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [pascalize(v) for v in value]
    return value


_OPAQUE_KEYS = frozenset({"hyperparameters", "statichyperparameters", "environment", "tags"})


def load_sample(name: str) -> dict[str, Any]:
    """One sample event from events/, by file name with or without `.json`."""
    path = EVENTS_DIR / (name if name.endswith(".json") else f"{name}.json")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def key_policy(*accounts: str) -> str:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableRootPermissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if accounts:
        statements.append(
            {
                "Sid": "AllowDeployAccountsToDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass
class World:
    session: boto3.Session
    vpc_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    good_group: str = ""
    bad_group: str = ""
    web_group: str = ""
    key_id: str = ""
    key_arn: str = ""
    topic_arn: str = ""
    queue_url: str = ""
    table_name: str = "training-guard-state"
    ids: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)  # type: ignore[call-overload]
        return self._clients[service]

    # --- building ---------------------------------------------------------------

    @classmethod
    def build(cls, session: boto3.Session | None = None) -> World:
        world = cls(session or boto3.Session(region_name=REGION))
        world._network()
        world._keys()
        world._notifications()
        world._state_table()
        world.ids = {
            SAMPLE_VPC: world.vpc_id,
            **dict(zip(SAMPLE_SUBNETS, world.subnet_ids, strict=True)),
            SAMPLE_GOOD_GROUP: world.good_group,
            SAMPLE_BAD_GROUP: world.bad_group,
            SAMPLE_WEB_GROUP: world.web_group,
            **world._rule_ids(),
            # The ARN holds the id: replace the ARN first.
            SAMPLE_KEY_ARN: world.key_arn,
            SAMPLE_KEY_ID: world.key_id,
        }
        return world

    def _network(self) -> None:
        ec2 = self.client("ec2")
        self.vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.subnet_ids = tuple(
            ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"][
                "SubnetId"
            ]
            for cidr, zone in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))
        )
        route_table = ec2.create_route_table(VpcId=self.vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_vpc_endpoint(
            VpcId=self.vpc_id,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[route_table],
        )
        self.good_group = self._group("training-ipsec", ipsec=True)
        self.bad_group = self._group("training-no-ipsec", ipsec=False)
        self.web_group = ec2.create_security_group(
            GroupName="web-servers", Description="Web servers (not for training)", VpcId=self.vpc_id
        )["GroupId"]

    def _group(self, name: str, *, ipsec: bool) -> str:
        ec2 = self.client("ec2")
        group = ec2.create_security_group(
            GroupName=name, Description=f"SageMaker training ({name})", VpcId=self.vpc_id
        )["GroupId"]
        if ipsec:
            rules = [
                {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500,
                 "UserIdGroupPairs": [{"GroupId": group}]},
                {"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": group}]},
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                 "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "SSH from the VPC"}]},
            ]  # fmt: skip
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rules)
        else:
            ec2.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
            )  # fmt: skip
        return str(group)

    def _rule_ids(self) -> dict[str, str]:
        """The samples' rule ids for the good group's IKE, ESP and SSH ingress rules."""
        rules = self.client("ec2").describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [self.good_group]}]
        )["SecurityGroupRules"]
        by_protocol = {
            r["IpProtocol"]: r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"]
        }
        return {
            SAMPLE_IKE_RULE: by_protocol["udp"],
            SAMPLE_ESP_RULE: by_protocol["50"],
            SAMPLE_SSH_RULE: by_protocol["tcp"],
        }

    def guard_group(self, group_id: str, **extra_tags: str) -> None:
        """Tag a group guarded, as the job guard does for the groups of the jobs it lets
        run (or as anyone who may call ec2:CreateTags can)."""
        tags = {"training-guard:guarded": "true", **extra_tags}
        self.client("ec2").create_tags(
            Resources=[group_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )

    def keep_group(
        self,
        *group_ids: str,
        job: str = "running-job",
        traffic: SelfTraffic = SelfTraffic.IPSEC,
        networks: tuple[str, ...] = ("10.0.1.0/24", "10.0.2.0/24"),
        tag: bool = True,
    ) -> None:
        """Record a running job that uses `group_ids`, as the job guard does when it lets
        a job run, and tag them guarded."""
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{job}"
        uses = job_uses(
            arn, f"training job {job}", [(group_ids, traffic, networks)], 3600, time.time()
        )
        GroupRecord(self.client("dynamodb"), self.table_name).remember(uses)
        if tag:
            for group_id in group_ids:
                self.guard_group(group_id)

    def _keys(self) -> None:
        kms = self.client("kms")
        metadata = kms.create_key(
            Description="SageMaker training artifacts", Policy=key_policy(DEPLOY_ACCOUNT)
        )["KeyMetadata"]
        self.key_id, self.key_arn = metadata["KeyId"], metadata["Arn"]
        kms.create_alias(AliasName=SAMPLE_KEY_ALIAS, TargetKeyId=self.key_id)

    def _notifications(self) -> None:
        sns, sqs = self.client("sns"), self.client("sqs")
        self.topic_arn = sns.create_topic(Name="training-guard-notifications")["TopicArn"]
        self.queue_url = sqs.create_queue(QueueName="training-guard-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def _state_table(self) -> None:
        self.client("dynamodb").create_table(
            TableName=self.table_name,
            KeySchema=[{"AttributeName": "resource", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "resource", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    # --- replaying samples ----------------------------------------------------------

    def render(self, sample: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(sample)
        for placeholder, real in self.ids.items():
            text = text.replace(placeholder, real)
        return json.loads(text)  # type: ignore[no-any-return]

    def event(self, name: str) -> dict[str, Any]:
        """A sample event with this world's ids."""
        return self.render(load_sample(name))

    def create_job_for(self, event: dict[str, Any]) -> None:
        """Create in the emulator the job an event reports, as AWS would have before sending it.

        A serverless job (ServerlessJobConfig) is not created: moto 5.2's CreateTrainingJob
        fails without AlgorithmSpecification and ResourceConfig, which serverless jobs do
        not have. The guard judges such a job from its CloudTrail request alone."""
        detail = event["detail"]
        sagemaker = self.client("sagemaker")
        if event["detail-type"] == "AWS API Call via CloudTrail":
            request = pascalize(detail["requestParameters"])
            if "ServerlessJobConfig" in request:
                return
            request["Tags"] = [
                {"Key": t["key"], "Value": t["value"]} for t in request.get("Tags", [])
            ]
            if detail["eventName"] == "CreateTrainingJob":
                sagemaker.create_training_job(**request)
            else:
                sagemaker.create_hyper_parameter_tuning_job(**request)
            return
        tags = [{"Key": k, "Value": v} for k, v in detail.get("Tags", {}).items()]
        if event["detail-type"] == "SageMaker Training Job State Change":
            request = {k: detail[k] for k in _TRAINING_REQUEST_FIELDS if detail.get(k)}
            sagemaker.create_training_job(**request, Tags=tags)
        else:
            request = {k: detail[k] for k in _TUNING_REQUEST_FIELDS if detail.get(k)}
            sagemaker.create_hyper_parameter_tuning_job(**request, Tags=tags)

    def mark_tuning_child(self, training_job_name: str, tuning_job_arn: str) -> None:
        """Make a training job in the emulator a child of a tuning job, as the tuner's
        children are: DescribeTrainingJob then answers its TuningJobArn. moto 5.2 starts
        no children of its own; this works only with the emulator in this process."""
        from moto.sagemaker import models  # noqa: PLC0415 - the emulator's own state

        jobs: dict[str, Any] = models.sagemaker_backends[ACCOUNT][REGION].training_jobs
        jobs[training_job_name].tuning_job_arn = tuning_job_arn

    def published(self) -> list[dict[str, Any]]:
        """Every message published to the topic as the publisher sent it: all of its
        MessageStructure=json variants (default, email, sqs, ...), subject and attributes.
        Read from the emulator's backend, in this process (the server runs in a thread)."""
        account, region = arn_field_parts(self.topic_arn)
        topic = sns_backends[account][region].topics[self.topic_arn]
        return [
            {"MessageId": mid, "Message": message, "Subject": subject, "Attributes": attributes}
            for mid, message, subject, attributes, _ in topic.sent_notifications
        ]

    def notifications(self) -> list[dict[str, Any]]:
        """Drain the SQS subscription: the SNS envelopes published so far."""
        sqs = self.client("sqs")
        received: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not batch:
                return received
            for message in batch:
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
