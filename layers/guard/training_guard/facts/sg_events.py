"""Which security group a CloudTrail EC2 record changed, and how, in every encoding EC2 uses.

The guard judges a group by its rules as read back from EC2, never by the event's
rule list alone; the parsed rules only say, in the notification, what was changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from training_guard.facts.jobs import FactsError
from training_guard.facts.network import ALL_PROTOCOLS, Direction, Rule, protocol_number

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


def security_group_change(
    event_name: str, request: Mapping[str, Any] | None, response: Mapping[str, Any] | None
) -> SecurityGroupChange:
    if event_name not in SECURITY_GROUP_CALLS:
        raise FactsError(f"{event_name} is not a security-group change")
    request, response = request or {}, response or {}
    if event_name == "ModifySecurityGroupRules":
        return _modify(request)
    if event_name == "CreateSecurityGroup":
        return _created(request, response)
    direction = SECURITY_GROUP_CALLS[event_name]
    group_id = request.get("groupId") or _response_group(response)
    group_name = request.get("groupName")
    if not group_id and not group_name:
        raise FactsError(f"{event_name} requestParameters name no groupId or groupName")
    changes = (
        _nested_changes(request.get("ipPermissions"), direction)
        + _flat_change(request, direction)
        + _rule_id_changes(request.get("securityGroupRuleIds"), direction)
    )
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
    peers = sorted(rule.peer_groups) + list(rule.cidrs)
    return f"{what} {'with' if peers else ''} {', '.join(peers)}".strip()


def _modify(request: Mapping[str, Any]) -> SecurityGroupChange:
    body = request.get("ModifySecurityGroupRulesRequest", request)
    if not isinstance(body, Mapping):
        raise FactsError("ModifySecurityGroupRulesRequest must be an object")
    group_id = body.get("GroupId")
    if not group_id:
        raise FactsError("ModifySecurityGroupRules request names no GroupId")
    updates = body.get("SecurityGroupRule", [])
    updates = updates if isinstance(updates, list) else [updates]
    changes = tuple(
        RuleChange(
            None, _modified_rule(u.get("SecurityGroupRule") or {}), u.get("SecurityGroupRuleId")
        )
        for u in updates
        if isinstance(u, Mapping)
    )
    return SecurityGroupChange("ModifySecurityGroupRules", str(group_id), changes=changes)


def _modified_rule(rule: Mapping[str, Any]) -> Rule:
    peer = rule.get("ReferencedGroupId")
    return Rule(
        protocol=protocol_number(rule.get("IpProtocol", ALL_PROTOCOLS)),
        from_port=_port(rule.get("FromPort")),
        to_port=_port(rule.get("ToPort")),
        peer_groups=frozenset({peer}) if peer else frozenset(),
        cidrs=tuple(c for c in (rule.get("CidrIpv4"), rule.get("CidrIpv6")) if c),
    )


def _created(request: Mapping[str, Any], response: Mapping[str, Any]) -> SecurityGroupChange:
    group_id = response.get("groupId")
    if not group_id:
        raise FactsError("CreateSecurityGroup responseElements name no groupId")
    return SecurityGroupChange(
        "CreateSecurityGroup", str(group_id), request.get("groupName"), request.get("vpcId")
    )


def _nested_changes(permissions: object, direction: Direction | None) -> tuple[RuleChange, ...]:
    return tuple(RuleChange(direction, _nested_rule(p)) for p in _items(permissions))


def _nested_rule(permission: Mapping[str, Any]) -> Rule:
    return Rule(
        protocol=protocol_number(permission.get("ipProtocol", ALL_PROTOCOLS)),
        from_port=_port(permission.get("fromPort")),
        to_port=_port(permission.get("toPort")),
        peer_groups=frozenset(
            g["groupId"] for g in _items(permission.get("groups")) if g.get("groupId")
        ),
        cidrs=tuple(r["cidrIp"] for r in _items(permission.get("ipRanges")) if r.get("cidrIp"))
        + tuple(r["cidrIpv6"] for r in _items(permission.get("ipv6Ranges")) if r.get("cidrIpv6")),
    )


def _flat_change(request: Mapping[str, Any], direction: Direction | None) -> tuple[RuleChange, ...]:
    # The legacy form: ipPermissions is empty and the one rule stands at the top.
    if "ipProtocol" not in request:
        return ()
    peer = request.get("sourceSecurityGroupId")
    rule = Rule(
        protocol=protocol_number(request["ipProtocol"]),
        from_port=_port(request.get("fromPort")),
        to_port=_port(request.get("toPort")),
        peer_groups=frozenset({peer}) if peer else frozenset(),
        cidrs=(request["cidrIp"],) if request.get("cidrIp") else (),
    )
    return (RuleChange(direction, rule),)


def _rule_id_changes(rule_ids: object, direction: Direction | None) -> tuple[RuleChange, ...]:
    return tuple(
        RuleChange(direction, rule_id=str(item["securityGroupRuleId"]))
        for item in _items(rule_ids)
        if item.get("securityGroupRuleId")
    )


def _response_group(response: Mapping[str, Any]) -> str | None:
    for item in _items(response.get("securityGroupRuleSet")):
        if item.get("groupId"):
            return str(item["groupId"])
    return None


def _items(value: object) -> list[Mapping[str, Any]]:
    """EC2's `{"items": [...]}` wrapper; an empty list is recorded as `{}`."""
    if isinstance(value, Mapping):
        value = value.get("items", [])
    if isinstance(value, list):
        return [v for v in value if isinstance(v, Mapping)]
    return []


def _port(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(str(raw))
    except ValueError as e:
        raise FactsError(f"port {raw!r} is not a number") from e
