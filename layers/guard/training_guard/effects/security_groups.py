"""The repairs both guards share: add missing self-referencing rules, revoke public
ingress, tag groups as guarded. Idempotent: a rule already there
(InvalidPermission.Duplicate) counts as added, one already gone (NotFound) as revoked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from training_guard.controls.base import Gap
from training_guard.effects.aws import (
    error_code,
    error_message,
    is_access_denied,
    is_transient,
    refused,
)
from training_guard.facts.network import (
    Direction,
    Rule,
    Traffic,
)
from training_guard.facts.sg_events import describe_rule
from training_guard.model import Action, ActionKind

TAG_PERMISSIONS = ("ec2:CreateTags",)
UNTAG_PERMISSIONS = ("ec2:DeleteTags",)
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
            if error_code(e) == "InvalidGroup.NotFound":
                return Action(
                    ActionKind.SKIPPED, f"Nothing to repair: {group_id} no longer exists."
                )
            if is_transient(e):
                raise
            if not is_access_denied(e):
                return refused(f"add {direction.value} self rules to {group_id}", e)
            return Action(
                ActionKind.FAILED,
                f"Could not add {direction.value} self rules to {group_id}: {error_code(e)} "
                f"({error_message(e)}). The guard may change only groups tagged "
                "training-guard:guarded=true; check the tag, and SCPs or permission boundaries.",
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


def revoke_public_ingress(ec2: Any, group_id: str, rules: Sequence[Rule]) -> Action:
    """Revoke only the public parts of the rules (0.0.0.0/0, ::/0 and prefix lists that
    hold them); other peers of the same rule stay.

    Idempotent: InvalidPermission.NotFound means the range is already gone.
    """
    revoked: list[str] = []
    for public in rules:
        try:
            response = ec2.revoke_security_group_ingress(
                GroupId=group_id, IpPermissions=[permission(public)]
            )
        except ClientError as e:
            if is_access_denied(e):
                return Action(
                    ActionKind.FAILED,
                    f"Could not revoke public ingress on {group_id}: {error_code(e)} "
                    f"({error_message(e)}). The guard may change only groups tagged "
                    "training-guard:guarded=true; check the tag, SCPs and permission boundaries.",
                )
            if is_transient(e):
                raise
            if error_code(e) != "InvalidPermission.NotFound":
                return refused(f"revoke public ingress on {group_id}", e)
            continue  # already gone: someone, or an earlier delivery of this event, revoked it
        if response.get("UnknownIpPermissions"):
            continue  # EC2 answers so, without an error, for a rule that is not there
        revoked.append(describe_rule(public))
    if not revoked:
        return Action(
            ActionKind.SKIPPED,
            f"Public ingress on {group_id} was already revoked.",
            ActionKind.REVOKED,
        )
    return Action(
        ActionKind.REVOKED, f"Revoked public ingress on {group_id}: {'; '.join(revoked)}."
    )


def permission(rule: Rule) -> dict[str, Any]:
    """A rule as the IpPermissions item EC2's Authorize and Revoke calls take."""
    item: dict[str, Any] = {"IpProtocol": rule.protocol}
    if rule.from_port is not None:
        item["FromPort"] = rule.from_port
        item["ToPort"] = rule.to_port if rule.to_port is not None else rule.from_port
    if rule.groups:
        item["UserIdGroupPairs"] = [
            {"GroupId": g.group_id, **({"UserId": g.owner} if g.owner else {})}
            for g in sorted(rule.groups, key=lambda g: (g.group_id, g.owner or ""))
        ]
    if v4 := [{"CidrIp": c} for c in rule.cidrs if ":" not in c]:
        item["IpRanges"] = v4
    if v6 := [{"CidrIpv6": c} for c in rule.cidrs if ":" in c]:
        item["Ipv6Ranges"] = v6
    if rule.prefix_lists:
        item["PrefixListIds"] = [{"PrefixListId": p} for p in rule.prefix_lists]
    return item


def mark_guarded(ec2: Any, group_ids: Sequence[str], guard_tag_key: str) -> Action | None:
    """Tag groups `guard_tag_key=true`: the visible marker, and what the IAM conditions on
    the guards' writes require. The tag says nothing else: what the guard changes follows
    from its own record. A refusal is a failed action (an SCP or tag policy may forbid
    it), never a reason to drop the event."""
    if not group_ids:
        return None
    try:
        ec2.create_tags(Resources=sorted(group_ids), Tags=[{"Key": guard_tag_key, "Value": "true"}])
    except ClientError as e:
        if is_transient(e):
            raise
        return Action(
            ActionKind.FAILED,
            f"Could not mark {', '.join(sorted(group_ids))} as guarded: {error_code(e)} "
            f"({error_message(e)}). Until they carry the tag the guards cannot repair "
            "them: check SCPs and tag policies, or tag them yourself.",
        )
    return None


def unmark_guarded(ec2: Any, group_id: str, guard_tag_key: str) -> Action | None:
    """Take the guard's tag off a group no running job uses any more: the guard may no
    longer change it (IAM requires the tag), and the console no longer says it is kept.
    None when done (or the group is gone); a failed action otherwise."""
    try:
        ec2.delete_tags(Resources=[group_id], Tags=[{"Key": guard_tag_key, "Value": "true"}])
    except ClientError as e:
        if is_transient(e):
            raise
        if error_code(e) == "InvalidGroup.NotFound":
            return None
        return Action(
            ActionKind.FAILED,
            f"Could not remove {guard_tag_key} from {group_id}: {error_code(e)} "
            f"({error_message(e)}).",
        )
    return None
