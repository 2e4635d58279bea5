"""Why a security group is guarded, and what its training jobs need of it.

A group is guarded when it carries GUARD_TAG_KEY=true or when a running training job
uses it. The job guard tags the groups of every job it evaluates, with two more tags
that carry what the security-group guard cannot see from the group alone: the other
groups the job's instances also have, and whether the job needs IPsec or EFA traffic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum

from training_guard.facts.jobs import JobFacts
from training_guard.facts.network import SecurityGroup, Subnet

PEER_GROUPS_TAG = "training-guard:peer-groups"
SELF_TRAFFIC_TAG = "training-guard:self-traffic"
SUBNET_CIDRS_TAG = "training-guard:subnet-cidrs"
TAG_VALUE_LIMIT = 256
SUBNETS_UNKNOWN = "unknown"


class SelfTraffic(IntEnum):
    """What the job's instances send each other through the group; ordered by what it needs."""

    NONE = 0
    IPSEC = 1
    IPSEC_EFA = 2

    @property
    def tag_value(self) -> str:
        return {0: "none", 1: "ipsec", 2: "ipsec+efa"}[self.value]

    @classmethod
    def from_tag(cls, value: str | None) -> SelfTraffic:
        # A group tagged by hand carries no traffic tag: DESIGN.md asks IPsec self rules
        # of every guarded group.
        return {"none": cls.NONE, "ipsec+efa": cls.IPSEC_EFA}.get((value or "").strip(), cls.IPSEC)


@dataclass(frozen=True)
class Guard:
    """Why a group is guarded and what its jobs need of it. `subnet_cidrs` are the jobs'
    subnets (a CIDR rule holding them all admits the jobs' traffic); empty when unknown,
    and then the VPC's CIDRs stand in for them."""

    reason: str
    peers: frozenset[str] = frozenset()
    self_traffic: SelfTraffic = SelfTraffic.IPSEC
    subnet_cidrs: frozenset[str] | None = None  # None: unknown

    def merge(self, other: Guard) -> Guard:
        # Instances of either job must be served: keep only the peers both jobs have,
        # every subnet either uses, and the more demanding traffic.
        return Guard(
            self.reason,
            self.peers & other.peers,
            max(self.self_traffic, other.self_traffic),
            None
            if self.subnet_cidrs is None or other.subnet_cidrs is None
            else self.subnet_cidrs | other.subnet_cidrs,
        )

    def tags(self, guard_tag_key: str) -> dict[str, str]:
        # Every tag is always written (peers possibly empty), so none is ever left stale.
        tags = {
            guard_tag_key: "true",
            SELF_TRAFFIC_TAG: self.self_traffic.tag_value,
            PEER_GROUPS_TAG: " ".join(sorted(self.peers)),
        }
        # A subnet list that does not fit a tag is written as unknown.
        cidrs = " ".join(sorted(self.subnet_cidrs or ()))
        fits = self.subnet_cidrs and len(cidrs) <= TAG_VALUE_LIMIT
        tags[SUBNET_CIDRS_TAG] = cidrs if fits else SUBNETS_UNKNOWN
        return tags


def guard_from_tags(tags: Mapping[str, str], guard_tag_key: str) -> Guard | None:
    # Exactly `true`, the value the IAM conditions on the guards' writes accept.
    if tags.get(guard_tag_key) != "true":
        return None
    return Guard(
        f"tagged {guard_tag_key}=true",
        frozenset(tags.get(PEER_GROUPS_TAG, "").split()),
        SelfTraffic.from_tag(tags.get(SELF_TRAFFIC_TAG)),
        _subnet_cidrs(tags.get(SUBNET_CIDRS_TAG)),
    )


def _subnet_cidrs(value: str | None) -> frozenset[str] | None:
    if not value or value.strip() == SUBNETS_UNKNOWN:
        return None
    return frozenset(value.split())


def guard_from_jobs(
    group_id: str, jobs: Iterable[JobFacts], subnet_cidrs: Mapping[str, str] | None = None
) -> Guard | None:
    """How the jobs that run in `group_id` use it; None when none does.
    `subnet_cidrs` maps the jobs' subnet ids to their CIDRs, where known."""
    cidrs_of = subnet_cidrs or {}
    guard: Guard | None = None
    for job in jobs:
        for spec in job.specs:
            if group_id not in spec.security_groups:
                continue
            traffic = SelfTraffic.NONE
            if spec.is_distributed:
                traffic = SelfTraffic.IPSEC_EFA if spec.uses_efa else SelfTraffic.IPSEC
            found = Guard(
                f"used by {job.kind.label} {job.name}",
                frozenset(spec.security_groups) - {group_id},
                traffic,
                _known_cidrs(spec.subnets, cidrs_of),
            )
            guard = found if guard is None else guard.merge(found)
    return guard


def _known_cidrs(subnets: Iterable[str], cidrs_of: Mapping[str, str]) -> frozenset[str] | None:
    subnet_ids = list(subnets)
    if not subnet_ids or any(s not in cidrs_of for s in subnet_ids):
        return None
    return frozenset(cidrs_of[s] for s in subnet_ids)


def tags_to_write(
    job: JobFacts,
    groups: Mapping[str, SecurityGroup],
    subnets: Mapping[str, Subnet],
    guard_tag_key: str,
) -> dict[str, dict[str, str]]:
    """The guard tags each existing group of `job` should carry and does not yet."""
    cidrs = {s.id: s.cidr for s in subnets.values()}
    wanted: dict[str, dict[str, str]] = {}
    for group in groups.values():
        found = guard_from_jobs(group.id, [job], cidrs)
        if found is None:
            continue
        existing = guard_from_tags(group.tags, guard_tag_key)
        tags = (existing.merge(found) if existing else found).tags(guard_tag_key)
        if any(group.tags.get(k) != v for k, v in tags.items()):
            wanted[group.id] = tags
    return wanted
