"""The guard's own record of which running jobs use which security groups.

Only the guard writes it (DynamoDB, the state table), so it, not a tag anyone with
ec2:CreateTags can write, decides which groups the guard changes and what they must
allow. The job guard writes a job's entries when it lets the job run and removes them
when the job ends, leaving a marker so that a late event about the ended job records
nothing; an entry also expires with the job's longest possible life, so a missed end
event keeps a group under guard no longer than the job could have run.

Items: `group#<group id>` with one attribute per job and set of groups using it
(`job:<job ARN>|<groups>`: the job's groups in VpcConfig order, the traffic its
instances exchange, its subnets' CIDRs, until when it may run), and `job#<job ARN>`
naming its groups and entries, so the job's end removes exactly what its start wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import error_code
from training_guard.facts.groups import SelfTraffic
from training_guard.facts.jobs import MAX_JOB_SECONDS
from training_guard.observability import logger

RECORD_WRITE_PERMISSIONS = ("dynamodb:UpdateItem",)
RECORD_READ_PERMISSIONS = ("dynamodb:GetItem",)
# Many groups at once (training-guard scan).
RECORD_BATCH_READ_PERMISSIONS = ("dynamodb:BatchGetItem",)
_BATCH_KEYS = 100  # BatchGetItem's most keys a call
_BATCH_ROUNDS = 10  # unprocessed keys asked again at most this often
_JOB_ATTRIBUTE = "job:"
# A group item outlives every entry written into it: each write sets its expiry past
# the longest life any job can have from now.
_ITEM_SECONDS = MAX_JOB_SECONDS + 24 * 3600
_MARGIN_SECONDS = 3600
# How long an ended job's marker holds: longer than any late delivery (EventBridge and
# Lambda each give up on an event after an hour; CloudTrail delivers within minutes).
_ENDED_SECONDS = 6 * 3600
# Creation times of one job read from different sources differ by seconds at most.
_SAME_JOB_SECONDS = 60


@dataclass(frozen=True)
class JobUse:
    """How one running job uses a group: the record's entry."""

    job_arn: str
    groups: tuple[str, ...]  # all the job's groups, in VpcConfig order
    traffic: SelfTraffic
    networks: tuple[str, ...]  # the job's subnets' CIDRs
    used_by: str  # the job, in words
    until: int  # epoch seconds


class GroupRecord:
    def __init__(self, dynamodb: Any, table: str, clock: Callable[[], float] = time.time) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._clock = clock

    def uses(self, group_id: str) -> list[JobUse]:
        """The live entries for a group: one GetItem, however many jobs run."""
        item = self._dynamodb.get_item(
            TableName=self._table, Key=_key(f"group#{group_id}"), ConsistentRead=True
        ).get("Item", {})
        return self._live(item)

    def uses_of(self, group_ids: Sequence[str]) -> dict[str, list[JobUse]]:
        """The live entries of many groups, 100 a call (BatchGetItem); keys DynamoDB
        leaves unprocessed (throttling, the 16 MB answer limit) are asked again."""
        found: dict[str, list[JobUse]] = {g: [] for g in group_ids}
        wanted = [_key(f"group#{g}") for g in dict.fromkeys(group_ids)]
        for start in range(0, len(wanted), _BATCH_KEYS):
            keys = wanted[start : start + _BATCH_KEYS]
            for _ in range(_BATCH_ROUNDS):
                answer = self._dynamodb.batch_get_item(
                    RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}}
                )
                for item in answer.get("Responses", {}).get(self._table, []):
                    group_id = item["resource"]["S"].removeprefix("group#")
                    found[group_id] = self._live(item)
                keys = answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
                if not keys:
                    break
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after every retry")
        return found

    def _live(self, item: dict[str, Any]) -> list[JobUse]:
        now = self._clock()
        uses = [
            _use(name, value) for name, value in item.items() if name.startswith(_JOB_ATTRIBUTE)
        ]
        return [u for u in uses if u is not None and u.until > now]

    def remember(self, uses: Sequence[JobUse], created: float | None = None) -> bool:
        """Write a running job's entries: first its own item (unless the job already
        ended, which a late event must not undo), then one entry in each group's item.
        False when the job had ended. `created` tells the job from an ended one of the
        same name (a name may be reused once a job is deleted)."""
        if not uses:
            return True
        job = _job_key(uses[0].job_arn)
        names = {use: _attribute(use) for use in uses}
        now = int(self._clock())
        condition = "attribute_not_exists(#ended) OR #ended < :now"
        values: dict[str, Any] = {
            ":groups": {"SS": sorted({g for use in uses for g in use.groups})},
            ":entries": {"SS": sorted(set(names.values()))},
            ":expires": {"N": str(max(u.until for u in uses) + _MARGIN_SECONDS)},
            ":now": {"N": str(now)},
        }
        if created is not None:
            condition += " OR #ended_created < :created"
            values[":created"] = {"N": str(int(created) - _SAME_JOB_SECONDS)}
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(f"job#{job}"),
                UpdateExpression="ADD #groups :groups, #entries :entries SET expires_at = :expires "
                "REMOVE #ended, #ended_created",
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    "#groups": "groups",
                    "#entries": "entries",
                    "#ended": "ended",
                    "#ended_created": "ended_created",
                },
                ExpressionAttributeValues=values,
            )
        except ClientError as e:
            if error_code(e) == "ConditionalCheckFailedException":
                return False
            raise
        for use in uses:
            for group_id in dict.fromkeys(use.groups):
                self._write_entry(group_id, names[use], use)
        return True

    def forget(self, job_arn: str, created: float | None = None) -> list[str]:
        """Remove an ended job's entries and leave a marker that it ended, so a late
        event about it records nothing (until the marker lapses, when no late event
        can still arrive). The groups it used. Idempotent."""
        job = _job_key(job_arn)
        until = int(self._clock()) + _ENDED_SECONDS
        marker = "SET #ended = :until, expires_at = :until"
        names = {"#ended": "ended", "#groups": "groups", "#entries": "entries"}
        values: dict[str, Any] = {":until": {"N": str(until)}}
        if created is not None:
            marker += ", #ended_created = :created"
            names["#ended_created"] = "ended_created"
            values[":created"] = {"N": str(int(created))}
        before = self._dynamodb.update_item(
            TableName=self._table,
            Key=_key(f"job#{job}"),
            UpdateExpression=f"{marker} REMOVE #groups, #entries",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_OLD",
        ).get("Attributes", {})
        groups = sorted(before.get("groups", {}).get("SS", []))
        entries = sorted(before.get("entries", {}).get("SS", []))
        for group_id in groups:
            self._remove(group_id, entries)
        return groups

    def _write_entry(self, group_id: str, name: str, use: JobUse) -> None:
        now = int(self._clock())
        item = self._dynamodb.update_item(
            TableName=self._table,
            Key=_key(f"group#{group_id}"),
            UpdateExpression="SET #job = :use, expires_at = :expires",
            ExpressionAttributeNames={"#job": name},
            ExpressionAttributeValues={
                ":use": _entry(use),
                ":expires": {"N": str(now + _ITEM_SECONDS)},
            },
            ReturnValues="ALL_NEW",
        ).get("Attributes", {})
        # Entries of jobs whose end was never seen: dropped here, so a busy group's item
        # stays small.
        expired = [
            attribute
            for attribute, value in item.items()
            if attribute.startswith(_JOB_ATTRIBUTE)
            and ((entry := _use(attribute, value)) is None or entry.until <= now)
        ]
        if expired:
            self._remove(group_id, expired)

    def _remove(self, group_id: str, attributes: Sequence[str]) -> None:
        if not attributes:
            return
        placeholders = {f"#e{i}": name for i, name in enumerate(attributes)}
        self._dynamodb.update_item(
            TableName=self._table,
            Key=_key(f"group#{group_id}"),
            UpdateExpression="REMOVE " + ", ".join(placeholders),
            ExpressionAttributeNames=placeholders,
        )


