"""Every encoding EC2 uses in CloudTrail for security-group changes."""

from __future__ import annotations

from typing import Any

import pytest

from support import SG_SAMPLE_NAMES, load_sample
from training_guard.events import SG_GUARD_EVENTS, api_call, parse_event
from training_guard.facts.network import Direction, GroupPeer, Rule
from training_guard.facts.sg_events import (
    RuleChange,
    SecurityGroupChange,
    describe_rule,
    security_group_change,
)
from training_guard.reader import InvalidEventError, root

GROUP = "sg-0c0ffee0c0ffee000"
OWNER, OTHER = "123456789012", "210987654321"
INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
SECRET = "do-not-log-me"


def change(event_name: str, request: object, response: object = None) -> SecurityGroupChange:
    return security_group_change(
        event_name,
        root(request, "detail.requestParameters"),
        root(response, "detail.responseElements"),
    )


def change_of(sample: str) -> SecurityGroupChange:
    record = load_sample(sample)["detail"]
    return change(record["eventName"], record["requestParameters"], record["responseElements"])


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
    "cloudtrail-ec2-authorize-ingress-failed": (GROUP, (
        RuleChange(INGRESS, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))),
    )),
    "cloudtrail-ec2-revoke-ingress-ipsec-nested": (GROUP, (
        RuleChange(INGRESS, Rule("17", 500, 500, groups=(GroupPeer(GROUP, OWNER),))),
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


def test_every_sample_has_a_case() -> None:
    assert sorted(CASES) == SG_SAMPLE_NAMES


@pytest.mark.parametrize(("sample", "expected"), CASES.items(), ids=CASES.keys())
def test_encoding(sample: str, expected: tuple[str, tuple[RuleChange, ...]]) -> None:
    found = change_of(sample)
    assert (found.group_id, found.changes) == expected
    for rule_change in found.changes:
        assert rule_change.describe()


@pytest.mark.parametrize("sample", SG_SAMPLE_NAMES)
def test_every_sample_parses_through_the_event_boundary(sample: str) -> None:
    call = api_call(parse_event(load_sample(sample), SG_GUARD_EVENTS))
    found = security_group_change(call.event_name, call.request, call.response)
    assert found.group_id == CASES[sample][0]
    assert found.event_name == call.event_name


def test_created_group_keeps_its_name_and_vpc() -> None:
    found = change_of("cloudtrail-ec2-create-security-group")
    assert (found.group_name, found.vpc_id) == ("training-sg-new", "vpc-0a1b2c3d4e5f67890")


def test_nested_prefix_lists_and_group_owners() -> None:
    request = {
        "groupId": GROUP,
        "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "groups": {},
             "ipRanges": {}, "ipv6Ranges": {},
             "prefixListIds": {"items": [{"prefixListId": "pl-0abc1234", "description": "office"}]}},
            {"ipProtocol": "-1",
             "groups": {"items": [{"userId": OTHER, "groupId": GROUP}, {"groupId": "sg-peer"}]},
             "ipRanges": {}, "ipv6Ranges": {}, "prefixListIds": {}},
        ]},
    }  # fmt: skip
    found = change("AuthorizeSecurityGroupIngress", request)
    assert found.changes == (
        RuleChange(INGRESS, Rule("6", 22, 22, prefix_lists=("pl-0abc1234",))),
        RuleChange(INGRESS, Rule("-1", groups=(GroupPeer(GROUP, OTHER), GroupPeer("sg-peer")))),
    )


def test_bare_lists_read_like_items() -> None:
    request = {
        "groupId": GROUP,
        "ipPermissions": [{"ipProtocol": "udp", "fromPort": "500", "toPort": "500",
                           "groups": [{"groupId": GROUP}], "prefixListIds": [{"prefixListId": "pl-1"}]}],
    }  # fmt: skip
    (rule_change,) = change("AuthorizeSecurityGroupEgress", request).changes
    assert rule_change == RuleChange(
        EGRESS, Rule("17", 500, 500, groups=(GroupPeer(GROUP),), prefix_lists=("pl-1",))
    )


