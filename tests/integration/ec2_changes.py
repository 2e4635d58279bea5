"""Security-group changes in both directions between CloudTrail and the emulator:
carry out the change a sample event records, and write the CloudTrail event AWS
would emit for a call the guard made."""

from __future__ import annotations

import uuid
from typing import Any

from emulator.world import ACCOUNT, REGION, World
from training_guard.effects.security_groups import permission
from training_guard.facts.network import Direction
from training_guard.facts.sg_events import security_group_change


def apply_change(world: World, event: dict[str, Any]) -> None:
    """Make in the emulator the change `event` reports, as it had happened before AWS sent it."""
    detail = event["detail"]
    name = detail["eventName"]
    if detail.get("errorCode") or name == "CreateSecurityGroup":
        return
    change = security_group_change(name, detail["requestParameters"], detail["responseElements"])
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
    request = {k: item[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in item}
    if item.get("IpRanges"):
        request["CidrIpv4"] = item["IpRanges"][0]["CidrIp"]
    return request


def cloudtrail_event(operation: str, params: dict[str, Any], caller_arn: str) -> dict[str, Any]:
    """The EventBridge event CloudTrail delivers for an EC2 call, in the nested encoding."""
    request: dict[str, Any] = {"groupId": params["GroupId"]}
    if "IpPermissions" in params:
        request["ipPermissions"] = {"items": [_nested(p) for p in params["IpPermissions"]]}
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": ACCOUNT,
        "time": "2026-11-22T12:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {
            "eventVersion": "1.11",
            "userIdentity": {"type": "AssumedRole", "arn": caller_arn, "accountId": ACCOUNT},
            "eventTime": "2026-11-22T12:00:00Z",
            "eventSource": "ec2.amazonaws.com",
            "eventName": operation,
            "awsRegion": REGION,
            "sourceIPAddress": "203.0.113.10",
            "userAgent": "Boto3",
            "requestParameters": request,
            "responseElements": {"requestId": str(uuid.uuid4()), "_return": True},
            "requestID": str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Management",
        },
    }


def _nested(item: dict[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {
        "ipProtocol": item["IpProtocol"],
        "groups": {
            "items": [
                {"groupId": p["GroupId"], "userId": ACCOUNT}
                for p in item.get("UserIdGroupPairs", [])
            ]
        },
        "ipRanges": {"items": [{"cidrIp": r["CidrIp"]} for r in item.get("IpRanges", [])]},
        "ipv6Ranges": {"items": [{"cidrIpv6": r["CidrIpv6"]} for r in item.get("Ipv6Ranges", [])]},
        "prefixListIds": {},
    }
    if "FromPort" in item:
        nested["fromPort"], nested["toPort"] = item["FromPort"], item["ToPort"]
    return nested


def self_rules(world: World, group_id: str, direction: Direction) -> set[tuple[str, int | None]]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    key = "IpPermissions" if direction is Direction.INGRESS else "IpPermissionsEgress"
    return {
        (p["IpProtocol"], p.get("FromPort"))
        for p in group[key]
        if any(pair["GroupId"] == group_id for pair in p.get("UserIdGroupPairs", []))
    }


def public_ingress(world: World, group_id: str) -> list[tuple[str, int | None, str]]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return [
        (p["IpProtocol"], p.get("FromPort"), cidr)
        for p in group["IpPermissions"]
        for cidr in [r["CidrIp"] for r in p.get("IpRanges", [])]
        + [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])]
        if cidr in ("0.0.0.0/0", "::/0")
    ]


def ingress_cidr_rules(world: World, group_id: str) -> set[tuple[str, int | None, str]]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return {
        (p["IpProtocol"], p.get("FromPort"), r["CidrIp"])
        for p in group["IpPermissions"]
        for r in p.get("IpRanges", [])
    }
