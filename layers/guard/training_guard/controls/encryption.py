"""Controls on how the job itself is configured: traffic encryption and network isolation."""

from __future__ import annotations

from collections.abc import Iterator

from training_guard.config import Policy
from training_guard.facts.evidence import Evidence
from training_guard.facts.jobs import TrainingSpec


def describe_instances(spec: TrainingSpec) -> str:
    return " + ".join(f"{g.count} x {g.instance_type}" for g in spec.instance_groups)


def inter_container_encryption(spec: TrainingSpec, _: Evidence, __: Policy) -> Iterator[str]:
    # A single instance has no inter-container traffic to encrypt: no finding.
    if spec.is_distributed and not spec.inter_container_encryption:
        yield (
            f"Distributed training on {describe_instances(spec)} without "
            "EnableInterContainerTrafficEncryption: data and model parameters cross the "
            "network between instances in clear text. Resubmit with "
            "EnableInterContainerTrafficEncryption=true (SageMaker Python SDK: "
            "encrypt_inter_container_traffic=True)."
        )


def network_isolation(spec: TrainingSpec, _: Evidence, policy: Policy) -> Iterator[str]:
    if policy.require_network_isolation and not spec.network_isolation:
        yield (
            "EnableNetworkIsolation is not set, and this account requires it "
            "(REQUIRE_NETWORK_ISOLATION=true): the training container can make outbound "
            "network calls. Resubmit with EnableNetworkIsolation=true."
        )
