"""Who a key policy lets decrypt."""

from __future__ import annotations

from typing import Any

import pytest

from training_guard.facts.keys import KeyFacts, accounts_that_can_decrypt

A, B = "111111111111", "222222222222"


def allow(principal: Any, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def deny(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": "kms:*", "Resource": "*", **extra}


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([allow({"AWS": f"arn:aws:iam::{A}:root"})], {A}),
        ([allow({"AWS": A})], {A}),
        ([allow({"AWS": [f"arn:aws:iam::{A}:role/deployer", f"arn:aws:iam::{B}:root"]})], {A, B}),
        ([allow({"AWS": "*"})], {A, B}),
        ([allow("*")], {A, B}),
        ([allow({"AWS": A}, action="kms:*")], {A}),
        ([allow({"AWS": A}, action=["kms:Encrypt", "kms:De*"])], {A}),
        ([allow({"AWS": A}, action="kms:Encrypt")], set()),
        ([allow({"Service": "sagemaker.amazonaws.com"})], set()),
        ([allow({"AWS": [A, B]}), deny({"AWS": B})], {A}),
        # A Deny the guard cannot evaluate is not held against the account.
        ([allow({"AWS": [A, B]}), deny({"AWS": B}, Condition={"Bool": {"aws:ViaAWSService": "false"}})],
         {A, B}),
    ],
)  # fmt: skip
def test_accounts_that_can_decrypt(statements: list[dict[str, Any]], allowed: set[str]) -> None:
    assert accounts_that_can_decrypt({"Statement": statements}, [A, B]) == allowed


def test_single_statement_object_is_accepted() -> None:
    assert accounts_that_can_decrypt({"Statement": allow({"AWS": A})}, [A]) == {A}


@pytest.mark.parametrize(
    ("reference", "manager", "aws_managed"),
    [
        ("alias/aws/s3", None, True),
        ("arn:aws:kms:us-east-1:123456789012:alias/aws/sagemaker", None, True),
        ("alias/training-artifacts", "CUSTOMER", False),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", "AWS", True),
        ("alias/awesome", None, False),
    ],
)
def test_aws_managed_keys(reference: str, manager: str | None, aws_managed: bool) -> None:
    assert KeyFacts(reference, manager=manager).is_aws_managed is aws_managed
