"""Controls on one guarded security group, judged by its rules as EC2 returns them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from training_guard.config import Policy
from training_guard.controls.network import (
    Gap,
    describe_public,
    missing_self_traffic,
    public_ingress,
)
from training_guard.facts.guarded import Guard, SelfTraffic
from training_guard.facts.network import ALL_TRAFFIC, IPSEC_TRAFFIC, SecurityGroup


@dataclass(frozen=True)
class GroupFacts:
    group: SecurityGroup
    guard: Guard
    peers: tuple[SecurityGroup, ...] = ()
    # The jobs' subnets, or else the VPC's CIDRs: a CIDR rule holding them all admits
    # the jobs' traffic.
    networks: tuple[str, ...] = ()

    @property
    def job_groups(self) -> list[SecurityGroup]:
        return [self.group, *self.peers]


def ipsec_gaps(facts: GroupFacts) -> list[Gap]:
    if facts.guard.self_traffic < SelfTraffic.IPSEC:
        return []
    return missing_self_traffic(
        facts.job_groups, facts.networks, IPSEC_TRAFFIC, cidr_peers_count=True
    )


def efa_gaps(facts: GroupFacts) -> list[Gap]:
    if facts.guard.self_traffic < SelfTraffic.IPSEC_EFA:
        return []
    return missing_self_traffic(facts.job_groups, (), (ALL_TRAFFIC,), cidr_peers_count=False)


def sg_no_public_ingress(facts: GroupFacts, _: Policy) -> Iterator[str]:
    rules = public_ingress(facts.group)
    if rules:
        yield (
            f"{facts.group.id} ({facts.guard.reason}) admits traffic from the whole internet: "
            f"{describe_public(rules)}. Training instances must not be reachable from outside: "
            "revoke those ranges (only those; other rules stay)."
        )


def sg_ipsec_self_rules(facts: GroupFacts, _: Policy) -> Iterator[str]:
    gaps = ipsec_gaps(facts)
    if gaps:
        yield (
            f"{facts.group.id} ({facts.guard.reason}) does not allow {_describe(gaps)} "
            "between the instances of its training jobs, so encrypted inter-container "
            "traffic (IPsec) cannot flow. Add self-referencing rules for it."
        )


def sg_efa_self_rules(facts: GroupFacts, _: Policy) -> Iterator[str]:
    gaps = efa_gaps(facts)
    if gaps:
        yield (
            f"{facts.group.id} ({facts.guard.reason}) serves EFA instances but lacks "
            f"{_describe(gaps)} from and to itself; EFA traffic cannot flow. Add all-traffic "
            "self-referencing rules."
        )


def _describe(gaps: list[Gap]) -> str:
    return ", ".join(f"{traffic.name} {direction.value}" for direction, traffic in gaps)
