"""KMS: AWS managed keys.

AWS: the keys behind the reserved aliases `alias/aws/<service>` (alias/aws/s3,
alias/aws/sagemaker, ...) are AWS managed, and DescribeKey reports
`KeyManager: AWS` for them (KMS API reference, KeyMetadata.KeyManager).
moto 5.2: creates those keys on first use but reports `KeyManager: CUSTOMER` for
every key.
"""

from __future__ import annotations

from typing import Any

from moto.kms.models import KmsBackend


def install() -> None:
    original = KmsBackend._generate_default_keys

    def generate_default_keys(self: Any, alias_name: str) -> str | None:
        key_id = original(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
        return key_id

    KmsBackend._generate_default_keys = generate_default_keys  # type: ignore[method-assign]
