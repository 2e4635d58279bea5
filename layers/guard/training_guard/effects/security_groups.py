"""Add the self-referencing rules a job's security group lacks. Idempotent: a rule that
is already there (InvalidPermission.Duplicate) counts as added."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from training_guard.controls.network import Gap
from training_guard.effects.aws import error_code, error_message, is_access_denied
from training_guard.facts.network import Direction, Traffic
from training_guard.model import Action, ActionKind

REPAIR_PERMISSIONS = ("ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress")
RULE_DESCRIPTION = "training-guard: instance-to-instance traffic of SageMaker training"


def self_rule(group_id: str, traffic: Traffic) -> dict[str, Any]:
    permission: dict[str, Any] = {
        "IpProtocol": traffic.protocol,
        "UserIdGroupPairs": [{"GroupId": group_id, "Description": RULE_DESCRIPTION}],
    }
    if traffic.port is not None:
        permission["FromPort"] = permission["ToPort"] = traffic.port
    return permission


def add_self_rules(ec2: Any, group_id: str, gaps: Sequence[Gap]) -> Action:
    added: list[str] = []
    for direction in Direction:
        traffic = [t for d, t in gaps if d is direction]
        if not traffic:
            continue
        try:
            _authorize(ec2, direction, group_id, traffic)
        except ClientError as e:
            if not is_access_denied(e):
                raise
            return Action(
                ActionKind.FAILED,
                f"Could not add {direction.value} self rules to {group_id}: {error_code(e)} "
                f"({error_message(e)}). Grant the guard ec2:AuthorizeSecurityGroup* on it.",
            )
        added += [f"{t.name} {direction.value}" for t in traffic]
    return Action(
        ActionKind.REPAIRED, f"Added self-referencing rules to {group_id}: {', '.join(added)}."
    )


def _authorize(ec2: Any, direction: Direction, group_id: str, traffic: Sequence[Traffic]) -> None:
    call = (
        ec2.authorize_security_group_ingress
        if direction is Direction.INGRESS
        else ec2.authorize_security_group_egress
    )
    try:
        call(GroupId=group_id, IpPermissions=[self_rule(group_id, t) for t in traffic])
    except ClientError as e:
        if error_code(e) != "InvalidPermission.Duplicate":
            raise
        # One duplicate fails the whole batch; add the rest one by one.
        if len(traffic) == 1:
            return
        for single in traffic:
            _authorize(ec2, direction, group_id, [single])
