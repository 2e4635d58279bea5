"""Who else uses a security group: the guard changes only groups training alone uses.

Whoever may create a training job chooses its VpcConfig, so a job naming a web
server's or a load balancer's group must not make the guard rewrite that group. A
group that network interfaces of your own resources (not managed by an AWS service)
or of a load balancer also use is reported, not changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INTERFACE_PERMISSIONS = ("ec2:DescribeNetworkInterfaces",)
_NAMED = 3


def other_users(ec2: Any, group_id: str) -> list[str]:
    """The network interfaces that use the group and are not an AWS service's, in words."""
    pages = ec2.get_paginator("describe_network_interfaces").paginate(
        Filters=[{"Name": "group-id", "Values": [group_id]}]
    )
    return [
        _describe(eni)
        for page in pages
        for eni in page.get("NetworkInterfaces", [])
        if _is_other(eni)
    ]


def shared_refusal(ec2: Any, group_id: str) -> str | None:
    others = other_users(ec2, group_id)
    if not others:
        return None
    named = ", ".join(others[:_NAMED]) + (
        f" and {len(others) - _NAMED} more" if len(others) > _NAMED else ""
    )
    return (
        f"{group_id} not changed: other resources use it too ({named}). The guard changes "
        "only groups that training alone uses; give training jobs a group of their own."
    )


# Interfaces other AWS services create in your VPC, as EC2's guide on requester-managed
# network interfaces describes them: their groups belong to a database, a load balancer,
# an endpoint, a function or a file system, never to training alone.
_SERVICE_DESCRIPTIONS = (
    "ELB ", "RDSNetworkInterface", "AWS Lambda VPC ENI", "VPC Endpoint Interface",
    "Interface for NAT Gateway", "EFS mount target", "AWS created network interface for directory",
    "Amazon EKS", "ElastiCache", "DMSNetworkInterface", "Network Interface for Transit Gateway",
)  # fmt: skip


def _is_other(eni: Mapping[str, Any]) -> bool:
    """An interface that is not a training instance's. SageMaker creates its training
    interfaces as a requester-managed `interface`; yours are not requester-managed, and
    other services' have their own interface type or a description of their own."""
    if eni.get("RequesterManaged") is not True:
        return True
    if eni.get("InterfaceType", "interface") != "interface":
        return True
    return str(eni.get("Description", "")).startswith(_SERVICE_DESCRIPTIONS)


def _describe(eni: Mapping[str, Any]) -> str:
    instance = (eni.get("Attachment") or {}).get("InstanceId")
    what = f"instance {instance}" if instance else str(eni.get("Description") or "interface")
    return f"{eni.get('NetworkInterfaceId', 'an interface')} ({what})"
