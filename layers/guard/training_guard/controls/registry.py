"""The control registry: every control once, and how a job or a set of groups is judged.

The ids are public (DESIGN.md, Contract). The effects layer derives what to load and
the template the IAM actions each function needs from these declarations.
"""

from __future__ import annotations

from training_guard.config import Policy
from training_guard.controls import encryption, kms, security_groups, vpc
from training_guard.controls.base import Control, Remediation, Scope, Verdict
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.groups import GroupSet, SelfTraffic
from training_guard.facts.instances import profile_from_table
from training_guard.facts.jobs import JobFacts, TrainingSpec
from training_guard.model import Finding

CONTROLS: tuple[Control, ...] = (
    encryption.inter_container_encryption,
    vpc.vpc_config,
    security_groups.sg_ipsec_self_rules,
    security_groups.sg_efa_self_rules,
    security_groups.sg_no_public_ingress,
    vpc.subnet_capacity,
    vpc.s3_private_endpoint,
    kms.output_kms,
    kms.volume_kms,
    kms.kms_customer_managed,
    kms.kms_deploy_accounts,
    encryption.network_isolation,
)
CONTROLS_BY_ID = {c.id: c for c in CONTROLS}
JOB_CONTROLS = tuple(c for c in CONTROLS if c.scope is Scope.JOB)
GROUP_CONTROLS = tuple(c for c in CONTROLS if c.scope is Scope.GROUPS)
# What the request alone decides: controls that need no fact but the instance table,
# which ships with the guard.
REQUEST_CONTROLS = tuple(c for c in JOB_CONTROLS if set(c.needs) <= {Fact.INSTANCE_TYPES})


def evaluate_job(job: JobFacts, evidence: Evidence, policy: Policy) -> tuple[Finding, ...]:
    """Every finding of every control, for every spec of the job, without duplicates.
    The groups of each spec are judged as one set, as the security-group guard does."""
    return _job_findings(job, evidence, policy, JOB_CONTROLS, with_groups=True)


def evaluate_request(job: JobFacts, policy: Policy) -> tuple[Finding, ...]:
    """What the job's own settings show, before any AWS fact is loaded: the instance
    types the table knows, and nothing concluded of the types it does not."""
    types = {t for spec in job.specs for t in spec.instance_types}
    evidence = Evidence(instances={t: profile_from_table(t) for t in types})
    return _job_findings(job, evidence, policy, REQUEST_CONTROLS, with_groups=False)


def _job_findings(
    job: JobFacts,
    evidence: Evidence,
    policy: Policy,
    controls: tuple[Control, ...],
    *,
    with_groups: bool,
) -> tuple[Finding, ...]:
    findings: dict[Finding, None] = {}
    label_specs = len(job.specs) > 1
    for spec in job.specs:
        prefix = f"Definition {spec.label}: " if label_specs else ""
        for control in controls:
            for verdict in control.check(spec, evidence, policy):
                findings[finding(control, verdict, prefix)] = None
        if with_groups:
            groups = group_set(spec, evidence, f"{job.kind.label} {job.name}")
            for group_finding in evaluate_groups(groups, policy, prefix):
                findings[group_finding] = None
    return tuple(findings)


def evaluate_groups(groups: GroupSet, policy: Policy, prefix: str = "") -> tuple[Finding, ...]:
    if not groups.groups:
        return ()
    return tuple(
        finding(control, verdict, prefix)
        for control in GROUP_CONTROLS
        for verdict in control.check(groups, policy)
    )


def finding(control: Control, verdict: Verdict, prefix: str = "") -> Finding:
    remediation = Remediation.REPORT if verdict.report_only else control.remediation
    return Finding(
        control.id, control.severity, prefix + verdict.message, remediation.value, verdict.evidence
    )


def remediation_of(found: Finding) -> Remediation:
    return Remediation(found.remediation)


def group_set(spec: TrainingSpec, evidence: Evidence, used_by: str) -> GroupSet:
    """The job's existing groups, judged together, with what its instances exchange."""
    return GroupSet(
        groups=tuple(
            evidence.security_groups[g]
            for g in spec.security_groups
            if g in evidence.security_groups
        ),
        traffic=self_traffic(spec, evidence),
        networks=tuple(
            subnet.cidr for s in spec.subnets if (subnet := evidence.subnets.get(s)) and subnet.cidr
        ),
        prefix_lists=evidence.prefix_lists,
        used_by=used_by,
        efa_types=efa_types(spec, evidence),
    )


def self_traffic(spec: TrainingSpec, evidence: Evidence) -> SelfTraffic:
    if not spec.is_distributed:
        return SelfTraffic.NONE  # one instance exchanges nothing with itself
    return SelfTraffic.IPSEC_EFA if efa_types(spec, evidence) else SelfTraffic.IPSEC


def efa_types(spec: TrainingSpec, evidence: Evidence) -> tuple[str, ...]:
    """EFA types of layouts with more than one instance; an unclassified type is not EFA."""
    return tuple(
        t for t in spec.distributed_types if (p := evidence.instance(t)) is not None and p.efa
    )


def facts_needed(policy: Policy, controls: tuple[Control, ...] = CONTROLS) -> frozenset[Fact]:
    needed = frozenset().union(*(c.needs for c in controls))
    if not policy.deploy_account_ids:
        needed -= {Fact.KEY_POLICIES}
    return needed
