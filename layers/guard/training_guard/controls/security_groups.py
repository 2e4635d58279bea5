"""Controls on a job's security groups, judged together as one GroupSet by both guards.

A rule admits the job's own traffic when its protocol and ports cover the traffic and
its peer is one of the job's groups (the same group of the same account), or when its
ranges (CIDRs and managed prefix lists) hold every one of the job's subnets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from training_guard.config import Policy
from training_guard.controls.base import (
    Gap,
    MissingRules,
    PublicIngress,
    Remediation,
    Scope,
    Verdict,
    control,
    describe_gaps,
)
from training_guard.facts.evidence import Fact
from training_guard.facts.groups import GroupSet, SelfTraffic
from training_guard.facts.network import ALL_TRAFFIC, IPSEC_TRAFFIC, Direction, Rule, Traffic
from training_guard.facts.sg_events import describe_rule
from training_guard.model import Severity

GROUP_FACTS = (Fact.SECURITY_GROUPS, Fact.PREFIX_LISTS)


@control(
    "sg-no-public-ingress",
    severity=Severity.CRITICAL,
    remediation=Remediation.REVOKE_RULES,
    scope=Scope.GROUPS,
    why="Training instances reachable from the whole internet can be attacked and can leak "
    "training data and model parameters.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html",
    fix="Remove rules with 0.0.0.0/0, ::/0 or a prefix list holding them from the job's "
    "groups, and reach instances through private ranges or Session Manager instead.",
    needs=GROUP_FACTS,
)
def sg_no_public_ingress(groups: GroupSet, _: Policy) -> Iterator[Verdict]:
    """No rule of the job's security groups admits traffic from 0.0.0.0/0 or ::/0."""
    for group in groups.groups:
        rules = public_ingress(groups, group.id)
        if rules:
            whose = (
                f"a security group of {groups.used_by}"
                if groups.used_by
                else "tagged guarded by hand and used by no job the guard let run"
            )
            yield Verdict(
                f"{group.id}, {whose}, admits traffic from the whole internet: "
                f"{'; '.join(describe_rule(r) for r in rules)}. Training "
                "instances must not be reachable from outside: revoke those ranges (only "
                "those; other rules stay).",
                PublicIngress(group.id, rules),
            )


@control(
    "sg-ipsec-self-rules",
    severity=Severity.MEDIUM,
    remediation=Remediation.ADD_RULES,
    scope=Scope.GROUPS,
    why="Encrypted inter-container traffic is IPsec: without UDP 500 and IP protocol 50 "
    "between the instances, distributed training cannot communicate and stalls.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/train-encrypt.html",
    fix="Add inbound and outbound rules for UDP 500 and protocol 50 that reference the "
    "job's security group itself, in the template or module that creates the group.",
    needs=GROUP_FACTS,
)
def sg_ipsec_self_rules(groups: GroupSet, _: Policy) -> Iterator[Verdict]:
    """The job's security groups together allow UDP 500 and IP protocol 50 between its instances,
    inbound and outbound."""
    target = groups.repair_target
    if groups.traffic < SelfTraffic.IPSEC or target is None:
        return
    gaps = missing_self_traffic(groups, IPSEC_TRAFFIC, ranges_count=True)
    if gaps:
        yield Verdict(
            f"Security groups {', '.join(groups.ids)} of {groups.used_by} together do not "
            f"allow {describe_gaps(gaps)} between its instances, so encrypted "
            "inter-container traffic (IPsec) cannot flow. Add self-referencing rules to "
            f"{target.id}.",
            MissingRules(target.id, tuple(gaps)),
        )


@control(
    "sg-efa-self-rules",
    severity=Severity.MEDIUM,
    remediation=Remediation.ADD_RULES,
    scope=Scope.GROUPS,
    why="Elastic Fabric Adapter traffic bypasses the IP stack; only all-traffic rules that "
    "reference the group itself let it flow between the instances.",
    docs="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-start.html#efa-start-security",
    fix="Add inbound and outbound all-traffic rules that reference the job's security group "
    "itself, for the groups of EFA training jobs.",
    # Which instance types use EFA the job guard learns with volume-kms's facts; the
    # security-group guard reads it from its record.
    needs=GROUP_FACTS,
)
def sg_efa_self_rules(groups: GroupSet, _: Policy) -> Iterator[Verdict]:
    """For EFA instance types, the job's groups allow all traffic from and to themselves."""
    target = groups.repair_target
    if groups.traffic < SelfTraffic.IPSEC_EFA or target is None:
        return
    # EFA's OS-bypass traffic is only admitted by rules that reference the group.
    gaps = missing_self_traffic(groups, (ALL_TRAFFIC,), ranges_count=False)
    if gaps:
        efa = f"{', '.join(groups.efa_types)} use" if groups.efa_types else "uses"
        yield Verdict(
            f"{groups.used_by} {efa} Elastic Fabric Adapter, which needs all traffic "
            f"allowed from and to the job's own security groups; {', '.join(groups.ids)} "
            f"lack {describe_gaps(gaps)}. Add all-traffic self-referencing rules to "
            f"{target.id}.",
            MissingRules(target.id, tuple(gaps)),
        )


def public_ingress(groups: GroupSet, group_id: str) -> tuple[Rule, ...]:
    """The parts of a group's ingress rules that admit the whole internet."""
    group = next((g for g in groups.groups if g.id == group_id), None)
    if group is None:
        return ()
    parts = (rule.public_part(groups.prefix_lists) for rule in group.ingress)
    return tuple(p for p in parts if p is not None)


def missing_self_traffic(
    groups: GroupSet, wanted: Sequence[Traffic], *, ranges_count: bool
) -> list[Gap]:
    """The (direction, traffic) pairs that no rule of the set admits between the job's
    instances. Ranges count (where `ranges_count`) when the covering rules hold every
    one of the job's subnets between them."""
    gaps: list[Gap] = []
    for direction in Direction:
        rules = [rule for group in groups.groups for rule in group.rules(direction)]
        if direction is Direction.INGRESS:
            # Public ingress never counts: it is about to be revoked, and counting it
            # would leave the instances without IPsec once it is gone.
            rules = [rule.without_public(groups.prefix_lists) for rule in rules]
        for traffic in wanted:
            covering = [rule for rule in rules if rule.covers(traffic)]
            admitted = any(rule.names_group(groups.groups) for rule in covering) or (
                ranges_count and _ranges_hold(covering, groups)
            )
            if not admitted:
                gaps.append((direction, traffic))
    return gaps


def _ranges_hold(rules: Sequence[Rule], groups: GroupSet) -> bool:
    if not groups.networks:
        # Subnets unknown: only a range holding all of IPv4 surely holds them.
        return any(r.holds("0.0.0.0/0", groups.prefix_lists) for r in rules)
    return all(any(r.holds(n, groups.prefix_lists) for r in rules) for n in groups.networks)
