"""KMS keys as DescribeKey and GetKeyPolicy describe them, and who may decrypt with them."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

AWS_MANAGED = "AWS"
_ACCOUNT_IN_PRINCIPAL = re.compile(r"^(?:arn:aws[\w-]*:(?:iam|sts)::)?(\d{12})(?::|$)")


@dataclass(frozen=True)
class KeyFacts:
    """What the guard learned of one key reference (an id, ARN, alias or alias ARN)."""

    reference: str
    arn: str | None = None
    manager: str | None = None
    policy: Mapping[str, Any] | None = None
    error: str | None = None

    @property
    def is_aws_managed(self) -> bool:
        # An alias under alias/aws/ always names an AWS managed key, even before AWS
        # has created it in the account, so it is judged without a lookup.
        return self.manager == AWS_MANAGED or is_aws_managed_alias(self.reference)


def is_aws_managed_alias(reference: str) -> bool:
    return reference.startswith("alias/aws/") or ":alias/aws/" in reference


def accounts_that_can_decrypt(policy: Mapping[str, Any], accounts: Iterable[str]) -> set[str]:
    """Of `accounts`, those an Allow statement lets call kms:Decrypt and no Deny forbids.

    Statements with conditions are taken at their word for Allow (the guard cannot
    evaluate request context) and ignored for Deny, so the check never reports an
    account the policy may well admit.
    """
    wanted = set(accounts)
    allowed: set[str] = set()
    denied: set[str] = set()
    for statement in _statements(policy):
        if not _grants_decrypt(statement):
            continue
        principals = _principal_accounts(statement.get("Principal"), wanted)
        if statement.get("Effect") == "Allow":
            allowed |= principals
        elif statement.get("Effect") == "Deny" and not statement.get("Condition"):
            denied |= principals
    return (allowed - denied) & wanted


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    if isinstance(statements, Mapping):
        return [statements]
    return [s for s in statements if isinstance(s, Mapping)]


def _grants_decrypt(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action", [])
    if isinstance(actions, str):
        actions = [actions]
    return any(fnmatch.fnmatchcase("kms:decrypt", a.lower()) for a in actions)


def _principal_accounts(principal: object, wanted: set[str]) -> set[str]:
    if principal == "*":
        return set(wanted)
    if not isinstance(principal, Mapping):
        return set()
    values = principal.get("AWS", [])
    if isinstance(values, str):
        values = [values]
    found: set[str] = set()
    for value in values:
        if value == "*":
            return set(wanted)
        match = _ACCOUNT_IN_PRINCIPAL.match(value)
        if match:
            found.add(match.group(1))
    return found
