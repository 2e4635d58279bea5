"""Everything the job controls may look at for one job, loaded once by the effects layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from training_guard.facts.instances import InstanceProfile
from training_guard.facts.keys import KeyFacts
from training_guard.facts.network import PrefixLists, SecurityGroup, Subnet


class Fact(StrEnum):
    """The kinds of AWS fact a control may need; the loader fetches only what is asked."""

    SECURITY_GROUPS = "security-groups"
    PREFIX_LISTS = "prefix-lists"
    SUBNETS = "subnets"
    S3_ENDPOINTS = "s3-endpoints"
    INSTANCE_TYPES = "instance-types"
    KEYS = "keys"
    KEY_POLICIES = "key-policies"

    @property
    def permissions(self) -> tuple[str, ...]:
        """The IAM actions loading this fact takes (effects/loaders.py makes the calls)."""
        return _FACT_PERMISSIONS[self]


_FACT_PERMISSIONS = {
    Fact.SECURITY_GROUPS: ("ec2:DescribeSecurityGroups",),
    Fact.PREFIX_LISTS: ("ec2:GetManagedPrefixListEntries",),
    Fact.SUBNETS: ("ec2:DescribeSubnets",),
    Fact.S3_ENDPOINTS: ("ec2:DescribeVpcEndpoints",),
    Fact.INSTANCE_TYPES: ("ec2:DescribeInstanceTypes",),
    Fact.KEYS: ("kms:DescribeKey",),
    Fact.KEY_POLICIES: ("kms:GetKeyPolicy",),
}


@dataclass(frozen=True)
class Evidence:
    security_groups: Mapping[str, SecurityGroup] = field(default_factory=dict)
    prefix_lists: PrefixLists = field(default_factory=dict)
    subnets: Mapping[str, Subnet] = field(default_factory=dict)
    vpcs_with_s3_endpoint: frozenset[str] = frozenset()
    # None: neither the table nor EC2 knows the type; nothing is concluded from it.
    instances: Mapping[str, InstanceProfile | None] = field(default_factory=dict)
    keys: Mapping[str, KeyFacts] = field(default_factory=dict)

    def key(self, reference: str) -> KeyFacts:
        return self.keys.get(reference) or KeyFacts(reference)

    def instance(self, instance_type: str) -> InstanceProfile | None:
        return self.instances.get(instance_type)
