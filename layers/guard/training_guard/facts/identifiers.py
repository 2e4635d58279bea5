"""What AWS identifiers look like, and the partition a region belongs to.

The patterns follow the pinned botocore models (SageMaker's TrainingJobArn, VpcConfig,
KmsKeyId; EC2's ids), with the partition generalized; the partitions follow botocore's
partitions.json. tests/unit/test_identifiers.py holds both against botocore.
"""

from __future__ import annotations

import re

ACCOUNT_ID = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2,5}(-[a-z]+)+-\d+")
PARTITION = re.compile(r"aws(-[a-z]+)*")
JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
TUNING_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")
_ARN_HEAD = "arn:" + PARTITION.pattern + r":sagemaker:[a-z0-9\-]*:[0-9]{12}:"
TRAINING_JOB_ARN = re.compile(_ARN_HEAD + r"training-job/" + JOB_NAME.pattern)
TUNING_JOB_ARN = re.compile(_ARN_HEAD + r"hyper-parameter-tuning-job/" + TUNING_JOB_NAME.pattern)
# botocore: SecurityGroupId and SubnetId are [-0-9a-zA-Z]+ of at most 32 characters.
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-zA-Z]{1,29}")
SUBNET_ID = re.compile(r"subnet-[0-9a-zA-Z]{1,25}")
VPC_ID = re.compile(r"vpc-[0-9a-zA-Z]{1,28}")
PREFIX_LIST_ID = re.compile(r"pl-[0-9a-zA-Z]{1,29}")
SECURITY_GROUP_RULE_ID = re.compile(r"sgr-[0-9a-zA-Z]{1,28}")
# botocore KmsKeyId: [a-zA-Z0-9:/_-]*, at most 2048 characters.
KMS_KEY_REFERENCE = re.compile(r"[a-zA-Z0-9:/_-]{1,2048}")
INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9-]+\.[a-z0-9-]+")
# A security group name: EC2 allows a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*
SECURITY_GROUP_NAME = re.compile(r"[\w .\-:/()#,@\[\]+=&;{}!$*]{1,255}")

# IAM and STS principals as CloudTrail's userIdentity names them.
PRINCIPAL_ARN = re.compile(r"arn:" + PARTITION.pattern + r":(iam|sts)::\d{12}:[\w+=,.@/-]{1,512}")
ERROR_CODE = re.compile(r"[A-Za-z][A-Za-z0-9.]{0,127}")

# botocore partitions.json: partition id by region pattern, most specific first.
_PARTITIONS = (
    ("aws-us-gov", re.compile(r"us-gov-\w+-\d+")),
    ("aws-iso-b", re.compile(r"us-isob-\w+-\d+")),
    ("aws-iso-f", re.compile(r"us-isof-\w+-\d+")),
    ("aws-iso", re.compile(r"us-iso-\w+-\d+")),
    ("aws-iso-e", re.compile(r"eu-isoe-\w+-\d+")),
    ("aws-eusc", re.compile(r"eusc-(de)-\w+-\d+")),
    ("aws-cn", re.compile(r"cn-\w+-\d+")),
)
_COMMERCIAL = "aws"


def partition_of(region: str) -> str:
    """The partition a region belongs to: `cn-north-1` -> `aws-cn`."""
    for partition, pattern in _PARTITIONS:
        if pattern.fullmatch(region):
            return partition
    return _COMMERCIAL


def arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition_of(region)}:{service}:{region}:{account}:{resource}"


def arn_field(value: str, index: int) -> str | None:
    """One colon-separated field of an ARN (1 partition, 2 service, 3 region, 4 account)."""
    parts = value.split(":", 5)
    return parts[index] if value.startswith("arn:") and len(parts) == 6 else None


def role_arn(arn: str) -> str:
    """The IAM role behind an assumed-role session ARN; any other ARN as it is."""
    # arn:<partition>:sts::123456789012:assumed-role/Role/session
    #   -> arn:<partition>:iam::123456789012:role/Role
    if arn_field(arn, 2) == "sts" and ":assumed-role/" in arn:
        prefix, rest = arn.split(":assumed-role/", 1)
        return f"{prefix.replace(':sts:', ':iam:')}:role/{rest.split('/', 1)[0]}"
    return arn


def same_role(one: str, other: str) -> bool:
    """Two role ARNs of one role: a session issuer's ARN keeps the role's path
    (role/service-role/Name), an assumed-role session's does not (role/Name)."""
    head_one, _, name_one = one.partition(":role/")
    head_other, _, name_other = other.partition(":role/")
    return head_one == head_other and name_one.rsplit("/", 1)[-1] == name_other.rsplit("/", 1)[-1]
