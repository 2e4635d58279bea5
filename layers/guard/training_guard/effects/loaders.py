"""Load the evidence a job's controls need, in as few calls as the APIs allow."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import (
    Clients,
    error_code,
    error_message,
    is_access_denied,
    is_transient,
)
from training_guard.effects.instances import InstanceCatalog
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.identifiers import arn_field
from training_guard.facts.jobs import JobFacts
from training_guard.facts.keys import AWS_MANAGED, KeyFacts, is_aws_managed_alias
from training_guard.facts.network import (
    SecurityGroup,
    Subnet,
    security_group_from_api,
    subnet_from_api,
)

# Prefix list entries by list id, kept for the life of a warm Lambda environment for a
# few minutes: lists change rarely, and a burst of events reads each once.
_PREFIX_LIST_SECONDS = 300.0
# EC2 takes at most 200 values in one filter.
FILTER_VALUES = 200
_prefix_lists: dict[str, tuple[float, tuple[str, ...] | None]] = {}


def load_evidence(clients: Clients, job: JobFacts, needs: frozenset[Fact]) -> Evidence:
    group_ids = _unique(g for spec in job.specs for g in spec.security_groups)
    subnet_ids = _unique(s for spec in job.specs for s in spec.subnets)
    groups = (
        describe_security_groups(clients.ec2, group_ids) if Fact.SECURITY_GROUPS in needs else {}
    )
    subnets = describe_subnets(clients.ec2, subnet_ids) if Fact.SUBNETS in needs else {}
    endpoints = (
        vpcs_with_s3_endpoint(clients.ec2, {s.vpc_id for s in subnets.values()}, job.region)
        if Fact.S3_ENDPOINTS in needs
        else frozenset()
    )
    instance_types = _unique(t for spec in job.specs for t in spec.instance_types)
    instances = (
        InstanceCatalog(clients.ec2).profiles(instance_types)
        if Fact.INSTANCE_TYPES in needs
        else {}
    )
    keys = load_keys(clients.kms, job, Fact.KEY_POLICIES in needs) if Fact.KEYS in needs else {}
    prefix_lists = (
        prefix_list_entries(clients.ec2, groups.values()) if Fact.PREFIX_LISTS in needs else {}
    )
    return Evidence(groups, prefix_lists, subnets, endpoints, instances, keys)


def load_keys(kms: Any, job: JobFacts, with_policies: bool) -> dict[str, KeyFacts]:
    """One DescribeKey per key, however many ways the job names it; a policy only for
    the keys of model artifacts, the ones deploy accounts must decrypt with."""
    output_refs = {s.output_kms_key for s in job.specs if s.output_kms_key}
    volume_refs = {s.volume_kms_key for s in job.specs if s.volume_kms_key}
    by_key: dict[str, KeyFacts] = {}
    keys: dict[str, KeyFacts] = {}
    for ref in sorted(output_refs) + sorted(volume_refs - output_refs):
        identity = key_identity(ref)
        if identity not in by_key:
            by_key[identity] = describe_key(
                kms, ref, job.account, with_policies and ref in output_refs
            )
        keys[ref] = replace(by_key[identity], reference=ref)
    return keys


def key_identity(reference: str) -> str:
    """A key ARN and its key id name the same key (key ids are globally unique UUIDs)."""
    if reference.startswith("arn:") and ":key/" in reference:
        return reference.split(":key/", 1)[1]
    return reference


def describe_security_groups(ec2: Any, group_ids: list[str]) -> dict[str, SecurityGroup]:
    if not group_ids:
        return {}
    # The group-id filter, unlike GroupIds=, does not fail the whole call when one
    # group is gone; a missing group is then reported by the vpc-config control.
    groups: dict[str, SecurityGroup] = {}
    for start in range(0, len(group_ids), FILTER_VALUES):
        pages = ec2.get_paginator("describe_security_groups").paginate(
            Filters=[{"Name": "group-id", "Values": group_ids[start : start + FILTER_VALUES]}]
        )
        found = (security_group_from_api(g) for page in pages for g in page["SecurityGroups"])
        groups.update((g.id, g) for g in found)
    return groups


def prefix_list_entries(
    ec2: Any, groups: Iterable[SecurityGroup], clock: Callable[[], float] = time.monotonic
) -> dict[str, tuple[str, ...] | None]:
    """The CIDR entries of every managed prefix list the groups' rules name; None for a
    list that cannot be read (another account's, or access denied): it then admits
    nothing and is not public, so nothing is concluded from it."""
    now = clock()
    wanted = sorted({p for g in groups for p in g.prefix_lists})
    entries: dict[str, tuple[str, ...] | None] = {}
    for list_id in wanted:
        cached = _prefix_lists.get(list_id)
        if cached is None or now - cached[0] > _PREFIX_LIST_SECONDS:
            cached = (now, _read_prefix_list(ec2, list_id))
            _prefix_lists[list_id] = cached
        entries[list_id] = cached[1]
    return entries


def forget_prefix_lists() -> None:
    _prefix_lists.clear()


def _read_prefix_list(ec2: Any, list_id: str) -> tuple[str, ...] | None:
    try:
        pages = ec2.get_paginator("get_managed_prefix_list_entries").paginate(PrefixListId=list_id)
        return tuple(e["Cidr"] for page in pages for e in page.get("Entries", []) if e.get("Cidr"))
    except ClientError as e:
        if is_access_denied(e) or error_code(e).startswith("InvalidPrefixListID"):
            return None
        raise


def describe_subnets(ec2: Any, subnet_ids: list[str]) -> dict[str, Subnet]:
    if not subnet_ids:
        return {}
    pages = ec2.get_paginator("describe_subnets").paginate(
        Filters=[{"Name": "subnet-id", "Values": subnet_ids}]
    )
    subnets = (subnet_from_api(s) for page in pages for s in page["Subnets"])
    return {s.id: s for s in subnets}


def vpcs_with_s3_endpoint(ec2: Any, vpc_ids: Iterable[str], region: str) -> frozenset[str]:
    """VPCs with an S3 endpoint. The service name differs by partition (and China has
    its own), so it is matched by its region-and-service end, not spelled out."""
    vpcs = sorted(vpc_ids)
    if not vpcs:
        return frozenset()
    pages = ec2.get_paginator("describe_vpc_endpoints").paginate(
        Filters=[{"Name": "vpc-id", "Values": vpcs}]
    )
    return frozenset(
        e["VpcId"]
        for page in pages
        for e in page["VpcEndpoints"]
        if str(e.get("ServiceName", "")).endswith(f".{region}.s3")
        and str(e.get("State", "available")).lower() in {"available", "pending"}
    )


def describe_key(kms: Any, reference: str, job_account: str, with_policy: bool) -> KeyFacts:
    if is_aws_managed_alias(reference):
        return KeyFacts(reference, manager=AWS_MANAGED)
    try:
        metadata = kms.describe_key(KeyId=reference)["KeyMetadata"]
    except ClientError as e:
        if is_transient(e):
            raise
        # Not found, denied, not an ARN KMS takes: what could not be read is said.
        return KeyFacts(reference, error=f"{error_code(e)}: {error_message(e)}")
    facts = KeyFacts(reference, arn=metadata["Arn"], manager=metadata.get("KeyManager"))
    if not with_policy or facts.is_aws_managed:
        return facts
    owner = arn_field(facts.arn or "", 4)
    if owner and owner != job_account:
        # KMS answers GetKeyPolicy only in the key's own account.
        return replace(facts, error=f"the key belongs to account {owner}, not {job_account}")
    return _with_policy(kms, facts, metadata["KeyId"])


def _with_policy(kms: Any, facts: KeyFacts, key_id: str) -> KeyFacts:
    try:
        raw = kms.get_key_policy(KeyId=facts.arn or key_id, PolicyName="default")["Policy"]
    except ClientError as e:
        if is_transient(e):
            raise
        return replace(facts, error=f"{error_code(e)}: {error_message(e)}")
    try:
        return replace(facts, policy=json.loads(raw))
    except ValueError:
        return replace(facts, error="its policy is not valid JSON")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
