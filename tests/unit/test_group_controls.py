"""The security-group controls, judged on one GroupSet: the union of a job's groups.

Both guards judge groups this way (the job guard from the job, the security-group
guard from its record of the running jobs that use a group), so these cases hold
for both."""

from __future__ import annotations

import pytest

from training_guard.config import Policy
from training_guard.controls import GROUP_CONTROLS, MissingRules, PublicIngress, evaluate_groups
from training_guard.controls.base import Remediation
from training_guard.facts.groups import GroupSet, SelfTraffic
from training_guard.facts.network import (
    ALL_TRAFFIC,
    ESP,
    IKE,
    Direction,
    GroupPeer,
    PrefixLists,
    Rule,
    SecurityGroup,
)
from training_guard.model import Finding

G, PEER = "sg-g", "sg-peer"
OWNER, OTHER = "123456789012", "210987654321"
IN, OUT = Direction.INGRESS, Direction.EGRESS
SUBNET_A, SUBNET_B = "10.0.1.0/24", "10.0.2.0/24"
ALL_OUT = Rule("-1", cidrs=("0.0.0.0/0",))
IPSEC = (Rule("17", 500, 500, groups=(GroupPeer(G),)), Rule("50", groups=(GroupPeer(G),)))
SELF_ALL = Rule("-1", groups=(GroupPeer(G),))
LISTS: PrefixLists = {
    "pl-vpc": ("10.0.0.0/16",),
    "pl-subnet-a": (SUBNET_A,),
    "pl-open": ("0.0.0.0/0",),
    "pl-private": ("10.0.0.0/8", "172.16.0.0/12"),
    "pl-unread": None,
}
IPSEC_GAPS_IN = ((IN, IKE), (IN, ESP))
IPSEC_GAPS_OUT = ((OUT, IKE), (OUT, ESP))


def group(
    ingress: tuple[Rule, ...] = IPSEC,
    egress: tuple[Rule, ...] = (ALL_OUT,),
    group_id: str = G,
    owner: str | None = OWNER,
) -> SecurityGroup:
    return SecurityGroup(group_id, "vpc-1", ingress, egress, owner_id=owner)


def groups(
    *members: SecurityGroup,
    traffic: SelfTraffic = SelfTraffic.IPSEC,
    networks: tuple[str, ...] = (),
    prefix_lists: PrefixLists = LISTS,
) -> GroupSet:
    return GroupSet(members or (group(),), traffic, networks, prefix_lists, "training job j", ())


def findings(facts: GroupSet) -> tuple[Finding, ...]:
    return evaluate_groups(facts, Policy())


def found(facts: GroupSet) -> list[str]:
    return sorted(f.control for f in findings(facts))


EFA = SelfTraffic.IPSEC_EFA
NONE = SelfTraffic.NONE