def test_modify_with_a_list_of_rules() -> None:
    request = {
        "ModifySecurityGroupRulesRequest": {
            "GroupId": GROUP,
            "SecurityGroupRule": [
                {"SecurityGroupRuleId": "sgr-1", "tag": 1, "SecurityGroupRule": {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500, "ReferencedGroupId": GROUP}},
                {"SecurityGroupRuleId": "sgr-2", "tag": 2, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/0"}},
                {"SecurityGroupRuleId": "sgr-3", "tag": 3, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListId": "pl-1"}},
            ],
        }
    }  # fmt: skip
    assert change("ModifySecurityGroupRules", request).changes == (
        RuleChange(None, Rule("17", 500, 500, groups=(GroupPeer(GROUP),)), "sgr-1"),
        RuleChange(None, Rule("6", 22, 22, cidrs=("::/0",)), "sgr-2"),
        RuleChange(None, Rule("6", 22, 22, prefix_lists=("pl-1",)), "sgr-3"),
    )


def test_modify_without_the_request_wrapper() -> None:
    request = {
        "GroupId": GROUP,
        "SecurityGroupRule": {
            "SecurityGroupRuleId": "sgr-1",
            "SecurityGroupRule": {"IpProtocol": "50"},
        },
    }
    assert change("ModifySecurityGroupRules", request).changes == (
        RuleChange(None, Rule("50"), "sgr-1"),
    )


def test_group_only_in_the_response() -> None:
    response = {
        "securityGroupRuleSet": {"items": [{"groupId": GROUP, "securityGroupRuleId": "sgr-1"}]}
    }
    assert (
        change("AuthorizeSecurityGroupIngress", {"ipPermissions": {}}, response).group_id == GROUP
    )


def test_legacy_group_name_and_source_group() -> None:
    request = {
        "groupName": "default",
        "ipPermissions": {},
        "ipProtocol": "-1",
        "sourceSecurityGroupId": "sg-x",
        "sourceSecurityGroupOwnerId": OTHER,
    }
    found = change("AuthorizeSecurityGroupIngress", request)
    assert (found.group_id, found.group_name, found.group_ref) == (
        None,
        "default",
        "group named default",
    )
    assert found.changes == (RuleChange(INGRESS, Rule("-1", groups=(GroupPeer("sg-x", OTHER),))),)


# --- refusals ----------------------------------------------------------------------------


def nested(**permission: Any) -> dict[str, Any]:
    return {
        "groupId": GROUP,
        "ipPermissions": {
            "items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, **permission}]
        },
    }


def flat(**fields: Any) -> dict[str, Any]:
    return {
        "groupId": GROUP,
        "ipPermissions": {},
        "ipProtocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        **fields,
    }


def modify(rule: Any) -> dict[str, Any]:
    return {"ModifySecurityGroupRulesRequest": {"GroupId": GROUP, "SecurityGroupRule": rule}}


AUTHORIZE = "AuthorizeSecurityGroupIngress"


@pytest.mark.parametrize(
    ("event_name", "request_parameters", "response", "message"),
    [
        (AUTHORIZE, {"ipPermissions": {}}, None, "detail.requestParameters: names no groupId or groupName"),
        ("ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": {}}, None, "ModifySecurityGroupRulesRequest.GroupId: expected a security group id, got nothing"),
        ("ModifySecurityGroupRules", {"ModifySecurityGroupRulesRequest": SECRET}, None, "detail.requestParameters.ModifySecurityGroupRulesRequest: expected an object, got a string"),
        ("CreateSecurityGroup", {"groupName": "x"}, None, "detail.responseElements.groupId: expected a security group id, got nothing"),
        ("CreateSecurityGroup", {"groupName": "x"}, {"groupId": [SECRET]}, "detail.responseElements.groupId: expected a security group id, got a list"),
        (AUTHORIZE, nested(fromPort="ssh"), None, "ipPermissions.items[0].fromPort: expected an integer, got a string"),
        ("DeleteSecurityGroup", {"groupId": GROUP}, None, "detail.eventName: not a security-group change"),
        # groupId of the wrong shape
        (AUTHORIZE, {"groupId": 5}, None, "detail.requestParameters.groupId: expected a security group id, got int"),
        (AUTHORIZE, {"groupId": {}}, None, "detail.requestParameters.groupId: expected a security group id, got an object"),
        (AUTHORIZE, {"groupId": [GROUP]}, None, "detail.requestParameters.groupId: expected a security group id, got a list"),
        (AUTHORIZE, {"groupId": SECRET}, None, "detail.requestParameters.groupId: expected a security group id, got a string that is not"),
        (AUTHORIZE, {"groupName": {"n": SECRET}}, None, "detail.requestParameters.groupName: expected a group name, got an object"),
        (AUTHORIZE, {"ipPermissions": {}}, {"securityGroupRuleSet": {"items": [{"groupId": 7}]}}, "detail.responseElements.securityGroupRuleSet.items[0].groupId: expected a group id, got int"),
        # the legacy flat encoding
        (AUTHORIZE, flat(cidrIp=5), None, "detail.requestParameters.cidrIp: expected a CIDR range, got int"),
        (AUTHORIZE, flat(cidrIp=SECRET), None, "detail.requestParameters.cidrIp: expected a CIDR range, got a string that is not"),
        (AUTHORIZE, flat(cidrIp="10.0.0.300/8"), None, "detail.requestParameters.cidrIp: expected a CIDR range, got a string that is not"),
        (AUTHORIZE, flat(sourceSecurityGroupId=[None]), None, "detail.requestParameters.sourceSecurityGroupId: expected a security group id, got a list"),
        (AUTHORIZE, flat(sourceSecurityGroupId={"id": SECRET}), None, "detail.requestParameters.sourceSecurityGroupId: expected a security group id, got an object"),
        (AUTHORIZE, flat(ipProtocol=[6]), None, "detail.requestParameters.ipProtocol: expected a protocol name or number, got a list"),
        # the nested encoding
        (AUTHORIZE, nested(ipRanges={"items": [{"cidrIp": SECRET}]}), None, "ipPermissions.items[0].ipRanges.items[0].cidrIp: expected a CIDR range, got a string that is not"),
        (AUTHORIZE, nested(ipRanges={"items": [{"cidrIp": 10}]}), None, "ipPermissions.items[0].ipRanges.items[0].cidrIp: expected a CIDR range, got int"),
        (AUTHORIZE, nested(ipv6Ranges={"items": [{"cidrIpv6": "2001:db8::/129"}]}), None, "ipv6Ranges.items[0].cidrIpv6: expected a CIDR range, got a string that is not"),
        (AUTHORIZE, nested(groups={"items": [{"groupId": 5}]}), None, "ipPermissions.items[0].groups.items[0].groupId: expected a security group id, got int"),
        (AUTHORIZE, nested(groups={"items": [{"groupId": GROUP, "userId": [OWNER]}]}), None, "groups.items[0].userId: expected a non-empty string, got a list"),
        (AUTHORIZE, nested(prefixListIds={"items": [{"prefixListId": SECRET}]}), None, "prefixListIds.items[0].prefixListId: expected a prefix list id, got a string that is not"),
        (AUTHORIZE, nested(prefixListIds={"items": [{}]}), None, "prefixListIds.items[0].prefixListId: expected a prefix list id, got nothing"),
        (AUTHORIZE, {"groupId": GROUP, "ipPermissions": {"items": [SECRET]}}, None, "detail.requestParameters.ipPermissions.items[0]: expected an object, got a string"),
        (AUTHORIZE, {"groupId": GROUP, "ipPermissions": SECRET}, None, "detail.requestParameters.ipPermissions: expected a list, got a string"),
        (AUTHORIZE, {"groupId": GROUP, "securityGroupRuleIds": {"items": [{"securityGroupRuleId": SECRET}]}}, None, "securityGroupRuleIds.items[0].securityGroupRuleId: expected a security group rule id, got a string that is not"),
        # ModifySecurityGroupRules
        ("ModifySecurityGroupRules", modify({"SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": SECRET}), None, "SecurityGroupRule.SecurityGroupRule: expected an object, got a string"),
        ("ModifySecurityGroupRules", modify({"SecurityGroupRuleId": "sgr-1", "SecurityGroupRule": [1]}), None, "SecurityGroupRule.SecurityGroupRule: expected an object, got a list"),
        ("ModifySecurityGroupRules", modify([SECRET]), None, "ModifySecurityGroupRulesRequest.SecurityGroupRule[0]: expected an object, got a string"),
        ("ModifySecurityGroupRules", modify({"SecurityGroupRule": {"CidrIpv4": "0.0.0.0/33"}}), None, "SecurityGroupRule.SecurityGroupRule.CidrIpv4: expected a CIDR range, got a string that is not"),
        ("ModifySecurityGroupRules", modify({"SecurityGroupRule": {"ReferencedGroupId": 9}}), None, "SecurityGroupRule.SecurityGroupRule.ReferencedGroupId: expected a group id, got int"),
    ],
)  # fmt: skip
def test_refusals_name_the_path(
    event_name: str, request_parameters: Any, response: Any, message: str
) -> None:
    with pytest.raises(InvalidEventError) as refusal:
        change(event_name, request_parameters, response)
    assert message in str(refusal.value)
    assert SECRET not in str(refusal.value)


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_change", "text"),
    [
        (RuleChange(INGRESS, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))), "inbound tcp 22 with 0.0.0.0/0"),
        (RuleChange(EGRESS, Rule("-1", groups=(GroupPeer("sg-1"),))), "outbound all traffic with sg-1"),
        (RuleChange(INGRESS, Rule("17", 500, 500, groups=(GroupPeer("sg-1", OTHER),))), f"inbound udp 500 with {OTHER}/sg-1"),
        (RuleChange(INGRESS, Rule("17", 0, 65535, cidrs=("10.0.0.0/8",))), "inbound udp 0-65535 with 10.0.0.0/8"),
        (RuleChange(INGRESS, Rule("6", 22, 22, prefix_lists=("pl-1",))), "inbound tcp 22 with pl-1"),
        (RuleChange(None, Rule("50")), "protocol 50"),
        (RuleChange(INGRESS, rule_id="sgr-1"), "inbound rule sgr-1"),
    ],
)  # fmt: skip
def test_changes_read_as_words(rule_change: RuleChange, text: str) -> None:
    assert rule_change.describe() == text


def test_describe_rule_orders_its_peers() -> None:
    rule = Rule("-1", groups=(GroupPeer("sg-b"), GroupPeer("sg-a", OWNER)), cidrs=("10.0.0.0/8",))
    assert describe_rule(rule) == f"all traffic with {OWNER}/sg-a, sg-b, 10.0.0.0/8"
