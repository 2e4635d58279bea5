"""The security-group guard's controls on one guarded group, and the guard tags."""

from __future__ import annotations

import pytest

from training_guard.config import Policy
from training_guard.controls import evaluate_group
from training_guard.controls.security_groups import GroupFacts
from training_guard.facts.guarded import (
    Guard,
    SelfTraffic,
    guard_from_jobs,
    guard_from_tags,
    tags_to_write,
)
from training_guard.facts.jobs import InstanceGroup, JobFacts, JobKind, TrainingSpec
from training_guard.facts.network import Rule, SecurityGroup, Subnet

G, PEER = "sg-g", "sg-peer"
ALL_OUT = Rule("-1", cidrs=("0.0.0.0/0",))
IPSEC = (Rule("17", 500, 500, frozenset({G})), Rule("50", peer_groups=frozenset({G})))
GUARD = "training-guard:guarded"


def group(
    ingress: tuple[Rule, ...] = IPSEC, egress: tuple[Rule, ...] = (ALL_OUT,), group_id: str = G
) -> SecurityGroup:
    return SecurityGroup(group_id, "vpc-1", ingress, egress)


def found(facts: GroupFacts) -> list[str]:
    return [f.control for f in evaluate_group(facts, Policy())]


CASES = {
    "compliant": (GroupFacts(group(), Guard("t")), []),
    "public ssh": (GroupFacts(group((*IPSEC, Rule("6", 22, 22, cidrs=("0.0.0.0/0",)))), Guard("t")), ["sg-no-public-ingress"]),
    "public over ipv6": (GroupFacts(group((*IPSEC, Rule("6", 80, 80, cidrs=("::/0",)))), Guard("t")), ["sg-no-public-ingress"]),
    "public egress is fine": (GroupFacts(group(egress=(ALL_OUT, Rule("6", 443, 443, cidrs=("::/0",)))), Guard("t")), []),
    "public all-traffic ingress does not count as admitting ipsec": (
        GroupFacts(group((Rule("-1", cidrs=("0.0.0.0/0",)),)), Guard("t")), ["sg-no-public-ingress", "sg-ipsec-self-rules"]),
    "only ::/0 egress left: outbound ipsec unknown to reach the subnets": (
        GroupFacts(group(egress=(Rule("-1", cidrs=("::/0",)),)), Guard("t")), ["sg-ipsec-self-rules"]),
    "subnet cidr rule admits ipsec when the jobs' subnets are known": (
        GroupFacts(group((Rule("-1", cidrs=("10.0.1.0/24",)),)), Guard("t"), (), ("10.0.1.0/24",)), []),
    "ike removed": (GroupFacts(group(IPSEC[1:]), Guard("t")), ["sg-ipsec-self-rules"]),
    "egress narrowed": (GroupFacts(group(egress=(Rule("6", 443, 443, cidrs=("0.0.0.0/0",)),)), Guard("t")), ["sg-ipsec-self-rules"]),
    "single-instance jobs need no ipsec": (GroupFacts(group(()), Guard("t", self_traffic=SelfTraffic.NONE)), []),
    "peer group holds the rules": (
        GroupFacts(group(()), Guard("t", frozenset({PEER})), (group(ingress=(Rule("-1", peer_groups=frozenset({G})),), group_id=PEER),)),
        []),
    "vpc cidr rule admits ipsec": (GroupFacts(group((Rule("-1", cidrs=("10.0.0.0/16",)),)), Guard("t"), (), ("10.0.0.0/16",)), []),
    "efa needs all traffic self rules": (GroupFacts(group(), Guard("t", self_traffic=SelfTraffic.IPSEC_EFA)), ["sg-efa-self-rules"]),
    "efa satisfied": (
        GroupFacts(group((Rule("-1", peer_groups=frozenset({G})),), (Rule("-1", peer_groups=frozenset({G})),)),
                   Guard("t", self_traffic=SelfTraffic.IPSEC_EFA)),
        []),
}  # fmt: skip


@pytest.mark.parametrize(("facts", "expected"), CASES.values(), ids=CASES.keys())
def test_group_control(facts: GroupFacts, expected: list[str]) -> None:
    assert found(facts) == expected