CASES = {
    "compliant": (groups(), []),
    # public ingress
    "public ssh": (groups(group((*IPSEC, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))))), ["sg-no-public-ingress"]),
    "public over ipv6": (groups(group((*IPSEC, Rule("6", 80, 80, cidrs=("::/0",))))), ["sg-no-public-ingress"]),
    "public through a managed prefix list": (groups(group((*IPSEC, Rule("6", 22, 22, prefix_lists=("pl-open",))))), ["sg-no-public-ingress"]),
    "a prefix list of private ranges is not public": (groups(group((*IPSEC, Rule("6", 22, 22, prefix_lists=("pl-private",))))), []),
    "a prefix list that could not be read is not called public": (groups(group((*IPSEC, Rule("6", 22, 22, prefix_lists=("pl-unread",))))), []),
    "public egress is fine": (groups(group(egress=(ALL_OUT, Rule("6", 443, 443, cidrs=("::/0",))))), []),
    "public ingress on a single-instance job's group is still public": (
        groups(group((Rule("6", 22, 22, cidrs=("0.0.0.0/0",)),)), traffic=NONE), ["sg-no-public-ingress"]),
    # IPsec admitted
    "ipsec self rules": (groups(group(IPSEC)), []),
    "all-protocol self rule": (groups(group((SELF_ALL,))), []),
    "udp range containing 500 and esp": (groups(group((Rule("17", 400, 600, groups=(GroupPeer(G),)), IPSEC[1]))), []),
    "udp all ports and esp": (groups(group((Rule("17", 0, 65535, groups=(GroupPeer(G),)), IPSEC[1]))), []),
    "self reference naming its own account": (groups(group((Rule("-1", groups=(GroupPeer(G, OWNER),)),))), []),
    "peer group of the set holds the rules": (
        groups(group(()), group((Rule("-1", groups=(GroupPeer(G),)),), group_id=PEER)), []),
    "rules split across the set's groups count together": (
        groups(group((Rule("17", 500, 500, groups=(GroupPeer(PEER),)),)), group((Rule("50", groups=(GroupPeer(G),)),), group_id=PEER)), []),
    "vpc cidr rule holding the subnets": (groups(group((Rule("-1", cidrs=("10.0.0.0/16",)),)), networks=(SUBNET_A, SUBNET_B)), []),
    "two cidr rules holding one subnet each": (
        groups(group((Rule("-1", cidrs=(SUBNET_A,)), Rule("-1", cidrs=(SUBNET_B,)))), networks=(SUBNET_A, SUBNET_B)), []),
    "subnet cidr rule when the subnets are known": (groups(group((Rule("-1", cidrs=(SUBNET_A,)),)), networks=(SUBNET_A,)), []),
    "prefix list whose entries hold the subnets": (groups(group((Rule("-1", prefix_lists=("pl-vpc",)),)), networks=(SUBNET_A, SUBNET_B)), []),
    "prefix list and cidr holding one subnet each": (
        groups(group((Rule("-1", prefix_lists=("pl-subnet-a",)), Rule("-1", cidrs=(SUBNET_B,)))), networks=(SUBNET_A, SUBNET_B)), []),
    "allow-all egress admits outbound ipsec": (groups(group(IPSEC, (ALL_OUT,)), networks=(SUBNET_A,)), []),
    # IPsec not admitted
    "ike removed": (groups(group(IPSEC[1:])), ["sg-ipsec-self-rules"]),
    "udp range without 500": (groups(group((Rule("17", 501, 600, groups=(GroupPeer(G),)), IPSEC[1]))), ["sg-ipsec-self-rules"]),
    "tcp 500 is not udp 500": (groups(group((Rule("6", 500, 500, groups=(GroupPeer(G),)), IPSEC[1]))), ["sg-ipsec-self-rules"]),
    "egress narrowed": (groups(group(egress=(Rule("6", 443, 443, cidrs=("0.0.0.0/0",)),))), ["sg-ipsec-self-rules"]),
    "no egress at all": (groups(group(egress=())), ["sg-ipsec-self-rules"]),
    "only ::/0 egress: outbound ipsec not known to reach the subnets": (groups(group(egress=(Rule("-1", cidrs=("::/0",)),))), ["sg-ipsec-self-rules"]),
    "a cidr holding only one of two subnets": (groups(group((Rule("-1", cidrs=(SUBNET_A,)),)), networks=(SUBNET_A, SUBNET_B)), ["sg-ipsec-self-rules"]),
    "a cidr rule with the subnets unknown": (groups(group((Rule("-1", cidrs=("10.0.0.0/16",)),))), ["sg-ipsec-self-rules"]),
    "a prefix list holding only one subnet": (groups(group((Rule("-1", prefix_lists=("pl-subnet-a",)),)), networks=(SUBNET_A, SUBNET_B)), ["sg-ipsec-self-rules"]),
    "a prefix list that could not be read admits nothing": (groups(group((Rule("-1", prefix_lists=("pl-unread",)),)), networks=(SUBNET_A,)), ["sg-ipsec-self-rules"]),
    "a group outside the set admits nothing": (groups(group((Rule("-1", groups=(GroupPeer(PEER),)),))), ["sg-ipsec-self-rules"]),
    "same group id in another account is another group": (
        groups(group((Rule("-1", groups=(GroupPeer(G, OTHER),)),))), ["sg-ipsec-self-rules"]),
    "public all-traffic ingress does not count as admitting ipsec": (
        groups(group((Rule("-1", cidrs=("0.0.0.0/0",)),))), ["sg-ipsec-self-rules", "sg-no-public-ingress"]),
    "public ingress does not count even where subnets are known": (
        groups(group((Rule("-1", cidrs=("0.0.0.0/0",)),)), networks=(SUBNET_A,)), ["sg-ipsec-self-rules", "sg-no-public-ingress"]),
    "a public prefix list does not count as admitting ipsec": (
        groups(group((Rule("-1", prefix_lists=("pl-open",)),)), networks=(SUBNET_A,)), ["sg-ipsec-self-rules", "sg-no-public-ingress"]),
    # single instance
    "single-instance jobs need no ipsec": (groups(group((), ()), traffic=NONE), []),
    # EFA
    "efa needs all-traffic self rules": (groups(group(), traffic=EFA), ["sg-efa-self-rules"]),
    "efa satisfied": (groups(group((SELF_ALL,), (SELF_ALL,)), traffic=EFA), []),
    "efa satisfied through a peer group of the set": (
        groups(group((Rule("-1", groups=(GroupPeer(PEER),)),), (Rule("-1", groups=(GroupPeer(PEER),)),)), group((), (), PEER), traffic=EFA), []),
    "efa is not admitted by ranges": (
        groups(group((Rule("-1", cidrs=("10.0.0.0/16",)),)), networks=(SUBNET_A,), traffic=EFA), ["sg-efa-self-rules"]),
    "efa is not admitted by a prefix list": (
        groups(group((Rule("-1", prefix_lists=("pl-vpc",)),)), networks=(SUBNET_A,), traffic=EFA), ["sg-efa-self-rules"]),
    "efa is not admitted by another account's group": (
        groups(group((Rule("-1", groups=(GroupPeer(G, OTHER),)),), (SELF_ALL,)), traffic=EFA), ["sg-efa-self-rules", "sg-ipsec-self-rules"]),
    "efa without any rule lacks both": (groups(group((), ()), traffic=EFA), ["sg-efa-self-rules", "sg-ipsec-self-rules"]),
}  # fmt: skip


