"""The control registry: id, severity, remediation and the facts each control reads.

The ids are public (DESIGN.md, Contract). The effects layer derives what to load
and which IAM actions the functions need from this table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from training_guard.config import Policy
from training_guard.controls import encryption, kms, network, security_groups
from training_guard.controls.security_groups import GroupFacts
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.jobs import JobFacts
from training_guard.model import Finding, Severity

# Job controls take (TrainingSpec, Evidence, Policy); group controls (GroupFacts, Policy).
Check = Callable[..., Iterable[str]]


class Remediation(StrEnum):
    STOP_JOB = "stop the job"
    ADD_RULES = "add the missing rules"
    REVOKE_RULES = "revoke those rules"
    REPORT = "report"


@dataclass(frozen=True)
class Control:
    id: str
    severity: Severity
    remediation: Remediation
    check: Check
    needs: frozenset[Fact] = frozenset()


JOB_CONTROLS: tuple[Control, ...] = (
    Control("inter-container-encryption", Severity.HIGH, Remediation.STOP_JOB,
            encryption.inter_container_encryption),
    Control("vpc-config", Severity.HIGH, Remediation.STOP_JOB, network.vpc_config,
            frozenset({Fact.SECURITY_GROUPS, Fact.SUBNETS})),
    Control("sg-ipsec-self-rules", Severity.MEDIUM, Remediation.ADD_RULES,
            network.sg_ipsec_self_rules, frozenset({Fact.SECURITY_GROUPS, Fact.SUBNETS})),
    Control("sg-efa-self-rules", Severity.MEDIUM, Remediation.ADD_RULES,
            network.sg_efa_self_rules, frozenset({Fact.SECURITY_GROUPS})),
    Control("sg-no-public-ingress", Severity.CRITICAL, Remediation.REVOKE_RULES,
            network.sg_no_public_ingress, frozenset({Fact.SECURITY_GROUPS})),
    Control("subnet-capacity", Severity.MEDIUM, Remediation.REPORT, network.subnet_capacity,
            frozenset({Fact.SUBNETS})),
    Control("s3-private-endpoint", Severity.LOW, Remediation.REPORT, network.s3_private_endpoint,
            frozenset({Fact.SUBNETS, Fact.S3_ENDPOINTS})),
    Control("output-kms", Severity.HIGH, Remediation.STOP_JOB, kms.output_kms),
    Control("volume-kms", Severity.HIGH, Remediation.STOP_JOB, kms.volume_kms),
    Control("kms-customer-managed", Severity.HIGH, Remediation.STOP_JOB,
            kms.kms_customer_managed, frozenset({Fact.KEYS})),
    Control("kms-deploy-accounts", Severity.MEDIUM, Remediation.REPORT, kms.kms_deploy_accounts,
            frozenset({Fact.KEYS, Fact.KEY_POLICIES})),
    Control("network-isolation", Severity.MEDIUM, Remediation.STOP_JOB,
            encryption.network_isolation),
)  # fmt: skip

GROUP_CONTROLS: tuple[Control, ...] = (
    Control("sg-no-public-ingress", Severity.CRITICAL, Remediation.REVOKE_RULES,
            security_groups.sg_no_public_ingress, frozenset({Fact.SECURITY_GROUPS})),
    Control("sg-ipsec-self-rules", Severity.MEDIUM, Remediation.ADD_RULES,
            security_groups.sg_ipsec_self_rules, frozenset({Fact.SECURITY_GROUPS, Fact.VPCS})),
    Control("sg-efa-self-rules", Severity.MEDIUM, Remediation.ADD_RULES,
            security_groups.sg_efa_self_rules, frozenset({Fact.SECURITY_GROUPS})),
)  # fmt: skip

CONTROLS_BY_ID = {c.id: c for c in JOB_CONTROLS + GROUP_CONTROLS}


def evaluate_job(job: JobFacts, evidence: Evidence, policy: Policy) -> tuple[Finding, ...]:
    """Every finding of every control, for every spec of the job, without duplicates."""
    findings: dict[Finding, None] = {}
    label_specs = len(job.specs) > 1
    for control in JOB_CONTROLS:
        for spec in job.specs:
            for message in control.check(spec, evidence, policy):
                text = f"Definition {spec.label}: {message}" if label_specs else message
                findings[Finding(control.id, control.severity, text)] = None
    return tuple(findings)


def evaluate_group(facts: GroupFacts, policy: Policy) -> tuple[Finding, ...]:
    return tuple(
        Finding(control.id, control.severity, message)
        for control in GROUP_CONTROLS
        for message in control.check(facts, policy)
    )


def remediation_of(finding: Finding) -> Remediation:
    return CONTROLS_BY_ID[finding.control].remediation


def facts_needed(policy: Policy) -> frozenset[Fact]:
    needed = frozenset().union(*(c.needs for c in JOB_CONTROLS))
    if not policy.deploy_account_ids:
        needed -= {Fact.KEY_POLICIES}
    return needed
