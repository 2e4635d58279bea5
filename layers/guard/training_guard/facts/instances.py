"""What an ML instance type implies for storage and networking.

Explicit tables rather than name heuristics: a wrong guess here is a false alarm
(a volume key demanded where AWS refuses one) or a missed EFA requirement.
"""

from __future__ import annotations

# Families whose instances come with local NVMe instance storage. AWS rejects a
# VolumeKmsKeyId on these ("You can't request a VolumeKmsKeyId when using an
# instance type with local storage"): the storage is encrypted by the instance's
# hardware module. Source: SageMaker API reference, ResourceConfig.VolumeKmsKeyId,
# and the EC2 instance store volume table.
LOCAL_NVME_FAMILIES = frozenset(
    {
        "c5d", "c6id", "g4ad", "g4dn", "g5", "g6", "g6e", "m5d", "m6id", "p3dn",
        "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "r5d", "r6id", "trn1",
        "trn1n", "trn2",
    }
)  # fmt: skip

# Instance types that SageMaker training attaches Elastic Fabric Adapters to. EFA
# traffic bypasses the IP stack, so the security group must allow all traffic from
# and to itself. Source: EC2 "Supported instance types" for EFA, restricted to the
# SageMaker training instance types.
EFA_INSTANCE_TYPES = frozenset(
    {
        "ml.c5n.9xlarge", "ml.c5n.18xlarge",
        "ml.g4dn.8xlarge", "ml.g4dn.12xlarge", "ml.g4dn.16xlarge",
        "ml.g5.8xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge", "ml.g5.24xlarge", "ml.g5.48xlarge",
        "ml.g6.8xlarge", "ml.g6.12xlarge", "ml.g6.16xlarge", "ml.g6.24xlarge", "ml.g6.48xlarge",
        "ml.g6e.8xlarge", "ml.g6e.12xlarge", "ml.g6e.16xlarge", "ml.g6e.24xlarge",
        "ml.g6e.48xlarge",
        "ml.p3dn.24xlarge", "ml.p4d.24xlarge", "ml.p4de.24xlarge",
        "ml.p5.48xlarge", "ml.p5e.48xlarge", "ml.p5en.48xlarge", "ml.p6-b200.48xlarge",
        "ml.trn1.32xlarge", "ml.trn1n.32xlarge", "ml.trn2.48xlarge",
    }
)  # fmt: skip


def family(instance_type: str) -> str:
    """`ml.p4d.24xlarge` -> `p4d`."""
    parts = instance_type.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "ml" else instance_type


def has_local_nvme(instance_type: str) -> bool:
    return family(instance_type) in LOCAL_NVME_FAMILIES


def is_efa(instance_type: str) -> bool:
    return instance_type in EFA_INSTANCE_TYPES
