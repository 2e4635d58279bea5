"""Controls on how the job itself is configured: traffic encryption and network isolation."""

from __future__ import annotations

from collections.abc import Iterator

from training_guard.config import Policy
from training_guard.controls.base import Remediation, Scope, Verdict, control
from training_guard.facts.evidence import Evidence
from training_guard.facts.jobs import TrainingSpec
from training_guard.model import Severity


@control(
    "inter-container-encryption",
    severity=Severity.HIGH,
    remediation=Remediation.STOP_JOB,
    scope=Scope.JOB,
    why="Distributed training sends data and model parameters between instances; without "
    "EnableInterContainerTrafficEncryption they cross the network in clear text.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/train-encrypt.html",
    fix="Set EnableInterContainerTrafficEncryption=true on every multi-instance job "
    "(SageMaker Python SDK: encrypt_inter_container_traffic=True), in your pipeline "
    "templates, and deny the rest with the sagemaker:InterContainerTrafficEncryption "
    "condition key.",
)
def inter_container_encryption(spec: TrainingSpec, _: Evidence, __: Policy) -> Iterator[Verdict]:
    """A training or tuning job on more than one instance sets
    EnableInterContainerTrafficEncryption."""
    # A single instance has no inter-container traffic to encrypt: no finding.
    if not spec.is_distributed or spec.inter_container_encryption:
        return
    if spec.inter_container_encryption is None:
        yield Verdict(
            f"Distributed training on {spec.describe_instances()}, and AWS did not say "
            "whether EnableInterContainerTrafficEncryption is set: check the job, and "
            "resubmit with it set to true if it is not.",
            report_only=True,
        )
        return
    yield Verdict(
        f"Distributed training on {spec.describe_instances()} without "
        "EnableInterContainerTrafficEncryption: data and model parameters cross the "
        "network between instances in clear text. Resubmit with "
        "EnableInterContainerTrafficEncryption=true (SageMaker Python SDK: "
        "encrypt_inter_container_traffic=True)."
    )


@control(
    "network-isolation",
    severity=Severity.MEDIUM,
    remediation=Remediation.STOP_JOB,
    scope=Scope.JOB,
    why="Without EnableNetworkIsolation the training container can make outbound network "
    "calls, so code in it can send data anywhere the network allows.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html",
    fix="Set EnableNetworkIsolation=true on every training job and deny the rest with the "
    "sagemaker:NetworkIsolation condition key.",
)
def network_isolation(spec: TrainingSpec, _: Evidence, policy: Policy) -> Iterator[Verdict]:
    """The job sets EnableNetworkIsolation (only where REQUIRE_NETWORK_ISOLATION is true)."""
    if not policy.require_network_isolation or spec.network_isolation:
        return
    if spec.network_isolation is None:
        yield Verdict(
            "AWS did not say whether EnableNetworkIsolation is set, and this account "
            "requires it (REQUIRE_NETWORK_ISOLATION=true): check the job.",
            report_only=True,
        )
        return
    yield Verdict(
        "EnableNetworkIsolation is not set, and this account requires it "
        "(REQUIRE_NETWORK_ISOLATION=true): the training container can make outbound "
        "network calls. Resubmit with EnableNetworkIsolation=true."
    )
