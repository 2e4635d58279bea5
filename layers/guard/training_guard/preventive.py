"""The preventive policy: what IAM can refuse at the API, before a job exists.

A service control policy (or an identity policy) of Deny statements on
`sagemaker:CreateTrainingJob` and `sagemaker:CreateHyperParameterTuningJob`, built from
the condition keys the Service Authorization Reference documents for those actions.
Pure: no AWS call. The guard remains needed for everything a request does not show
(README, Command line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from training_guard.facts.instances import TRAINING_INSTANCES

CREATE_TRAINING_JOB = "sagemaker:CreateTrainingJob"
CREATE_TUNING_JOB = "sagemaker:CreateHyperParameterTuningJob"
ACTIONS = (CREATE_TRAINING_JOB, CREATE_TUNING_JOB)

INTER_CONTAINER_ENCRYPTION = "sagemaker:InterContainerTrafficEncryption"
VPC_SUBNETS = "sagemaker:VpcSubnets"
VPC_SECURITY_GROUPS = "sagemaker:VpcSecurityGroupIds"
OUTPUT_KMS_KEY = "sagemaker:OutputKmsKeyArn"
VOLUME_KMS_KEY = "sagemaker:VolumeKmsKeyArn"
INSTANCE_TYPES = "sagemaker:InstanceTypes"
REQUESTED_REGION = "aws:RequestedRegion"

# The service-specific condition keys the Service Authorization Reference (Amazon
# SageMaker) lists for each action; a statement names an action only where every key
# of its condition is documented for it. The deprecated sagemaker:OutputKmsKey and
# sagemaker:VolumeKmsKey are left out: the reference replaced them with the *Arn keys.
# tests/unit/test_preventive_policy.py holds this table to the published data.
DOCUMENTED_KEYS: Mapping[str, frozenset[str]] = {
    CREATE_TRAINING_JOB: frozenset(
        {
            INTER_CONTAINER_ENCRYPTION,
            VPC_SUBNETS,
            VPC_SECURITY_GROUPS,
            OUTPUT_KMS_KEY,
            VOLUME_KMS_KEY,
            INSTANCE_TYPES,
        }
    ),
    CREATE_TUNING_JOB: frozenset(
        {
            INTER_CONTAINER_ENCRYPTION,
            VPC_SUBNETS,
            VPC_SECURITY_GROUPS,
            OUTPUT_KMS_KEY,
            VOLUME_KMS_KEY,
            INSTANCE_TYPES,
        }
    ),
}


class PolicyKind(StrEnum):
    SCP = "scp"
    IAM = "iam"

    @property
    def label(self) -> str:
        return {
            PolicyKind.SCP: "service control policy",
            PolicyKind.IAM: "identity policy",
        }[self]


# AWS Organizations quotas: an SCP holds at most 5,120 characters. IAM quotas: a managed
# policy at most 6,144, white space not counted. Measured on the minified document,
# which is what the console stores; the CLI and SDKs store white space as sent.
SIZE_LIMITS: Mapping[PolicyKind, int] = {PolicyKind.SCP: 5120, PolicyKind.IAM: 6144}


class PolicyError(ValueError):
    """The requested policy cannot be built as asked (a key that is no key ARN, or a
    document over its size limit)."""


Condition = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Denial:
    """One Deny statement: its Sid says what it denies, `control` which control's
    requirement it enforces before the job exists."""

    sid: str
    control: str
    condition: Condition

    @property
    def service_keys(self) -> frozenset[str]:
        return frozenset(
            key for test in self.condition.values() for key in test if key.startswith("sagemaker:")
        )

    def actions(self) -> tuple[str, ...]:
        return tuple(a for a in ACTIONS if self.service_keys <= DOCUMENTED_KEYS[a])


# A KMS key ARN; each of its parts may hold the wildcards ArnLike accepts.
_KEY_ARN = re.compile(r"arn:[a-z*?-]+:kms:[a-z0-9*?-]*:[0-9*?]+:key/[A-Za-z0-9*?-]+")
_REGION = re.compile(r"[a-z0-9-]+")


def preventive_policy(
    kind: PolicyKind = PolicyKind.SCP,
    kms_keys: Sequence[str] = (),
    regions: Sequence[str] = (),
) -> dict[str, Any]:
    """The policy document. `kms_keys` (key ARNs, wildcards allowed) are the only keys
    jobs may name; `regions` limit the denials to requests made there (every region
    when empty). Raises PolicyError for a malformed key or region, or when the document
    would not fit the kind's size limit."""
    _check_keys(kms_keys)
    _check_regions(regions)
    statements = [_statement(denial, regions) for denial in denials(kms_keys) if denial.actions()]
    document = {"Version": "2012-10-17", "Statement": statements}
    _check_size(document, kind)
    return document


