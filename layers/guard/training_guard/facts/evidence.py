"""Everything the controls may look at for one job, loaded once by the effects layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from training_guard.facts.keys import KeyFacts
from training_guard.facts.network import SecurityGroup, Subnet


class Fact(StrEnum):
    """The kinds of AWS fact a control may need; the loader fetches only what is asked."""

    SECURITY_GROUPS = "security-groups"
    SUBNETS = "subnets"
    S3_ENDPOINTS = "s3-endpoints"
    VPCS = "vpcs"
    KEYS = "keys"
    KEY_POLICIES = "key-policies"


@dataclass(frozen=True)
class Evidence:
    security_groups: Mapping[str, SecurityGroup] = field(default_factory=dict)
    subnets: Mapping[str, Subnet] = field(default_factory=dict)
    vpcs_with_s3_endpoint: frozenset[str] = frozenset()
    keys: Mapping[str, KeyFacts] = field(default_factory=dict)

    def key(self, reference: str) -> KeyFacts:
        return self.keys.get(reference) or KeyFacts(reference)
