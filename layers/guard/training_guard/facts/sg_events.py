"""Which security group a CloudTrail EC2 record changed, and how, in every encoding EC2 uses.

The guard judges a group by its rules as read back from EC2, never by the event's
rule list alone; the parsed rules only say, in the notification, what was changed.
Every value is read through `training_guard.reader`: a wrong shape is rejected with
its path.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from training_guard.facts import identifiers as ids
from training_guard.facts.network import (
    ALL_PROTOCOLS,
    Direction,
    GroupPeer,
    Rule,
    protocol_number,
)
from training_guard.reader import Field, InvalidEventError

SECURITY_GROUP_CALLS = {
    "AuthorizeSecurityGroupIngress": Direction.INGRESS,
    "AuthorizeSecurityGroupEgress": Direction.EGRESS,
    "RevokeSecurityGroupIngress": Direction.INGRESS,
    "RevokeSecurityGroupEgress": Direction.EGRESS,
    "ModifySecurityGroupRules": None,
    "CreateSecurityGroup": None,
}


@dataclass(frozen=True)
class RuleChange:
    """One rule an event added, removed or rewrote; `rule` is None where only its id is known."""

    direction: Direction | None
    rule: Rule | None = None
    rule_id: str | None = None

    def describe(self) -> str:
        where = f"{self.direction.value} " if self.direction else ""
        if self.rule is None:
            return f"{where}rule {self.rule_id}"
        return f"{where}{describe_rule(self.rule)}"


@dataclass(frozen=True)
class SecurityGroupChange:
    event_name: str
    group_id: str | None
    group_name: str | None = None
    vpc_id: str | None = None
    changes: tuple[RuleChange, ...] = ()

    @property
    def group_ref(self) -> str:
        return self.group_id or f"group named {self.group_name}"


def security_group_change(event_name: str, request: Field, response: Field) -> SecurityGroupChange:
    if event_name not in SECURITY_GROUP_CALLS:
        raise InvalidEventError("event.detail.eventName: not a security-group change")
    if event_name == "ModifySecurityGroupRules":
        return _modify(request)
    if event_name == "CreateSecurityGroup":
        return _created(request, response)
    direction = SECURITY_GROUP_CALLS[event_name]
    group_id = request.get("groupId").optional_text(ids.SECURITY_GROUP_ID, "a security group id")
    group_id = group_id or _response_group(response)
    group_name = request.get("groupName").optional_text(ids.SECURITY_GROUP_NAME, "a group name")
    if not group_id and not group_name:
        raise InvalidEventError(f"{request.path}: names no groupId or groupName")
    nested = request.get("ipPermissions").ec2_items()
    changes = (
        tuple(RuleChange(direction, _nested_rule(p)) for p in nested)
        + _flat_change(request, direction)
        + tuple(
            RuleChange(direction, rule_id=_rule_id(item.get("securityGroupRuleId")))
            for item in request.get("securityGroupRuleIds").ec2_items()
        )
    )  # fmt: skip
    return SecurityGroupChange(event_name, group_id, group_name, None, changes)


def describe_rule(rule: Rule) -> str:
    if rule.protocol == ALL_PROTOCOLS:
        what = "all traffic"
    else:
        name = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(rule.protocol)
        what = name or f"protocol {rule.protocol}"
        if rule.from_port is not None and rule.from_port != -1:
            ports = (
                str(rule.from_port)
                if rule.to_port in (None, rule.from_port)
                else f"{rule.from_port}-{rule.to_port}"
            )
            what += f" {ports}"
    peers = [
        f"{g.owner}/{g.group_id}" if g.owner else g.group_id
        for g in sorted(rule.groups, key=lambda g: (g.group_id, g.owner or ""))
    ]
    peers += list(rule.cidrs) + list(rule.prefix_lists)
    return f"{what} {'with' if peers else ''} {', '.join(peers)}".strip()


def _modify(request: Field) -> SecurityGroupChange:
    body = request.get("ModifySecurityGroupRulesRequest")
    body = body if body.present else request
    group_id = body.get("GroupId").text(ids.SECURITY_GROUP_ID, "a security group id")
    updates = body.get("SecurityGroupRule")
    items = [updates] if isinstance(updates.value, dict) else list(updates.items())
    changes = tuple(
        RuleChange(
            None,
            _modified_rule(u.get("SecurityGroupRule")),
            _rule_id(u.get("SecurityGroupRuleId")),
        )
        for u in items
    )
    return SecurityGroupChange("ModifySecurityGroupRules", group_id, changes=changes)


def _modified_rule(rule: Field) -> Rule:
    rule.mapping()  # an object, or rejected with its path
    peer = rule.get("ReferencedGroupId").optional_text(ids.SECURITY_GROUP_ID, "a group id")
    return Rule(
        protocol=_protocol(rule.get("IpProtocol")),
        from_port=rule.get("FromPort").integer(),
        to_port=rule.get("ToPort").integer(),
        groups=(GroupPeer(peer),) if peer else (),
        cidrs=tuple(c for c in (_cidr(rule.get("CidrIpv4")), _cidr(rule.get("CidrIpv6"))) if c),
        prefix_lists=tuple(p for p in [_prefix_list(rule.get("PrefixListId"))] if p),
    )


def _created(request: Field, response: Field) -> SecurityGroupChange:
    group_id = response.get("groupId").text(ids.SECURITY_GROUP_ID, "a security group id")
    return SecurityGroupChange(
        "CreateSecurityGroup",
        group_id,
        request.get("groupName").optional_text(),
        request.get("vpcId").optional_text(ids.VPC_ID, "a VPC id"),
    )


def _nested_rule(permission: Field) -> Rule:
    permission.mapping()
    return Rule(
        protocol=_protocol(permission.get("ipProtocol")),
        from_port=permission.get("fromPort").integer(),
        to_port=permission.get("toPort").integer(),
        groups=tuple(
            GroupPeer(
                g.get("groupId").text(ids.SECURITY_GROUP_ID, "a security group id"),
                g.get("userId").optional_text(),
            )
            for g in permission.get("groups").ec2_items()
            if g.has("groupId")
        ),
        cidrs=tuple(
            c for r in permission.get("ipRanges").ec2_items() if (c := _cidr(r.get("cidrIp")))
        )
        + tuple(
            c for r in permission.get("ipv6Ranges").ec2_items() if (c := _cidr(r.get("cidrIpv6")))
        ),
        prefix_lists=tuple(
            p.get("prefixListId").text(ids.PREFIX_LIST_ID, "a prefix list id")
            for p in permission.get("prefixListIds").ec2_items()
        ),
    )


def _flat_change(request: Field, direction: Direction | None) -> tuple[RuleChange, ...]:
    # The legacy form: ipPermissions is empty and the one rule stands at the top.
    if not request.has("ipProtocol"):
        return ()
    peer = request.get("sourceSecurityGroupId").optional_text(
        ids.SECURITY_GROUP_ID, "a security group id"
    )
    cidr = _cidr(request.get("cidrIp"))
    rule = Rule(
        protocol=_protocol(request.get("ipProtocol")),
        from_port=request.get("fromPort").integer(),
        to_port=request.get("toPort").integer(),
        groups=(GroupPeer(peer, request.get("sourceSecurityGroupOwnerId").optional_text()),)
        if peer
        else (),
        cidrs=(cidr,) if cidr else (),
    )
    return (RuleChange(direction, rule),)


def _protocol(value: Field) -> str:
    if not value.present:
        return ALL_PROTOCOLS
    if isinstance(value.value, int) and not isinstance(value.value, bool):
        return protocol_number(value.value)
    return protocol_number(value.text(what="a protocol name or number"))


def _cidr(value: Field) -> str | None:
    text = value.optional_text(what="a CIDR range")
    if text is None:
        return None
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as e:
        raise InvalidEventError(
            f"{value.path}: expected a CIDR range, got a string that is not"
        ) from e
    return text


def _prefix_list(value: Field) -> str | None:
    return value.optional_text(ids.PREFIX_LIST_ID, "a prefix list id")


def _rule_id(value: Field) -> str | None:
    return value.optional_text(ids.SECURITY_GROUP_RULE_ID, "a security group rule id")


def _response_group(response: Field) -> str | None:
    for item in response.get("securityGroupRuleSet").ec2_items():
        if group_id := item.get("groupId").optional_text(ids.SECURITY_GROUP_ID, "a group id"):
            return group_id
    return None
