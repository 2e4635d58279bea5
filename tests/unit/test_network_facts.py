"""Security-group rules as EC2 returns them, and what traffic they cover."""

from __future__ import annotations

import pytest

from training_guard.facts.instances import has_local_nvme, is_efa
from training_guard.facts.network import ESP, IKE, Rule, protocol_number, rule_from_api


@pytest.mark.parametrize(
    ("rule", "traffic", "covered"),
    [
        (Rule("-1"), IKE, True),
        (Rule("-1"), ESP, True),
        (Rule("17", 500, 500), IKE, True),
        (Rule("17", 400, 600), IKE, True),
        (Rule("17", 501, 600), IKE, False),
        (Rule("6", 500, 500), IKE, False),
        (Rule("50"), ESP, True),
        (Rule("50"), IKE, False),
        (Rule("17", -1, -1), IKE, True),
    ],
)
def test_rule_covers(rule: Rule, traffic: object, covered: bool) -> None:
    assert rule.covers(traffic) is covered  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "number"),
    [("udp", "17"), ("UDP", "17"), ("tcp", "6"), ("all", "-1"), (50, "50"), ("esp", "50")],
)
def test_protocols_compare_by_number(name: str | int, number: str) -> None:
    assert protocol_number(name) == number


def test_rule_from_api_reads_groups_and_both_address_families() -> None:
    rule = rule_from_api(
        {
            "IpProtocol": "udp",
            "FromPort": 500,
            "ToPort": 500,
            "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123456789012"}],
            "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        }
    )
    assert rule == Rule("17", 500, 500, frozenset({"sg-1"}), ("10.0.0.0/16", "::/0"))
    assert rule.public_cidrs == ("::/0",)


def test_protocol_50_rule_has_no_ports() -> None:
    rule = rule_from_api({"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": "sg-1"}]})
    assert (rule.from_port, rule.to_port) == (None, None)


@pytest.mark.parametrize(
    ("cidrs", "subnets", "contains"),
    [
        (("10.0.0.0/16",), ["10.0.1.0/24", "10.0.2.0/24"], True),
        (("10.0.1.0/24",), ["10.0.1.0/24", "10.0.2.0/24"], False),
        (("10.0.1.0/24", "10.0.0.0/8"), ["10.0.1.0/24", "10.0.2.0/24"], True),
        (("0.0.0.0/0",), [], True),
        (("::/0",), ["10.0.1.0/24"], False),
    ],
)
def test_cidr_holds_subnets(cidrs: tuple[str, ...], subnets: list[str], contains: bool) -> None:
    assert Rule("-1", cidrs=cidrs).contains_networks(subnets) is contains


@pytest.mark.parametrize(
    ("instance_type", "nvme", "efa"),
    [
        ("ml.m5.xlarge", False, False),
        ("ml.g5.2xlarge", True, False),
        ("ml.g5.48xlarge", True, True),
        ("ml.p4d.24xlarge", True, True),
        ("ml.p3.16xlarge", False, False),
        ("ml.p3dn.24xlarge", True, True),
        ("ml.c5n.18xlarge", False, True),
        ("ml.trn1.32xlarge", True, True),
        ("ml.m5d.large", True, False),
    ],
)
def test_instance_type_knowledge(instance_type: str, nvme: bool, efa: bool) -> None:
    assert has_local_nvme(instance_type) is nvme
    assert is_efa(instance_type) is efa
