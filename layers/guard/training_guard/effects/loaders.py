"""Load the evidence a job's controls need, in as few calls as the APIs allow."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import Clients, error_code, error_message, is_access_denied
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.jobs import JobFacts
from training_guard.facts.keys import KeyFacts, is_aws_managed_alias
from training_guard.facts.network import (
    SecurityGroup,
    Subnet,
    security_group_from_api,
    subnet_from_api,
)

FACT_PERMISSIONS: dict[Fact, tuple[str, ...]] = {
    Fact.SECURITY_GROUPS: ("ec2:DescribeSecurityGroups",),
    Fact.SUBNETS: ("ec2:DescribeSubnets",),
    Fact.S3_ENDPOINTS: ("ec2:DescribeVpcEndpoints",),
    Fact.VPCS: ("ec2:DescribeVpcs",),
    Fact.KEYS: ("kms:DescribeKey",),
    Fact.KEY_POLICIES: ("kms:GetKeyPolicy",),
}


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
    keys = load_keys(clients.kms, job, Fact.KEY_POLICIES in needs) if Fact.KEYS in needs else {}
    return Evidence(groups, subnets, endpoints, keys)


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
            by_key[identity] = describe_key(kms, ref, with_policies and ref in output_refs)
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
    pages = ec2.get_paginator("describe_security_groups").paginate(
        Filters=[{"Name": "group-id", "Values": group_ids}]
    )
    groups = (security_group_from_api(g) for page in pages for g in page["SecurityGroups"])
    return {g.id: g for g in groups}


def describe_subnets(ec2: Any, subnet_ids: list[str]) -> dict[str, Subnet]:
    if not subnet_ids:
        return {}
    pages = ec2.get_paginator("describe_subnets").paginate(
        Filters=[{"Name": "subnet-id", "Values": subnet_ids}]
    )
    subnets = (subnet_from_api(s) for page in pages for s in page["Subnets"])
    return {s.id: s for s in subnets}


def vpcs_with_s3_endpoint(ec2: Any, vpc_ids: Iterable[str], region: str) -> frozenset[str]:
    vpcs = sorted(vpc_ids)
    if not vpcs:
        return frozenset()
    pages = ec2.get_paginator("describe_vpc_endpoints").paginate(
        Filters=[
            {"Name": "vpc-id", "Values": vpcs},
            {"Name": "service-name", "Values": [f"com.amazonaws.{region}.s3"]},
        ]
    )
    return frozenset(
        e["VpcId"]
        for page in pages
        for e in page["VpcEndpoints"]
        if e.get("State", "available").lower() in {"available", "pending"}
    )


def describe_key(kms: Any, reference: str, with_policy: bool) -> KeyFacts:
    if is_aws_managed_alias(reference):
        return KeyFacts(reference, manager="AWS")
    try:
        metadata = kms.describe_key(KeyId=reference)["KeyMetadata"]
    except ClientError as e:
        if error_code(e) == "NotFoundException" or is_access_denied(e):
            return KeyFacts(reference, error=f"{error_code(e)}: {error_message(e)}")
        raise
    facts = KeyFacts(reference, arn=metadata["Arn"], manager=metadata.get("KeyManager"))
    if not with_policy or facts.is_aws_managed:
        return facts
    return _with_policy(kms, facts, metadata["KeyId"])


def _with_policy(kms: Any, facts: KeyFacts, key_id: str) -> KeyFacts:
    # GetKeyPolicy only works on keys of this account; for another account's key the
    # refusal becomes the reason kms-deploy-accounts gives.
    try:
        raw = kms.get_key_policy(KeyId=facts.arn or key_id, PolicyName="default")["Policy"]
    except ClientError as e:
        if error_code(e) == "NotFoundException" or is_access_denied(e):
            return KeyFacts(
                facts.reference,
                facts.arn,
                facts.manager,
                None,
                f"{error_code(e)}: {error_message(e)}",
            )
        raise
    return KeyFacts(facts.reference, facts.arn, facts.manager, json.loads(raw))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
