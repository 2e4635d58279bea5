"""Controls on the job's VPC: its groups' self rules, its subnets and its S3 endpoint.

Security-group rules are judged together: an instance gets the union of the rules
of every group attached to it (DESIGN.md, "How security-group rules are judged").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from training_guard.config import Policy
from training_guard.facts.evidence import Evidence
from training_guard.facts.instances import is_efa
from training_guard.facts.jobs import TrainingSpec
from training_guard.facts.network import (
    ALL_TRAFFIC,
    IPSEC_TRAFFIC,
    Direction,
    Rule,
    SecurityGroup,
    Traffic,
)
from training_guard.facts.sg_events import describe_rule

ADDRESSES_PER_INSTANCE = 2
ADDRESSES_PER_EFA_INSTANCE = 5

Gap = tuple[Direction, Traffic]


def missing_self_traffic(
    groups: Sequence[SecurityGroup],
    subnet_cidrs: Sequence[str],
    wanted: Sequence[Traffic],
    *,
    cidr_peers_count: bool,
) -> list[Gap]:
    """The (direction, traffic) pairs that no rule of `groups` admits between the job's instances.

    A rule admits the traffic when its protocol and ports cover it and its peer is one
    of the groups; or (where `cidr_peers_count`) when the CIDRs of the covering rules
    hold every one of the job's subnets between them.
    """
    group_ids = [g.id for g in groups]
    gaps: list[Gap] = []
    for direction in Direction:
        rules = [rule for group in groups for rule in group.rules(direction)]
        if direction is Direction.INGRESS:
            # Public ingress never counts: sg_guard revokes it, and counting it would
            # leave the instances without IPsec once it is gone.
            rules = [rule.without_public_ranges() for rule in rules]
        for traffic in wanted:
            covering = [rule for rule in rules if rule.covers(traffic)]
            admitted = any(rule.names_group(group_ids) for rule in covering) or (
                cidr_peers_count and _ranges_hold(covering, subnet_cidrs)
            )
            if not admitted:
                gaps.append((direction, traffic))
    return gaps


def _ranges_hold(rules: Sequence[Rule], networks: Sequence[str]) -> bool:
    if not networks:
        return any(rule.contains_networks(()) for rule in rules)
    return all(any(rule.contains_networks((n,)) for rule in rules) for n in networks)


def ipsec_gaps(spec: TrainingSpec, evidence: Evidence) -> list[Gap]:
    groups = _groups(spec, evidence)
    if not spec.is_distributed or not groups:
        return []
    return missing_self_traffic(
        groups, _subnet_cidrs(spec, evidence), IPSEC_TRAFFIC, cidr_peers_count=True
    )


def efa_gaps(spec: TrainingSpec, evidence: Evidence) -> list[Gap]:
    groups = _groups(spec, evidence)
    if not (spec.is_distributed and spec.uses_efa) or not groups:
        return []
    # EFA's OS-bypass traffic is only admitted by rules that reference the group.
    return missing_self_traffic(groups, (), (ALL_TRAFFIC,), cidr_peers_count=False)


def vpc_config(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    if not spec.has_vpc:
        missing = " and no ".join(
            name
            for name, present in (
                ("subnets", spec.subnets),
                ("security groups", spec.security_groups),
            )
            if not present
        )
        yield (
            f"VpcConfig has no {missing}: the job runs in a SageMaker-managed network with "
            "internet access instead of your VPC. Resubmit with VpcConfig naming private "
            "subnets and a security group."
        )
        return
    absent = [g for g in spec.security_groups if g not in evidence.security_groups]
    absent += [s for s in spec.subnets if s not in evidence.subnets]
    if absent:
        yield (
            f"VpcConfig names {', '.join(absent)}, which this account and region do not have; "
            "the job cannot start in its VPC. Resubmit with existing subnets and security groups."
        )


def sg_ipsec_self_rules(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    gaps = ipsec_gaps(spec, evidence)
    if gaps:
        yield (
            f"Security groups {', '.join(spec.security_groups)} together do not allow "
            f"{_describe_gaps(gaps)} between the job's instances, so encrypted "
            "inter-container traffic (IPsec) cannot flow and distributed training stalls. "
            f"Add self-referencing rules to {spec.security_groups[0]}."
        )


def sg_efa_self_rules(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    gaps = efa_gaps(spec, evidence)
    if gaps:
        efa_types = ", ".join(t for t in spec.instance_types if is_efa(t))
        yield (
            f"{efa_types} use Elastic Fabric Adapter, which needs all traffic allowed from "
            f"and to the job's own security groups; {', '.join(spec.security_groups)} lack "
            f"{_describe_gaps(gaps)}. Add all-traffic self-referencing rules to "
            f"{spec.security_groups[0]}."
        )


def sg_no_public_ingress(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    for group in _groups(spec, evidence):
        rules = public_ingress(group)
        if rules:
            yield (
                f"{group.id}, a security group of this job, admits traffic from the whole "
                f"internet: {describe_public(rules)}. Training instances must not be reachable "
                "from outside: revoke those ranges (only those; other rules stay)."
            )


def public_ingress(group: SecurityGroup) -> list[Rule]:
    return [rule for rule in group.ingress if rule.public_cidrs]


def describe_public(rules: Sequence[Rule]) -> str:
    return "; ".join(
        describe_rule(Rule(r.protocol, r.from_port, r.to_port, cidrs=r.public_cidrs)) for r in rules
    )


def subnet_capacity(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    needed = sum(
        g.count
        * (ADDRESSES_PER_EFA_INSTANCE if is_efa(g.instance_type) else ADDRESSES_PER_INSTANCE)
        for g in spec.instance_groups
    )
    subnets = [evidence.subnets[s] for s in spec.subnets if s in evidence.subnets]
    short = [s for s in subnets if s.available_addresses < needed]
    if not short:
        return
    listing = ", ".join(f"{s.id} has {s.available_addresses}" for s in short)
    scope = (
        "None of the job's subnets" if len(short) == len(subnets) else "Some of the job's subnets"
    )
    yield (
        f"{scope} can hold the job: it needs {needed} free IP addresses "
        f"({ADDRESSES_PER_INSTANCE} per instance, {ADDRESSES_PER_EFA_INSTANCE} per EFA "
        f"instance), and {listing}. Free addresses in those subnets or add larger subnets "
        "to VpcConfig."
    )


def s3_private_endpoint(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    vpcs = sorted({evidence.subnets[s].vpc_id for s in spec.subnets if s in evidence.subnets})
    lacking = [v for v in vpcs if v not in evidence.vpcs_with_s3_endpoint]
    if lacking:
        yield (
            f"VPC {', '.join(lacking)} has no S3 VPC endpoint: training data and model "
            "artifacts reach S3 over a NAT gateway or not at all. Create an S3 gateway "
            "endpoint and associate it with the subnets' route tables."
        )


def _groups(spec: TrainingSpec, evidence: Evidence) -> list[SecurityGroup]:
    return [
        evidence.security_groups[g] for g in spec.security_groups if g in evidence.security_groups
    ]


def _subnet_cidrs(spec: TrainingSpec, evidence: Evidence) -> list[str]:
    return [evidence.subnets[s].cidr for s in spec.subnets if s in evidence.subnets]


def _describe_gaps(gaps: Sequence[Gap]) -> str:
    return ", ".join(f"{traffic.name} {direction.value}" for direction, traffic in gaps)