@pytest.mark.parametrize(("facts", "expected"), CASES.values(), ids=CASES.keys())
def test_group_control(facts: GroupSet, expected: list[str]) -> None:
    assert found(facts) == expected


def test_every_group_control_has_a_case_that_finds_it() -> None:
    assert {c for _, expected in CASES.values() for c in expected} == {c.id for c in GROUP_CONTROLS}


def test_an_empty_set_is_not_judged() -> None:
    assert evaluate_groups(GroupSet((), SelfTraffic.IPSEC_EFA), Policy()) == ()


# --- evidence on findings --------------------------------------------------------------


def test_missing_rules_target_the_first_group() -> None:
    (finding,) = findings(groups(group((), (ALL_OUT,)), group((), (ALL_OUT,), PEER)))
    assert finding.control == "sg-ipsec-self-rules"
    assert finding.remediation == Remediation.ADD_RULES.value
    assert finding.evidence == MissingRules(G, IPSEC_GAPS_IN)
    assert "sg-g, sg-peer" in finding.message
    assert "training job j" in finding.message


def test_missing_rules_name_each_direction() -> None:
    (finding,) = findings(groups(group(IPSEC, ())))
    assert finding.evidence == MissingRules(G, IPSEC_GAPS_OUT)
    (finding,) = findings(groups(group((), ())))
    assert finding.evidence == MissingRules(G, IPSEC_GAPS_IN + IPSEC_GAPS_OUT)
    assert "UDP 500 (IKE) inbound" in finding.message
    assert "IP protocol 50 (ESP) outbound" in finding.message


def test_efa_evidence_is_all_traffic_both_ways() -> None:
    facts = GroupSet(
        (group(),), SelfTraffic.IPSEC_EFA, efa_types=("ml.p4d.24xlarge",), used_by="training job j"
    )
    (finding,) = findings(facts)
    assert finding.control == "sg-efa-self-rules"
    assert finding.evidence == MissingRules(G, ((IN, ALL_TRAFFIC), (OUT, ALL_TRAFFIC)))
    assert "ml.p4d.24xlarge" in finding.message


def test_public_ingress_evidence_names_exactly_the_public_part() -> None:
    ssh = Rule("6", 22, 22, cidrs=("10.0.0.0/8", "0.0.0.0/0"), groups=(GroupPeer(G),))
    (finding,) = findings(groups(group((*IPSEC, ssh))))
    assert finding.control == "sg-no-public-ingress"
    assert finding.remediation == Remediation.REVOKE_RULES.value
    assert finding.evidence == PublicIngress(G, (Rule("6", 22, 22, cidrs=("0.0.0.0/0",)),))


def test_public_ingress_through_a_prefix_list_names_the_list() -> None:
    rule = Rule("6", 22, 22, prefix_lists=("pl-private", "pl-open"))
    (finding,) = findings(groups(group((*IPSEC, rule))))
    assert finding.evidence == PublicIngress(G, (Rule("6", 22, 22, prefix_lists=("pl-open",)),))
    assert "pl-open" in finding.message
    assert "pl-private" not in finding.message


def test_public_ingress_is_found_on_every_group_of_the_set() -> None:
    open_ssh = Rule("6", 22, 22, cidrs=("0.0.0.0/0",))
    result = findings(groups(group((*IPSEC, open_ssh)), group((open_ssh,), group_id=PEER)))
    assert [(f.control, f.evidence.group_id) for f in result] == [
        ("sg-no-public-ingress", G),
        ("sg-no-public-ingress", PEER),
    ]


def test_single_instance_gives_no_ipsec_finding_even_with_no_rules() -> None:
    result = findings(groups(group((), ()), group((), (), PEER), traffic=SelfTraffic.NONE))
    assert result == ()


@pytest.mark.parametrize("label", ["none", "ipsec", "ipsec+efa"])
def test_self_traffic_labels_round_trip(label: str) -> None:
    assert SelfTraffic.from_label(label).label == label
