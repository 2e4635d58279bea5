"""Security-group changes between CloudTrail and the emulator: the CloudTrail event
AWS would emit for a call the guard made, and the rules read back."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from emulator.world import ACCOUNT, REGION, World
from training_guard.facts.network import Direction


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
        "groups": _items(
            {"groupId": p["GroupId"], "userId": p.get("UserId", ACCOUNT)}
            for p in item.get("UserIdGroupPairs", [])
        ),
        "ipRanges": _items({"cidrIp": r["CidrIp"]} for r in item.get("IpRanges", [])),
        "ipv6Ranges": _items({"cidrIpv6": r["CidrIpv6"]} for r in item.get("Ipv6Ranges", [])),
        "prefixListIds": _items(
            {"prefixListId": p["PrefixListId"]} for p in item.get("PrefixListIds", [])
        ),
    }
    if "FromPort" in item:
        nested["fromPort"], nested["toPort"] = item["FromPort"], item["ToPort"]
    return nested


def _items(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """EC2's CloudTrail list: `{"items": [...]}`, and `{}` when it is empty."""
    listed = list(entries)
    return {"items": listed} if listed else {}


def self_rules(world: World, group_id: str, direction: Direction) -> set[tuple[str, int | None]]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    key = "IpPermissions" if direction is Direction.INGRESS else "IpPermissionsEgress"
    return {
        (p["IpProtocol"], p.get("FromPort"))
        for p in group[key]
        # The group itself: the same id in another account is another group.
        if any(
            pair["GroupId"] == group_id and pair.get("UserId", ACCOUNT) == ACCOUNT
            for pair in p.get("UserIdGroupPairs", [])
        )
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