def job(
    groups: tuple[str, ...],
    count: int = 2,
    instance_type: str = "ml.m5.xlarge",
    subnets: tuple[str, ...] = (),
) -> JobFacts:
    spec = TrainingSpec(
        "j", (InstanceGroup(instance_type, count),), subnets=subnets, security_groups=groups
    )
    return JobFacts(JobKind.TRAINING, "j", "arn:aws:sagemaker:us-east-1:1:training-job/j", (spec,))


@pytest.mark.parametrize(
    ("tags", "guard"),
    [
        ({}, None),
        ({GUARD: "false"}, None),
        ({GUARD: "true"}, Guard(f"tagged {GUARD}=true")),
        # Only exactly `true`: the IAM conditions on the guards' writes accept nothing else.
        ({GUARD: "True"}, None),
        ({GUARD: "true", "training-guard:peer-groups": "sg-b sg-a", "training-guard:self-traffic": "ipsec+efa",
          "training-guard:subnet-cidrs": "10.0.1.0/24 10.0.2.0/24"},
         Guard(f"tagged {GUARD}=true", frozenset({"sg-a", "sg-b"}), SelfTraffic.IPSEC_EFA,
               frozenset({"10.0.1.0/24", "10.0.2.0/24"}))),
        ({GUARD: "true", "training-guard:self-traffic": "none"}, Guard(f"tagged {GUARD}=true", self_traffic=SelfTraffic.NONE)),
    ],
)  # fmt: skip
def test_guard_from_tags(tags: dict[str, str], guard: Guard | None) -> None:
    assert guard_from_tags(tags, GUARD) == guard


def test_guard_from_jobs() -> None:
    assert guard_from_jobs(G, [job((PEER,))]) is None
    assert guard_from_jobs(G, [job((G,), count=1)]) == Guard(
        "used by training job j", self_traffic=SelfTraffic.NONE
    )
    assert guard_from_jobs(G, [job((G, PEER), instance_type="ml.p4d.24xlarge")]) == Guard(
        "used by training job j", frozenset({PEER}), SelfTraffic.IPSEC_EFA
    )
    # Two jobs: keep only the peers both have, and the more demanding traffic.
    both = guard_from_jobs(G, [job((G, PEER), count=1), job((G,))])
    assert both == Guard("used by training job j", frozenset(), SelfTraffic.IPSEC)


def test_tags_to_write_only_when_they_change() -> None:
    untagged = group()
    subnets = {"subnet-1": Subnet("subnet-1", "vpc-1", "10.0.1.0/24", 100)}
    wanted = tags_to_write(job((G,), subnets=("subnet-1",)), {G: untagged}, subnets, GUARD)
    assert wanted == {
        G: {
            GUARD: "true",
            "training-guard:self-traffic": "ipsec",
            "training-guard:peer-groups": "",
            "training-guard:subnet-cidrs": "10.0.1.0/24",
        }
    }
    tagged = SecurityGroup(G, "vpc-1", IPSEC, (ALL_OUT,), wanted[G])
    assert tags_to_write(job((G,), subnets=("subnet-1",)), {G: tagged}, subnets, GUARD) == {}


def test_subnets_that_do_not_fit_a_tag_are_written_as_unknown() -> None:
    many = frozenset(f"10.{n}.0.0/24" for n in range(40))
    tags = Guard("t", subnet_cidrs=many).tags(GUARD)
    assert tags["training-guard:subnet-cidrs"] == "unknown"
    assert guard_from_tags(tags, GUARD) == Guard(
        f"tagged {GUARD}=true"
    )  # unknown: VPC CIDRs stand in
    # Merging with a guard whose subnets are unknown keeps them unknown.
    assert (
        Guard("a", subnet_cidrs=frozenset({"10.0.1.0/24"})).merge(Guard("b")).subnet_cidrs is None
    )


def test_peers_no_longer_shared_are_cleared_not_left_stale() -> None:
    tagged = SecurityGroup(
        G, "vpc-1", IPSEC, (ALL_OUT,), {GUARD: "true", "training-guard:peer-groups": PEER}
    )
    wanted = tags_to_write(job((G,)), {G: tagged}, {}, GUARD)
    assert wanted[G]["training-guard:peer-groups"] == ""
