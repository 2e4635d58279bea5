"""Key policies read as IAM reads them: who may call kms:Decrypt."""

from __future__ import annotations

from typing import Any

import pytest

from training_guard.facts.key_policies import Access, DecryptAccess, decrypt_access

A, B = "111111111111", "222222222222"
ALLOWED, DENIED, NOT_GRANTED, UNCONFIRMED = (
    Access.ALLOWED,
    Access.DENIED,
    Access.NOT_GRANTED,
    Access.UNCONFIRMED,
)


def root(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


def role(account: str, name: str = "deployer", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{name}"


def allow(principal: Any, action: Any = "kms:Decrypt", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def deny(principal: Any, action: Any = "kms:*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": "*", **extra}


def when(operator: str, key: str, values: Any) -> dict[str, Any]:
    return {"Condition": {operator: {key: values}}}


def judge(
    statements: Any, accounts: tuple[str, ...] = (A, B), key_account: str | None = None
) -> dict[str, DecryptAccess]:
    return decrypt_access({"Version": "2012-10-17", "Statement": statements}, accounts, key_account)


def accesses(statements: Any) -> tuple[Access, Access]:
    result = judge(statements)
    return result[A].access, result[B].access


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        # Principals
        pytest.param([allow({"AWS": root(A)})], (ALLOWED, NOT_GRANTED), id="root-arn"),
        pytest.param([allow({"AWS": A})], (ALLOWED, NOT_GRANTED), id="account-id"),
        pytest.param([allow({"AWS": [role(A), root(B)]})], (ALLOWED, ALLOWED), id="role-and-root"),
        pytest.param([allow({"AWS": f"arn:aws:iam::{A}:user/ops/alice"})], (ALLOWED, NOT_GRANTED), id="user"),
        pytest.param([allow({"AWS": f"arn:aws:sts::{A}:assumed-role/deployer/ci"})], (ALLOWED, NOT_GRANTED), id="assumed-role-session"),
        pytest.param([allow("*")], (ALLOWED, ALLOWED), id="principal-star"),
        pytest.param([allow({"AWS": "*"})], (ALLOWED, ALLOWED), id="aws-star"),
        pytest.param([allow({"AWS": [A, "*"]})], (ALLOWED, ALLOWED), id="aws-star-in-list"),
        pytest.param([allow({"Service": "sagemaker.amazonaws.com"})], (NOT_GRANTED, NOT_GRANTED), id="service-principal"),
        pytest.param([allow({"Federated": "cognito-identity.amazonaws.com"})], (NOT_GRANTED, NOT_GRANTED), id="federated-principal"),
        pytest.param([allow({"AWS": "AROAEXAMPLEUNIQUEID1"})], (NOT_GRANTED, NOT_GRANTED), id="unique-id-of-deleted-role"),
        pytest.param([allow({"AWS": "333333333333"})], (NOT_GRANTED, NOT_GRANTED), id="other-account"),
        # Partitions
        pytest.param([allow({"AWS": root(A, "aws-cn")})], (ALLOWED, NOT_GRANTED), id="aws-cn-root"),
        pytest.param([allow({"AWS": role(B, partition="aws-us-gov")})], (NOT_GRANTED, ALLOWED), id="aws-us-gov-role"),
        pytest.param([allow("*", **when("ArnLike", "aws:PrincipalArn", f"arn:aws-cn:iam::{A}:role/*"))], (ALLOWED, NOT_GRANTED), id="aws-cn-principal-arn"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": root(B, "aws-cn")})], (ALLOWED, DENIED), id="aws-cn-deny"),
        # Actions
        pytest.param([allow({"AWS": A}, action="kms:*")], (ALLOWED, NOT_GRANTED), id="kms-star"),
        pytest.param([allow({"AWS": A}, action="*")], (ALLOWED, NOT_GRANTED), id="star"),
        pytest.param([allow({"AWS": A}, action=["kms:Encrypt", "kms:De*"])], (ALLOWED, NOT_GRANTED), id="prefix-wildcard"),
        pytest.param([allow({"AWS": A}, action="KMS:DECRYPT")], (ALLOWED, NOT_GRANTED), id="action-case"),
        pytest.param([allow({"AWS": A}, action="kms:Decryp?")], (ALLOWED, NOT_GRANTED), id="question-mark"),
        pytest.param([allow({"AWS": A}, action="kms:Encrypt")], (NOT_GRANTED, NOT_GRANTED), id="encrypt-only"),
        pytest.param([allow({"AWS": A}, action=["kms:Encrypt", "kms:GenerateDataKey*"])], (NOT_GRANTED, NOT_GRANTED), id="encrypt-and-data-keys"),
        pytest.param([allow({"AWS": A}, action="s3:*")], (NOT_GRANTED, NOT_GRANTED), id="other-service"),
        pytest.param([{"Effect": "Allow", "Principal": {"AWS": A}, "NotAction": ["kms:Encrypt", "kms:ScheduleKeyDeletion"]}], (ALLOWED, NOT_GRANTED), id="not-action-keeps-decrypt"),
        pytest.param([{"Effect": "Allow", "Principal": {"AWS": A}, "NotAction": "kms:De*"}], (NOT_GRANTED, NOT_GRANTED), id="not-action-excludes-decrypt"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "Principal": {"AWS": B}, "NotAction": "kms:Describe*"}], (ALLOWED, DENIED), id="deny-not-action-covers-decrypt"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": B}, action="kms:ScheduleKeyDeletion")], (ALLOWED, ALLOWED), id="deny-other-action"),
        # kms:CallerAccount / aws:PrincipalAccount
        pytest.param([allow("*", **when("StringEquals", "kms:CallerAccount", A))], (ALLOWED, NOT_GRANTED), id="caller-account-one-of-two"),
        pytest.param([allow("*", **when("StringEquals", "kms:CallerAccount", [A, B]))], (ALLOWED, ALLOWED), id="caller-account-values-ored"),
        pytest.param([allow({"AWS": "*"}, **when("StringEquals", "aws:PrincipalAccount", B))], (NOT_GRANTED, ALLOWED), id="principal-account"),
        pytest.param([allow("*", **when("StringLike", "kms:CallerAccount", "1111*"))], (ALLOWED, NOT_GRANTED), id="caller-account-like"),
        pytest.param([allow("*", **when("StringEqualsIfExists", "kms:CallerAccount", A))], (ALLOWED, NOT_GRANTED), id="if-exists"),
        pytest.param([allow("*", **when("ForAnyValue:StringEquals", "kms:CallerAccount", A))], (ALLOWED, NOT_GRANTED), id="for-any-value"),
        pytest.param([allow("*", **when("ForAllValues:StringEquals", "aws:PrincipalAccount", B))], (NOT_GRANTED, ALLOWED), id="for-all-values"),
        pytest.param([allow("*", **when("StringNotEquals", "aws:PrincipalAccount", [A]))], (NOT_GRANTED, ALLOWED), id="allow-all-but-a"),
        pytest.param([allow("*", **when("StringNotEquals", "aws:PrincipalAccount", [A, B]))], (NOT_GRANTED, NOT_GRANTED), id="negated-differs-from-all"),
        pytest.param([allow({"AWS": root(A)}, **when("StringEquals", "kms:CallerAccount", B))], (NOT_GRANTED, NOT_GRANTED), id="principal-and-condition-disagree"),
        pytest.param([allow("*", **when("Null", "kms:CallerAccount", "false"))], (ALLOWED, ALLOWED), id="null-false-on-caller-account"),
        pytest.param([allow("*", **when("Null", "kms:CallerAccount", "true"))], (NOT_GRANTED, NOT_GRANTED), id="null-true-on-caller-account"),
        pytest.param([allow("*", **when("Bool", "aws:PrincipalIsAWSService", "true"))], (NOT_GRANTED, NOT_GRANTED), id="service-principals-only"),
        # Multiple keys and operators are ANDed
        pytest.param([allow("*", Condition={"StringEquals": {"kms:CallerAccount": [A, B], "kms:ViaService": "s3.us-east-1.amazonaws.com"}})], (ALLOWED, ALLOWED), id="and-with-steerable-key"),
        pytest.param([allow("*", Condition={"StringEquals": {"kms:CallerAccount": [A, B]}, "StringNotEquals": {"aws:PrincipalAccount": B}})], (ALLOWED, NOT_GRANTED), id="and-across-operators"),
        pytest.param([allow("*", Condition={"StringEquals": {"kms:CallerAccount": A}, "StringLike": {"aws:PrincipalOrgID": "o-*"}})], (UNCONFIRMED, NOT_GRANTED), id="and-with-org"),
        # aws:PrincipalArn
        pytest.param([allow("*", **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:role/*"))], (ALLOWED, NOT_GRANTED), id="principal-arn-role-wildcard"),
        pytest.param([allow("*", **when("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/deployer"))], (ALLOWED, ALLOWED), id="principal-arn-any-account"),
        pytest.param([allow("*", **when("ArnEquals", "aws:PrincipalArn", role(B)))], (NOT_GRANTED, ALLOWED), id="principal-arn-equals"),
        pytest.param([allow("*", **when("StringLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:*"))], (ALLOWED, NOT_GRANTED), id="principal-arn-string-like"),
        pytest.param([allow("*", **when("StringEquals", "aws:PrincipalArn", root(A)))], (ALLOWED, NOT_GRANTED), id="principal-arn-string-equals-root"),
        pytest.param([allow("*", **when("ArnNotLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:*"))], (NOT_GRANTED, ALLOWED), id="principal-arn-not-like"),
        pytest.param([allow({"AWS": role(A)}, **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:role/deploy*"))], (ALLOWED, NOT_GRANTED), id="principal-and-arn-agree"),
        pytest.param([allow({"AWS": role(A)}, **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:user/*"))], (NOT_GRANTED, NOT_GRANTED), id="principal-and-arn-disagree"),
        pytest.param([allow({"AWS": root(A)}, **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:role/ml-*"))], (ALLOWED, NOT_GRANTED), id="root-narrowed-to-roles"),
        # aws:PrincipalOrgID / aws:PrincipalOrgPaths
        pytest.param([allow("*", **when("StringEquals", "aws:PrincipalOrgID", "o-abc"))], (UNCONFIRMED, UNCONFIRMED), id="org-id-allow"),
        pytest.param([allow("*", **when("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-abc/r-ab12/ou-ab12-11111111/*"))], (UNCONFIRMED, UNCONFIRMED), id="org-paths-allow"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("StringNotEquals", "aws:PrincipalOrgID", "o-abc"))], (UNCONFIRMED, UNCONFIRMED), id="org-deny-never-denies"),
        pytest.param([allow("*", **when("StringEquals", "aws:PrincipalOrgID", "o-abc")), allow({"AWS": B})], (UNCONFIRMED, ALLOWED), id="org-allow-and-plain-allow"),
        # Deny
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": B})], (ALLOWED, DENIED), id="deny-account"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("StringNotEquals", "aws:PrincipalAccount", A))], (ALLOWED, DENIED), id="deny-all-but-a"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("StringNotEquals", "kms:CallerAccount", [A, B]))], (ALLOWED, ALLOWED), id="deny-all-but-both"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("StringEquals", "kms:CallerAccount", B))], (ALLOWED, DENIED), id="deny-by-caller-account"),
        pytest.param([deny("*", **when("StringNotEquals", "aws:PrincipalAccount", A))], (NOT_GRANTED, DENIED), id="deny-without-allow"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"))], (ALLOWED, ALLOWED), id="deny-source-ip"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("Bool", "aws:SecureTransport", "false"))], (ALLOWED, ALLOWED), id="deny-insecure-transport"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": B}, **when("StringNotEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com"))], (ALLOWED, ALLOWED), id="deny-unless-via-s3"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", Condition={"StringNotEquals": {"aws:PrincipalAccount": A}, "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})], (ALLOWED, ALLOWED), id="deny-identity-and-steerable"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": role(B)})], (ALLOWED, ALLOWED), id="deny-one-role-leaves-root"),
        pytest.param([allow({"AWS": [role(A), role(B)]}), deny({"AWS": role(B)})], (ALLOWED, DENIED), id="deny-the-only-allowed-role"),
        pytest.param([allow({"AWS": role(B)}), deny("*", **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{B}:role/*"))], (NOT_GRANTED, DENIED), id="deny-all-roles-of-b"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("ArnNotLike", "aws:PrincipalArn", [f"arn:aws:iam::{A}:*", role(B)]))], (ALLOWED, ALLOWED), id="deny-all-but-one-role"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": root(B)}, **when("StringEquals", "aws:PrincipalArn", root(B))), deny("*", **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{B}:role/*"))], (ALLOWED, ALLOWED), id="deny-root-and-roles-leaves-users"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{B}:*"))], (ALLOWED, DENIED), id="deny-every-principal-arn-of-b"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", **when("ArnLike", "aws:PrincipalArn", [f"arn:aws:iam::{B}:role/*", f"arn:aws:iam::{B}:user/*", root(B)]))], (ALLOWED, DENIED), id="deny-roles-users-and-root-of-b"),
        pytest.param([allow({"AWS": [A, role(B, "other")]}), deny("*", **when("ArnNotLike", "aws:PrincipalArn", [f"arn:aws:iam::{A}:*", role(B)]))], (ALLOWED, DENIED), id="deny-all-but-another-role"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": [A, B]}), allow({"AWS": B})], (DENIED, DENIED), id="deny-wins-over-later-allow"),
        # NotPrincipal
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": {"AWS": A}, "Action": "kms:*"}], (ALLOWED, DENIED), id="deny-not-principal-account"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": {"AWS": [root(A), role(B)]}, "Action": "kms:*"}], (ALLOWED, UNCONFIRMED), id="deny-not-principal-role-only"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": {"AWS": [root(A), role(B), root(B)]}, "Action": "kms:*"}], (ALLOWED, ALLOWED), id="deny-not-principal-role-and-account"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": {"Service": "s3.amazonaws.com"}, "Action": "kms:*"}], (DENIED, DENIED), id="deny-not-principal-service"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": "*", "Action": "kms:*"}], (ALLOWED, ALLOWED), id="deny-not-principal-star"),
        pytest.param([{"Effect": "Allow", "NotPrincipal": {"AWS": A}, "Action": "kms:Decrypt"}], (NOT_GRANTED, ALLOWED), id="allow-not-principal"),
        pytest.param([{"Effect": "Allow", "NotPrincipal": {"AWS": role(A)}, "Action": "kms:Decrypt"}], (ALLOWED, ALLOWED), id="allow-not-principal-role"),
        # Conditions the guard cannot evaluate
        pytest.param([allow({"AWS": A}, **when("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"))], (UNCONFIRMED, NOT_GRANTED), id="allow-until-date"),
        pytest.param([allow({"AWS": A}, **when("StringSoundsLike", "kms:ViaService", "s3"))], (UNCONFIRMED, NOT_GRANTED), id="allow-unknown-operator"),
        pytest.param([allow("*", **when("NumericEquals", "aws:PrincipalAccount", A))], (UNCONFIRMED, UNCONFIRMED), id="allow-odd-operator-on-identity"),
        pytest.param([allow("*", **when("ArnLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:role/x"))], (UNCONFIRMED, UNCONFIRMED), id="allow-policy-variable"),
        pytest.param([allow({"AWS": A}, **when("StringEquals", "kms:EncryptionContext:aws:s3:arn", "arn:aws:s3:::models"))], (ALLOWED, NOT_GRANTED), id="allow-encryption-context"),
        pytest.param([allow({"AWS": A}, **when("Bool", "kms:GrantIsForAWSResource", "true"))], (ALLOWED, NOT_GRANTED), id="allow-grant-for-aws-resource"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": B}, **when("StringSoundsLike", "kms:ViaService", "s3"))], (ALLOWED, UNCONFIRMED), id="deny-unknown-operator"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": B}, **when("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"))], (ALLOWED, UNCONFIRMED), id="deny-after-date"),
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": B}, **when("Bool", "aws:ViaAWSService", "false"))], (ALLOWED, ALLOWED), id="deny-unless-via-service"),
    ],
)  # fmt: skip
def test_decrypt_access(statements: list[dict[str, Any]], expected: tuple[Access, Access]) -> None:
    assert accesses(statements) == expected


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        pytest.param(5, (NOT_GRANTED, NOT_GRANTED), id="statement-a-number"),
        pytest.param("Allow everyone", (NOT_GRANTED, NOT_GRANTED), id="statement-a-string"),
        pytest.param(allow({"AWS": A}), (ALLOWED, NOT_GRANTED), id="statement-single-object"),
        pytest.param([7, "x", None, allow({"AWS": A})], (ALLOWED, NOT_GRANTED), id="non-object-items-skipped"),
        pytest.param([allow(111111111111)], (NOT_GRANTED, NOT_GRANTED), id="principal-a-number"),
        pytest.param([allow({"AWS": 111111111111})], (NOT_GRANTED, NOT_GRANTED), id="aws-principal-a-number"),
        pytest.param([allow({"AWS": [111111111111, B]})], (NOT_GRANTED, ALLOWED), id="number-in-principal-list"),
        pytest.param([allow(A)], (NOT_GRANTED, NOT_GRANTED), id="principal-a-bare-string"),
        pytest.param([allow({"AWS": "arn:aws:iam::1111:root"})], (NOT_GRANTED, NOT_GRANTED), id="short-account"),
        pytest.param([{"Effect": "Allow", "Action": "kms:Decrypt"}], (NOT_GRANTED, NOT_GRANTED), id="principal-missing"),
        pytest.param([{"Effect": "Allow", "Principal": "*", "NotPrincipal": {"AWS": A}, "Action": "kms:Decrypt"}], (NOT_GRANTED, NOT_GRANTED), id="principal-and-not-principal"),
        pytest.param([{"Effect": "Allow", "Principal": {"AWS": A}}], (NOT_GRANTED, NOT_GRANTED), id="action-missing"),
        pytest.param([allow({"AWS": A}, action=5)], (NOT_GRANTED, NOT_GRANTED), id="action-a-number"),
        pytest.param([allow({"AWS": A}, action=[5, "kms:Decrypt"])], (ALLOWED, NOT_GRANTED), id="number-in-action-list"),
        pytest.param([allow({"AWS": A}, Condition="kms:CallerAccount")], (NOT_GRANTED, NOT_GRANTED), id="condition-a-string"),
        pytest.param([allow({"AWS": A}, Condition=None)], (NOT_GRANTED, NOT_GRANTED), id="condition-null"),
        pytest.param([allow({"AWS": A}, Condition={"StringEquals": "kms:CallerAccount"})], (NOT_GRANTED, NOT_GRANTED), id="condition-operator-not-object"),
        pytest.param([allow({"AWS": A}, Condition={"StringEquals": {"kms:CallerAccount": {"a": 1}}})], (NOT_GRANTED, NOT_GRANTED), id="condition-value-an-object"),
        pytest.param([allow({"AWS": A}, Condition={"StringEquals": {"kms:CallerAccount": []}})], (NOT_GRANTED, NOT_GRANTED), id="condition-no-values"),
        pytest.param([allow({"AWS": A}, Condition={})], (ALLOWED, NOT_GRANTED), id="condition-empty"),
        pytest.param([allow("*", Condition={"StringEquals": {"kms:CallerAccount": 111111111111}})], (ALLOWED, NOT_GRANTED), id="condition-value-a-number"),
        pytest.param([{"Effect": "allow", "Principal": {"AWS": A}, "Action": "kms:Decrypt"}], (NOT_GRANTED, NOT_GRANTED), id="effect-lower-case"),
        pytest.param([{"Principal": {"AWS": A}, "Action": "kms:Decrypt"}], (NOT_GRANTED, NOT_GRANTED), id="effect-missing"),
        # A malformed Deny denies nothing.
        pytest.param([allow({"AWS": [A, B]}), deny(2)], (ALLOWED, ALLOWED), id="deny-principal-a-number"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "Principal": "*"}], (ALLOWED, ALLOWED), id="deny-action-missing"),
        pytest.param([allow({"AWS": [A, B]}), deny("*", Condition=["StringEquals"])], (ALLOWED, ALLOWED), id="deny-condition-a-list"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": {"AWS": [A, 5]}, "Action": "kms:*"}], (ALLOWED, ALLOWED), id="deny-not-principal-with-junk"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "NotPrincipal": {"AWS": [A, "AROAEXAMPLEUNIQUEID1"]}, "Action": "kms:*"}], (ALLOWED, ALLOWED), id="deny-not-principal-with-unique-id"),
        pytest.param([allow({"AWS": [A, B]}), {"Effect": "Deny", "Principal": "*", "NotAction": ["kms:Encrypt", 5]}], (ALLOWED, ALLOWED), id="deny-not-action-with-junk"),
        # ...but what it says plainly still counts.
        pytest.param([allow({"AWS": [A, B]}), deny({"AWS": [7, B]})], (ALLOWED, DENIED), id="deny-principal-list-with-junk"),
    ],
)  # fmt: skip
def test_malformed_policies_never_raise(statements: Any, expected: tuple[Access, Access]) -> None:
    assert accesses(statements) == expected


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"Statement": None},
        {"Statement": {}},
        {"Statement": [{}]},
        {"Statement": [{"Effect": "Deny"}]},
    ],
)
def test_empty_policies_grant_nothing(policy: dict[str, Any]) -> None:
    assert decrypt_access(policy, [A])[A].access is NOT_GRANTED


@pytest.mark.parametrize(
    ("statements", "account", "reason"),
    [
        pytest.param([dict(allow({"AWS": A}), Sid="AllowDeploy")], A, 'statement "AllowDeploy" allows it', id="allow-sid"),
        pytest.param([allow({"AWS": B}), allow({"AWS": A}), deny({"AWS": A})], A, "statement #3 denies it", id="deny-index"),
        pytest.param([allow({"AWS": B}, action="kms:Encrypt")], A, "no statement allows kms:Decrypt to it", id="not-granted"),
        pytest.param([dict(allow("*", **when("StringEquals", "aws:PrincipalOrgID", "o-abc")), Sid="OrgOnly")], A, 'statement "OrgOnly" allows it only to principals in organization o-abc, which Training Guard cannot confirm', id="org-allow"),
        pytest.param([allow("*", **when("StringEquals", "aws:PrincipalOrgID", ["o-abc", "o-def"]))], A, "statement #1 allows it only to principals in organization o-abc or o-def, which Training Guard cannot confirm", id="org-allow-two-orgs"),
        pytest.param([allow({"AWS": A}, **when("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"))], A, "statement #1 allows it only under its DateLessThan condition on aws:CurrentTime, which Training Guard cannot confirm", id="opaque-allow"),
        pytest.param([dict(allow({"AWS": A}), Sid="Use"), dict(deny("*", **when("StringNotEquals", "aws:PrincipalOrgID", "o-abc")), Sid="OrgGuard")], A, 'statement "Use" allows it, but statement "OrgGuard" may deny it (it applies to principals outside organization o-abc, which Training Guard cannot confirm)', id="org-deny"),
        pytest.param([allow({"AWS": A}), {"Effect": "Deny", "NotPrincipal": {"AWS": role(A)}, "Action": "kms:*"}], A, "statement #1 allows it, but statement #2 may deny it (its NotPrincipal lists role/deployer but not the account)", id="not-principal-role"),
        pytest.param([allow({"AWS": role(A)}), dict(deny({"AWS": role(A)}), Sid="NoDeployer")], A, 'statement "NoDeployer" denies it (overriding statement #1)', id="allowed-principals-denied"),
        pytest.param([deny({"AWS": role(A)}), deny("*", **when("ArnNotLike", "aws:PrincipalArn", role(A)))], A, "statements #1 and #2 deny it", id="denied-by-two-statements"),
        pytest.param([dict(allow({"AWS": A}), Sid=""), allow({"AWS": A})], A, "statement #1 allows it", id="empty-sid-uses-index"),
    ],
)  # fmt: skip
def test_reasons(statements: list[dict[str, Any]], account: str, reason: str) -> None:
    assert judge(statements)[account].reason == reason


def test_key_account_needs_its_root_named() -> None:
    result = judge([allow({"AWS": B})], accounts=(A,), key_account=A)
    assert result[A] == DecryptAccess(
        A,
        NOT_GRANTED,
        "no statement allows kms:Decrypt to it, not even to its root, so its IAM policies cannot grant it",
    )


def test_default_key_policy_with_deploy_statement() -> None:
    statements = [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": root(A)}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": [role(A, "SageMakerExecution"), root(B)]},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"},
        {"Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": {"AWS": root(B)},
         "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ]  # fmt: skip
    result = judge(statements, accounts=(A, B, "333333333333"), key_account=A)
    assert [(r.access, r.reason) for r in result.values()] == [
        (ALLOWED, 'statement "Enable IAM User Permissions" allows it'),
        (ALLOWED, 'statement "Allow use of the key" allows it'),
        (NOT_GRANTED, "no statement allows kms:Decrypt to it"),
    ]


def test_results_follow_the_accounts_given_once_each() -> None:
    result = judge([allow("*")], accounts=(B, A, B))
    assert list(result) == [B, A]
    assert result[B] == DecryptAccess(B, ALLOWED, "statement #1 allows it")


def test_no_accounts() -> None:
    assert judge([allow("*")], accounts=()) == {}
