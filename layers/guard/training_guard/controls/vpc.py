"""Controls on where the job runs: its VPC, its subnets' free addresses, its S3 endpoint."""

from __future__ import annotations

from collections.abc import Iterator

from training_guard.config import Policy
from training_guard.controls.base import Remediation, Scope, Verdict, control
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.jobs import TrainingSpec
from training_guard.model import Severity

ADDRESSES_PER_INSTANCE = 2
ADDRESSES_PER_EFA_INSTANCE = 5


@control(
    "vpc-config",
    severity=Severity.HIGH,
    remediation=Remediation.STOP_JOB,
    scope=Scope.JOB,
    why="Without VpcConfig the training containers run in a SageMaker-managed network with "
    "internet access, outside your security groups, flow logs and endpoints.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html",
    fix="Give every training job VpcConfig with private subnets and a training security "
    "group, and deny the rest with the sagemaker:VpcSubnets and "
    "sagemaker:VpcSecurityGroupIds condition keys.",
    needs=(Fact.SECURITY_GROUPS, Fact.SUBNETS),
)
def vpc_config(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[Verdict]:
    """The job has VpcConfig with at least one subnet and one security group."""
    if spec.serverless:
        return  # a serverless job takes no VpcConfig: nothing it could comply with
    if not spec.has_vpc:
        missing = " and no ".join(
            name
            for name, present in (
                ("subnets", spec.subnets),
                ("security groups", spec.security_groups),
            )
            if not present
        )
        yield Verdict(
            f"VpcConfig has no {missing}: the job runs in a SageMaker-managed network with "
            "internet access instead of your VPC. Resubmit with VpcConfig naming private "
            "subnets and a security group."
        )
        return
    absent = [g for g in spec.security_groups if g not in evidence.security_groups]
    absent += [s for s in spec.subnets if s not in evidence.subnets]
    if absent:
        yield Verdict(
            f"VpcConfig names {', '.join(absent)}, which this account and region do not "
            "have; the job cannot start in its VPC. Resubmit with existing subnets and "
            "security groups."
        )


@control(
    "subnet-capacity",
    severity=Severity.MEDIUM,
    remediation=Remediation.REPORT,
    scope=Scope.JOB,
    why="Each training instance takes 2 addresses in the job's subnets (5 with EFA); a "
    "subnet without them makes the job fail at start or wait for capacity.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html",
    fix="Use subnets with room for the largest cluster you train on, or add larger "
    "subnets to VpcConfig.",
    needs=(Fact.SUBNETS, Fact.INSTANCE_TYPES),
)
def subnet_capacity(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[Verdict]:
    """The job's subnets have 2 free addresses per instance (5 per EFA instance)."""
    needed = max(
        (
            sum(g.count * _addresses_per_instance(g.instance_type, evidence) for g in cluster)
            for cluster in spec.clusters
        ),
        default=0,
    )
    subnets = [evidence.subnets[s] for s in spec.subnets if s in evidence.subnets]
    short = [s for s in subnets if s.available_addresses < needed]
    if not short:
        return
    listing = ", ".join(f"{s.id} has {s.available_addresses}" for s in short)
    scope = (
        "None of the job's subnets" if len(short) == len(subnets) else "Some of the job's subnets"
    )
    yield Verdict(
        f"{scope} can hold the job: it needs {needed} free IP addresses "
        f"({ADDRESSES_PER_INSTANCE} per instance, {ADDRESSES_PER_EFA_INSTANCE} per EFA "
        f"instance), and {listing}. Free addresses in those subnets or add larger subnets "
        "to VpcConfig."
    )


def _addresses_per_instance(instance_type: str, evidence: Evidence) -> int:
    # An instance type nobody could classify counts as without EFA: fewer addresses,
    # so no false alarm.
    profile = evidence.instance(instance_type)
    return ADDRESSES_PER_EFA_INSTANCE if profile and profile.efa else ADDRESSES_PER_INSTANCE


@control(
    "s3-private-endpoint",
    severity=Severity.LOW,
    remediation=Remediation.REPORT,
    scope=Scope.JOB,
    why="Without an S3 VPC endpoint, training data and model artifacts reach S3 over a NAT "
    "gateway and the internet, or not at all.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/train-vpc.html#train-vpc-s3",
    fix="Create an S3 gateway endpoint in the VPC and associate it with the training "
    "subnets' route tables.",
    needs=(Fact.SUBNETS, Fact.S3_ENDPOINTS),
)
def s3_private_endpoint(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[Verdict]:
    """The job's VPC has an S3 gateway endpoint."""
    vpcs = sorted({evidence.subnets[s].vpc_id for s in spec.subnets if s in evidence.subnets})
    lacking = [v for v in vpcs if v not in evidence.vpcs_with_s3_endpoint]
    if lacking:
        yield Verdict(
            f"VPC {', '.join(lacking)} has no S3 VPC endpoint: training data and model "
            "artifacts reach S3 over a NAT gateway or not at all. Create an S3 gateway "
            "endpoint and associate it with the subnets' route tables."
        )
