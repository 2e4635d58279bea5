"""Controls on the keys that encrypt model artifacts and training volumes."""

from __future__ import annotations

from collections.abc import Iterator

from training_guard.config import Policy
from training_guard.facts.evidence import Evidence
from training_guard.facts.instances import has_local_nvme
from training_guard.facts.jobs import TrainingSpec
from training_guard.facts.keys import accounts_that_can_decrypt


def output_kms(spec: TrainingSpec, _: Evidence, __: Policy) -> Iterator[str]:
    if not spec.output_kms_key:
        yield (
            "OutputDataConfig.KmsKeyId is not set: model artifacts are encrypted with the "
            "default S3 key, which cannot be shared, so the model can never be deployed from "
            "another account. Resubmit with a customer managed KMS key."
        )


def volume_kms(spec: TrainingSpec, _: Evidence, __: Policy) -> Iterator[str]:
    if spec.needs_volume_key and not spec.volume_kms_key:
        ebs_types = ", ".join(t for t in spec.instance_types if not has_local_nvme(t))
        yield (
            f"ResourceConfig.VolumeKmsKeyId is not set for {ebs_types}, whose ML storage "
            "volumes are EBS: they are encrypted with an AWS managed key you do not control. "
            "Resubmit with a customer managed KMS key."
        )


def kms_customer_managed(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[str]:
    for field, reference in (
        ("OutputDataConfig.KmsKeyId", spec.output_kms_key),
        ("ResourceConfig.VolumeKmsKeyId", spec.volume_kms_key),
    ):
        if reference and evidence.key(reference).is_aws_managed:
            yield (
                f"{field} is {reference}, an AWS managed key: its policy cannot be changed, "
                "so no other account can ever decrypt with it. Use a customer managed key."
            )


def kms_deploy_accounts(spec: TrainingSpec, evidence: Evidence, policy: Policy) -> Iterator[str]:
    reference = spec.output_kms_key
    if not policy.deploy_account_ids or not reference:
        return
    key = evidence.key(reference)
    if key.is_aws_managed:
        return  # kms-customer-managed already says why this key can never be shared
    if key.policy is None:
        reason = key.error or "no policy was returned"
        yield (
            f"Could not read the key policy of {reference} ({reason}), so Training Guard "
            f"cannot confirm that deploy accounts {', '.join(policy.deploy_account_ids)} can "
            "decrypt the model artifacts. Check the key policy, or grant kms:GetKeyPolicy."
        )
        return
    allowed = accounts_that_can_decrypt(key.policy, policy.deploy_account_ids)
    missing = [a for a in policy.deploy_account_ids if a not in allowed]
    if missing:
        yield (
            f"The key policy of {reference} does not let deploy account(s) "
            f"{', '.join(missing)} call kms:Decrypt, so they cannot deploy this model. Add "
            "them to a key policy statement allowing kms:Decrypt and kms:DescribeKey."
        )
