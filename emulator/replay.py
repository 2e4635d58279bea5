"""Carry out in the emulator the security-group change a sample CloudTrail event records,
as it had happened before AWS delivered the event."""

from __future__ import annotations

from typing import Any

from emulator.world import World
from training_guard.effects.security_groups import permission
from training_guard.facts.sg_events import security_group_change
from training_guard.reader import root


def apply_change(world: World, event: dict[str, Any]) -> None:
    """Make in the emulator the change `event` reports, as it had happened before AWS sent it."""
    detail = event["detail"]
    name = detail["eventName"]
    if detail.get("errorCode") or name == "CreateSecurityGroup":
        return
    change = security_group_change(
        name,
        root(detail["requestParameters"], "requestParameters"),
        root(detail["responseElements"], "responseElements"),
    )
    ec2 = world.client("ec2")
    if name == "ModifySecurityGroupRules":
        ec2.modify_security_group_rules(
            GroupId=change.group_id,
            SecurityGroupRules=[
                {
                    "SecurityGroupRuleId": c.rule_id,
                    "SecurityGroupRule": _rule_request(permission(c.rule)),
                }
                for c in change.changes
                if c.rule
            ],
        )
        return
    verb = "authorize" if name.startswith("Authorize") else "revoke"
    direction = "ingress" if name.endswith("Ingress") else "egress"
    call = getattr(ec2, f"{verb}_security_group_{direction}")
    rules = [permission(c.rule) for c in change.changes if c.rule]
    rule_ids = [c.rule_id for c in change.changes if c.rule is None and c.rule_id]
    if rules:
        call(GroupId=change.group_id, IpPermissions=rules)
    if rule_ids:
        call(GroupId=change.group_id, SecurityGroupRuleIds=rule_ids)


def _rule_request(item: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        k: item[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in item
    }
    if item.get("IpRanges"):
        request["CidrIpv4"] = item["IpRanges"][0]["CidrIp"]
    return request
