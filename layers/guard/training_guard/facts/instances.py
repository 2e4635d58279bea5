"""What an ML instance type implies for storage and networking, as EC2 describes it.

Two facts matter to the guard. Local instance storage: AWS rejects a VolumeKmsKeyId on
such a type ("You can't request a VolumeKmsKeyId when using an instance type with local
storage"), its NVMe storage being encrypted by the instance's hardware module. EFA: its
traffic bypasses the IP stack, so the security group must allow all traffic from and to
itself. A wrong answer is a false alarm or a missed rule, so the facts come from EC2's
DescribeInstanceTypes (`InstanceStorageSupported`, `NetworkInfo.EfaSupported`), never
from a guess on the name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

Source = Literal["table", "ec2"]


@dataclass(frozen=True)
class InstanceProfile:
    instance_type: str  # the SageMaker name, ml.<family>.<size>
    local_storage: bool
    efa: bool
    source: Source


# Every SageMaker TrainingInstanceType, by family: (local instance storage, sizes without
# EFA, sizes with EFA). Copied from EC2's DescribeInstanceTypes as moto records it
# (moto/ec2/resources/instance_types.json.gz); tests/unit/test_instances.py holds this
# table to that recording and to the TrainingInstanceType enum of the pinned botocore.
# Families the recording lacks carry their source above their line.
_FAMILIES: Mapping[str, tuple[bool, str, str]] = {
    "t3": (False, "medium large xlarge 2xlarge", ""),
    "m4": (False, "xlarge 2xlarge 4xlarge 10xlarge 16xlarge", ""),
    "m5": (False, "large xlarge 2xlarge 4xlarge 12xlarge 24xlarge", ""),
    "m6i": (False, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "32xlarge"),
    "m7i": (False, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "48xlarge"),
    "c4": (False, "xlarge 2xlarge 4xlarge 8xlarge", ""),
    "c5": (False, "xlarge 2xlarge 4xlarge 9xlarge 18xlarge", ""),
    "c5n": (False, "xlarge 2xlarge 4xlarge", "9xlarge 18xlarge"),
    "c6i": (False, "xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "32xlarge"),
    "c7i": (False, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "48xlarge"),
    "r5": (False, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", ""),
    "r5d": (True, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", ""),
    "r7i": (False, "large xlarge 2xlarge 4xlarge 8xlarge 12xlarge 16xlarge 24xlarge", "48xlarge"),
    # EC2 no longer lists the retired P2 and P3, so the recording lacks them. EBS only:
    # SageMaker API reference, ResourceConfig.VolumeSizeInGB ("ML instance families that
    # use EBS volumes include ml.c5 and ml.p2"); no instance storage and no EFA in EC2's
    # DescribeInstanceTypes answers as eksctl generated them (eksctl-io/eksctl,
    # pkg/utils/instance/instance_types.go, until P2 left in 2025 and P3 in 2026).
    "p2": (False, "xlarge 8xlarge 16xlarge", ""),
    "p3": (False, "2xlarge 8xlarge 16xlarge", ""),
    "p3dn": (True, "", "24xlarge"),
    "p4d": (True, "", "24xlarge"),
    "p4de": (True, "", "24xlarge"),
    "p5": (True, "", "4xlarge 48xlarge"),
    "p5e": (True, "", "48xlarge"),
    "p5en": (True, "", "48xlarge"),
    "p6-b200": (True, "", "48xlarge"),
    "p6-b300": (True, "", "48xlarge"),
    # Offered only as part of P6e-GB200 UltraServers, and absent from the recording.
    # Local NVMe SSD storage (22.5 TB per instance, 405 TB per 18-instance
    # u-p6e-gb200x72) and EFAv4 networking: https://aws.amazon.com/ec2/instance-types/p6/
    # and the AWS Machine Learning Blog, "Train and deploy AI models at trillion-parameter
    # scale with Amazon SageMaker HyperPod support for P6e-GB200 UltraServers".
    "p6e-gb200": (True, "", "36xlarge"),
    "g4dn": (True, "xlarge 2xlarge 4xlarge", "8xlarge 12xlarge 16xlarge"),
    "g5": (True, "xlarge 2xlarge 4xlarge", "8xlarge 12xlarge 16xlarge 24xlarge 48xlarge"),
    "g6": (True, "xlarge 2xlarge 4xlarge", "8xlarge 12xlarge 16xlarge 24xlarge 48xlarge"),
    "g6e": (True, "xlarge 2xlarge 4xlarge", "8xlarge 12xlarge 16xlarge 24xlarge 48xlarge"),
    "g7e": (True, "2xlarge 4xlarge", "8xlarge 12xlarge 24xlarge 48xlarge"),
    "trn1": (True, "2xlarge", "32xlarge"),
    "trn1n": (True, "", "32xlarge"),
    "trn2": (True, "", "48xlarge"),
}

# ml type -> (local instance storage, EFA supported).
TRAINING_INSTANCES: Mapping[str, tuple[bool, bool]] = MappingProxyType(
    {
        f"ml.{family}.{size}": (local, efa)
        for family, (local, without_efa, with_efa) in _FAMILIES.items()
        for efa, sizes in ((False, without_efa), (True, with_efa))
        for size in sizes.split()
    }
)

_ML_TYPE = re.compile(r"ml\.([a-z0-9][a-z0-9-]*\.[a-z0-9][a-z0-9-]*)")


def ec2_type_name(ml_type: str) -> str | None:
    """`ml.p4d.24xlarge` -> `p4d.24xlarge`; None for anything not `ml.<family>.<size>`."""
    match = _ML_TYPE.fullmatch(ml_type)
    return match.group(1) if match else None


def profile_from_table(instance_type: str) -> InstanceProfile | None:
    facts = TRAINING_INSTANCES.get(instance_type)
    if facts is None:
        return None
    local_storage, efa = facts
    return InstanceProfile(instance_type, local_storage, efa, "table")


def profile_from_ec2(info: Mapping[str, Any]) -> InstanceProfile | None:
    """One `InstanceTypes[]` item of EC2 DescribeInstanceTypes, named back as SageMaker
    does; None when EC2 did not say both facts (the API model marks no member required,
    though every item of moto's recording carries them): nothing is concluded then."""
    name = info.get("InstanceType")
    local_storage = info.get("InstanceStorageSupported")
    network = info.get("NetworkInfo")
    efa = network.get("EfaSupported") if isinstance(network, Mapping) else None
    if not isinstance(name, str) or not name:
        return None
    if not isinstance(local_storage, bool) or not isinstance(efa, bool):
        return None
    return InstanceProfile(f"ml.{name}", local_storage, efa, "ec2")
