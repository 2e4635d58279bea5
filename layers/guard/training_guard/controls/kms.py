"""Controls on the keys that encrypt model artifacts and training volumes."""

from __future__ import annotations

from collections.abc import Iterator

from training_guard.config import Policy
from training_guard.controls.base import Remediation, Scope, Verdict, control
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.identifiers import arn_field
from training_guard.facts.jobs import TrainingSpec
from training_guard.facts.key_policies import Access, decrypt_access
from training_guard.model import Severity


@control(
    "output-kms",
    severity=Severity.HIGH,
    remediation=Remediation.STOP_JOB,
    scope=Scope.JOB,
    why="Without OutputDataConfig.KmsKeyId model artifacts are encrypted with the default "
    "S3 key, which cannot be shared, so the model can never be deployed from another account.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_OutputDataConfig.html",
    fix="Set OutputDataConfig.KmsKeyId to a customer managed key on every job and deny the "
    "rest with the sagemaker:OutputKmsKeyArn condition key.",
)
def output_kms(spec: TrainingSpec, _: Evidence, __: Policy) -> Iterator[Verdict]:
    """OutputDataConfig.KmsKeyId is set: model artifacts are encrypted with a key you manage."""
    if not spec.output_kms_key:
        yield Verdict(
            "OutputDataConfig.KmsKeyId is not set: model artifacts are encrypted with the "
            "default S3 key, which cannot be shared, so the model can never be deployed from "
            "another account. Resubmit with a customer managed KMS key."
        )


@control(
    "volume-kms",
    severity=Severity.HIGH,
    remediation=Remediation.STOP_JOB,
    scope=Scope.JOB,
    why="Without ResourceConfig.VolumeKmsKeyId the EBS volumes of the training instances are "
    "encrypted with an AWS managed key whose use you cannot control or audit.",
    docs="https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceConfig.html",
    fix="Set ResourceConfig.VolumeKmsKeyId to a customer managed key for instance types with "
    "EBS storage (types with local NVMe storage refuse one), and deny the rest with the "
    "sagemaker:VolumeKmsKeyArn condition key.",
    needs=(Fact.INSTANCE_TYPES,),
)
def volume_kms(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[Verdict]:
    """ResourceConfig.VolumeKmsKeyId is set where the instance type has EBS storage."""
    if spec.volume_kms_key or not spec.clusters:
        return  # serverless jobs have no volumes of their own to key
    profiles = {t: evidence.instance(t) for t in spec.instance_types}
    local = [t for t, p in profiles.items() if p and p.local_storage]
    ebs = [t for t, p in profiles.items() if p and not p.local_storage]
    unknown = [t for t, p in profiles.items() if p is None]
    if not ebs and not unknown:
        return  # local NVMe storage only: encrypted in hardware, and AWS refuses a key
    if not local and not unknown:
        yield Verdict(
            f"ResourceConfig.VolumeKmsKeyId is not set for {', '.join(ebs)}, whose ML storage "
            "volumes are EBS: they are encrypted with an AWS managed key you do not control. "
            "Resubmit with a customer managed KMS key."
        )
        return
    if local:
        yield Verdict(
            f"The job mixes instance types with local storage ({', '.join(local)}), for which "
            "AWS refuses a VolumeKmsKeyId, and types whose volumes may be EBS "
            f"({', '.join(ebs + unknown)}), which then use an AWS managed key. Reported, not "
            "stopped: the job cannot carry a volume key. Train the EBS types in a job of "
            "their own with a customer managed VolumeKmsKeyId.",
            report_only=True,
        )
        return
    yield Verdict(
        f"ResourceConfig.VolumeKmsKeyId is not set, and neither Training Guard's table nor "
        f"EC2 could say whether {', '.join(unknown)} has local storage (then no key is "
        "allowed) or EBS volumes (then an AWS managed key encrypts them). Reported, not "
        "stopped: check the instance type.",
        report_only=True,
    )


@control(
    "kms-customer-managed",
    severity=Severity.HIGH,
    remediation=Remediation.STOP_JOB,
    scope=Scope.JOB,
    why="An AWS managed key's policy cannot be changed, so no other account can ever "
    "decrypt what it encrypts, and you cannot restrict or audit who uses it.",
    docs="https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-mgmt",
    fix="Use customer managed keys for OutputDataConfig.KmsKeyId and "
    "ResourceConfig.VolumeKmsKeyId, never an alias under alias/aws/.",
    needs=(Fact.KEYS,),
)
def kms_customer_managed(spec: TrainingSpec, evidence: Evidence, _: Policy) -> Iterator[Verdict]:
    """The output and volume keys are customer managed, not AWS managed."""
    for field, reference in (
        ("OutputDataConfig.KmsKeyId", spec.output_kms_key),
        ("ResourceConfig.VolumeKmsKeyId", spec.volume_kms_key),
    ):
        if reference and evidence.key(reference).is_aws_managed:
            yield Verdict(
                f"{field} is {reference}, an AWS managed key: its policy cannot be changed, "
                "so no other account can ever decrypt with it. Use a customer managed key."
            )


@control(
    "kms-deploy-accounts",
    severity=Severity.MEDIUM,
    remediation=Remediation.REPORT,
    scope=Scope.JOB,
    why="Accounts that deploy the model must decrypt its artifacts; a key policy that does "
    "not let them makes every cross-account deployment fail.",
    docs="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
    fix="Add a key policy statement that allows kms:Decrypt and kms:DescribeKey to every "
    "deploy account, and grant the same in those accounts' IAM policies.",
    needs=(Fact.KEYS, Fact.KEY_POLICIES),
)
def kms_deploy_accounts(
    spec: TrainingSpec, evidence: Evidence, policy: Policy
) -> Iterator[Verdict]:
    """The output key's policy lets every DEPLOY_ACCOUNT_IDS account decrypt."""
    reference = spec.output_kms_key
    if not policy.deploy_account_ids or not reference:
        return
    key = evidence.key(reference)
    if key.is_aws_managed:
        return  # kms-customer-managed already says why this key can never be shared
    owner = arn_field(key.arn or reference, 4)
    if key.policy is None:
        yield Verdict(_unread(reference, owner, key.error, policy.deploy_account_ids))
        return
    verdicts = decrypt_access(key.policy, policy.deploy_account_ids, owner)
    lacking = [v for v in verdicts.values() if v.access is not Access.ALLOWED]
    if lacking:
        reasons = "; ".join(f"{v.account}: {v.access.value}, {v.reason}" for v in lacking)
        yield Verdict(
            f"The key policy of {reference} does not surely let deploy account(s) "
            f"{', '.join(v.account for v in lacking)} call kms:Decrypt ({reasons}), so they "
            "may not deploy this model. Add them to a key policy statement allowing "
            "kms:Decrypt and kms:DescribeKey."
        )


def _unread(reference: str, owner: str | None, error: str | None, accounts: tuple[str, ...]) -> str:
    whose = f", owned by account {owner}," if owner else ""
    reason = error or "no policy was returned"
    return (
        f"Could not read the key policy of {reference}{whose} ({reason}), so Training Guard "
        f"cannot confirm that deploy accounts {', '.join(accounts)} can decrypt the model "
        "artifacts. GetKeyPolicy works only in the key's own account: check the policy "
        "there, or grant kms:GetKeyPolicy for a key of this account."
    )
