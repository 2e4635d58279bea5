"""The one fact both guards judge security groups by: the groups of one job, together.

An instance gets the union of the rules of all its groups, so a job's groups are
judged as one set (DESIGN.md, "How security-group rules are judged"). The job guard
builds the set from the job; the security-group guard from the guard's own record
of the running jobs that use the changed group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from training_guard.facts.network import PrefixLists, SecurityGroup


class SelfTraffic(IntEnum):
    """What a job's instances send each other through its groups; ordered by need."""

    NONE = 0
    IPSEC = 1
    IPSEC_EFA = 2

    @property
    def label(self) -> str:
        return ("none", "ipsec", "ipsec+efa")[self.value]

    @classmethod
    def from_label(cls, label: str) -> SelfTraffic:
        return {"none": cls.NONE, "ipsec": cls.IPSEC, "ipsec+efa": cls.IPSEC_EFA}[label]


@dataclass(frozen=True)
class GroupSet:
    """A job's security groups (those that exist, in VpcConfig order), what traffic its
    instances exchange, and its subnets' CIDRs (a CIDR rule holding them admits it)."""

    groups: tuple[SecurityGroup, ...]
    traffic: SelfTraffic
    networks: tuple[str, ...] = ()
    prefix_lists: PrefixLists = field(default_factory=dict)
    used_by: str = ""  # "training job fraud-model", in words
    efa_types: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(g.id for g in self.groups)

    @property
    def repair_target(self) -> SecurityGroup | None:
        """Repairs add self rules to the job's first group (DESIGN.md)."""
        return self.groups[0] if self.groups else None