def job_uses(
    job_arn: str,
    used_by: str,
    group_sets: Iterable[tuple[Sequence[str], SelfTraffic, Sequence[str]]],
    runtime_seconds: int,
    now: float,
) -> list[JobUse]:
    """The entries for a job: one per distinct set of groups (a tuning job's definitions
    may name different ones)."""
    until = int(now) + runtime_seconds + _MARGIN_SECONDS
    merged: dict[tuple[str, ...], JobUse] = {}
    for groups, traffic, networks in group_sets:
        key = tuple(groups)
        if not key:
            continue
        before = merged.get(key)
        needs = max(traffic, before.traffic) if before else traffic
        cidrs = tuple(dict.fromkeys((*(before.networks if before else ()), *networks)))
        merged[key] = JobUse(job_arn, key, needs, cidrs, used_by, until)
    return list(merged.values())


def _key(value: str) -> dict[str, dict[str, str]]:
    return {"resource": {"S": value}}


def _entry(use: JobUse) -> dict[str, Any]:
    return {
        "M": {
            "groups": {"L": [{"S": g} for g in use.groups]},
            "traffic": {"S": use.traffic.label},
            "networks": {"L": [{"S": n} for n in use.networks]},
            "used_by": {"S": use.used_by},
            "until": {"N": str(use.until)},
        }
    }


def _job_key(job_arn: str) -> str:
    # Sources have been seen to differ in the case of a job's ARN (boto3 issue #4606);
    # the record must find the job whichever spelled it.
    return job_arn.lower()


def _attribute(use: JobUse) -> str:
    """One entry per job and set of groups: a tuning job's definitions may name several."""
    return f"{_JOB_ATTRIBUTE}{_job_key(use.job_arn)}|{'+'.join(use.groups)}"


def _use(attribute: str, value: Any) -> JobUse | None:
    job_arn = attribute[len(_JOB_ATTRIBUTE) :].split("|", 1)[0]
    try:
        entry = value["M"]
        return JobUse(
            job_arn,
            tuple(g["S"] for g in entry["groups"]["L"]),
            SelfTraffic.from_label(entry["traffic"]["S"]),
            tuple(n["S"] for n in entry["networks"]["L"]),
            entry["used_by"]["S"],
            int(entry["until"]["N"]),
        )
    except (KeyError, TypeError, ValueError):
        # Written by an older version, or by hand: not an entry the guard can trust.
        logger.warning("unreadable group record entry ignored", extra={"entry": attribute})
        return None
