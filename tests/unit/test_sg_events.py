"""Every encoding EC2 uses in CloudTrail for security-group changes."""

from __future__ import annotations

from typing import Any

import pytest

from support import load_sample
from training_guard.facts.jobs import FactsError
from training_guard.facts.network import Direction, Rule
from training_guard.facts.sg_events import RuleChange, SecurityGroupChange, security_group_change

GROUP = "sg-0c0ffee0c0ffee000"
INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS


def change_of(sample: str) -> SecurityGroupChange:
    detail = load_sample(sample)["detail"]
    return security_group_change(
        detail["eventName"], detail["requestParameters"], detail["responseElements"]
    )


CASES = {
    "cloudtrail-ec2-authorize-ingress-public-nested": (GROUP, (
        RuleChange(INGRESS, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))),
        RuleChange(INGRESS, Rule("6", 443, 443, cidrs=("10.0.0.0/16",))),
    )),
    "cloudtrail-ec2-authorize-ingress-public-legacy": (GROUP, (
        RuleChange(INGRESS, Rule("6", 3389, 3389, cidrs=("0.0.0.0/0",))),
    )),
    "cloudtrail-ec2-authorize-ingress-ipv6-string-ports": (GROUP, (
        RuleChange(INGRESS, Rule("6", 8080, 8080, cidrs=("::/0",))),
    )),
    "cloudtrail-ec2-revoke-ingress-ipsec-nested": (GROUP, (
        RuleChange(INGRESS, Rule("17", 500, 500, frozenset({GROUP}))),
    )),
    "cloudtrail-ec2-revoke-ingress-rule-ids": (GROUP, (
        RuleChange(INGRESS, rule_id="sgr-0fedcba9876543210"),
    )),
    "cloudtrail-ec2-revoke-egress-nested": (GROUP, (
        RuleChange(EGRESS, Rule("-1", cidrs=("0.0.0.0/0",))),
    )),
    "cloudtrail-ec2-authorize-egress-nested": (GROUP, (
        RuleChange(EGRESS, Rule("6", 443, 443, cidrs=("0.0.0.0/0",))),
    )),
    "cloudtrail-ec2-modify-rules-public": (GROUP, (
        RuleChange(None, Rule("6", 22, 22, cidrs=("0.0.0.0/0",)), "sgr-0aaaabbbbccccdddd"),
    )),
    "cloudtrail-ec2-create-security-group": (GROUP, ()),
    "cloudtrail-ec2-authorize-ingress-unguarded": ("sg-0e1e2e3e4e5e6e7e8", (
        RuleChange(INGRESS, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))),
    )),
}  # fmt: skip


@pytest.mark.parametrize(("sample", "expected"), CASES.items(), ids=CASES.keys())
def test_encoding(sample: str, expected: tuple[str, tuple[RuleChange, ...]]) -> None:
    change = change_of(sample)
    assert (change.group_id, change.changes) == expected


def test_created_group_keeps_its_name_and_vpc() -> None:
    change = change_of("cloudtrail-ec2-create-security-group")
    assert (change.group_name, change.vpc_id) == ("training-sg-new", "vpc-0a1b2c3d4e5f67890")


def test_modify_with_a_list_of_rules() -> None:
    request = {
        "ModifySecurityGroupRulesRequest": {
            "GroupId": GROUP,
            "SecurityGroupRule": [
                {"SecurityGroupRuleId": "sgr-1", "tag": 1, "SecurityGroupRule": {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500, "ReferencedGroupId": GROUP}},
                {"SecurityGroupRuleId": "sgr-2", "tag": 2, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/0"}},
            ],
        }
    }  # fmt: skip
    change = security_group_change("ModifySecurityGroupRules", request, None)
    assert change.changes == (
        RuleChange(None, Rule("17", 500, 500, frozenset({GROUP})), "sgr-1"),
        RuleChange(None, Rule("6", 22, 22, cidrs=("::/0",)), "sgr-2"),
    )


def test_group_only_in_the_response() -> None:
    response = {
        "securityGroupRuleSet": {"items": [{"groupId": GROUP, "securityGroupRuleId": "sgr-1"}]}
    }
    change = security_group_change("AuthorizeSecurityGroupIngress", {"ipPermissions": {}}, response)
    assert change.group_id == GROUP


def test_legacy_group_name_and_source_group() -> None:
    request = {
        "groupName": "default",
        "ipPermissions": {},
        "ipProtocol": "-1",
        "sourceSecurityGroupId": "sg-x",
    }
    change = security_group_change("AuthorizeSecurityGroupIngress", request, None)
    assert (change.group_id, change.group_name) == (None, "default")
    assert change.changes == (RuleChange(INGRESS, Rule("-1", peer_groups=frozenset({"sg-x"}))),)


@pytest.mark.parametrize(
    ("event_name", "request_parameters", "message"),
    [
        ("AuthorizeSecurityGroupIngress", {"ipPermissions": {}}, "name no groupId or groupName"),
        ("ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": {}}, "names no GroupId"),
        ("CreateSecurityGroup", {"groupName": "x"}, "name no groupId"),
        ("AuthorizeSecurityGroupIngress", {"groupId": "sg-1", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": "ssh"}]}}, "port 'ssh' is not a number"),
        ("DeleteSecurityGroup", {"groupId": "sg-1"}, "not a security-group change"),
    ],
)  # fmt: skip
def test_refusals(event_name: str, request_parameters: dict[str, Any], message: str) -> None:
    with pytest.raises(FactsError, match=message):
        security_group_change(event_name, request_parameters, None)


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (
            RuleChange(INGRESS, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))),
            "inbound tcp 22 with 0.0.0.0/0",
        ),
        (
            RuleChange(EGRESS, Rule("-1", peer_groups=frozenset({"sg-1"}))),
            "outbound all traffic with sg-1",
        ),
        (
            RuleChange(INGRESS, Rule("17", 0, 65535, cidrs=("10.0.0.0/8",))),
            "inbound udp 0-65535 with 10.0.0.0/8",
        ),
        (RuleChange(None, Rule("50")), "protocol 50"),
        (RuleChange(INGRESS, rule_id="sgr-1"), "inbound rule sgr-1"),
    ],
)
def test_changes_read_as_words(change: RuleChange, text: str) -> None:
    assert change.describe() == text


def test_modify_request_that_is_not_an_object() -> None:
    with pytest.raises(FactsError, match="ModifySecurityGroupRulesRequest must be an object"):
        security_group_change(
            "ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": "x"}, None
        )