def denials(kms_keys: Sequence[str] = ()) -> tuple[Denial, ...]:
    """Every denial; those of the key allowlist only when keys are given."""
    return _required() + (_approved(kms_keys) if kms_keys else ())


def denying(control_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The Sids that enforce a control's requirement: always, and with --kms-key."""
    always = tuple(d.sid for d in _required() if d.control == control_id)
    with_keys = tuple(d.sid for d in _approved(("*",)) if d.control == control_id)
    return always, with_keys


def _required() -> tuple[Denial, ...]:
    encryption, vpc = "inter-container-encryption", "vpc-config"
    return (
        Denial(
            "DenyUnencryptedInterContainerTraffic",
            encryption,
            {"Bool": {INTER_CONTAINER_ENCRYPTION: "false"}},
        ),
        Denial(
            "DenyMissingInterContainerTrafficEncryption",
            encryption,
            {"Null": {INTER_CONTAINER_ENCRYPTION: "true"}},
        ),
        Denial("DenyMissingVpcSubnets", vpc, {"Null": {VPC_SUBNETS: "true"}}),
        Denial("DenyMissingVpcSecurityGroups", vpc, {"Null": {VPC_SECURITY_GROUPS: "true"}}),
        Denial("DenyMissingOutputKmsKey", "output-kms", {"Null": {OUTPUT_KMS_KEY: "true"}}),
        Denial(
            "DenyMissingVolumeKmsKey",
            "volume-kms",
            {"Null": {VOLUME_KMS_KEY: "true"}, **_ebs_only()},
        ),
    )


def _approved(kms_keys: Sequence[str]) -> tuple[Denial, ...]:
    # Only approved keys: with customer managed keys alone on the list, no job can
    # name an AWS managed one.
    operator = _arn_operator(kms_keys)
    keys = sorted(set(kms_keys))
    return (
        Denial(
            "DenyUnapprovedOutputKmsKey",
            "kms-customer-managed",
            {operator: {OUTPUT_KMS_KEY: keys}},
        ),
        Denial(
            "DenyUnapprovedVolumeKmsKey",
            "kms-customer-managed",
            {operator: {VOLUME_KMS_KEY: keys}, **_ebs_only()},
        ),
    )


def _ebs_only() -> Condition:
    return {"ForAllValues:StringNotLike": {INSTANCE_TYPES: list(local_storage_patterns())}}


def local_storage_patterns() -> tuple[str, ...]:
    """`ml.<family>.*` for each family whose instances have local NVMe storage: AWS
    refuses a VolumeKmsKeyId for them, so the volume-key denials spare jobs that run
    only on them (facts/instances.py holds the families, from EC2's own data)."""
    families = {name.split(".")[1] for name, (local, _efa) in TRAINING_INSTANCES.items() if local}
    return tuple(f"ml.{family}.*" for family in sorted(families))


def minified(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def size(document: Mapping[str, Any]) -> int:
    return len(minified(document))


def _statement(denial: Denial, regions: Sequence[str]) -> dict[str, Any]:
    condition: Condition = dict(denial.condition)
    if regions:
        condition["StringEquals"] = {REQUESTED_REGION: sorted(set(regions))}
    return {
        "Sid": denial.sid,
        "Effect": "Deny",
        "Action": list(denial.actions()),
        "Resource": "*",
        "Condition": condition,
    }


def _arn_operator(kms_keys: Iterable[str]) -> str:
    # Both ARN operators take wildcards; ArnNotLike says so to the reader.
    return "ArnNotLike" if any(c in key for key in kms_keys for c in "*?") else "ArnNotEquals"


def _check_keys(kms_keys: Iterable[str]) -> None:
    for key in kms_keys:
        if not _KEY_ARN.fullmatch(key):
            raise PolicyError(
                f"{key!r} is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID). "
                "sagemaker:OutputKmsKeyArn and sagemaker:VolumeKmsKeyArn hold the key's ARN: "
                "a key ID, an alias or an alias ARN would never match."
            )


def _check_regions(regions: Iterable[str]) -> None:
    for region in regions:
        if not _REGION.fullmatch(region):
            raise PolicyError(f"{region!r} is not a region name such as us-east-1.")


def _check_size(document: Mapping[str, Any], kind: PolicyKind) -> None:
    limit = SIZE_LIMITS[kind]
    if size(document) > limit:
        raise PolicyError(
            f"The {kind.label} would hold {size(document):,} characters (minified), over the "
            f"{limit:,} AWS allows. Name fewer keys, or one pattern such as "
            "arn:*:kms:*:111122223333:key/* for an account's keys."
        )
