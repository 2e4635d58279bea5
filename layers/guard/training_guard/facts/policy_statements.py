"""Key policy statements as IAM writes them, parsed into what the evaluator in
facts/key_policies.py judges: principals, the condition operators it understands, and
whether a statement concerns kms:Decrypt at all."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Named:
    """A principal in a Principal or NotPrincipal element; resource "root" is the account."""

    account: str
    resource: str


@dataclass(frozen=True)
class Clause:
    operator: str  # as written, for reasons
    base: str  # lower case, without ForAnyValue:/ForAllValues: and IfExists
    key: str  # as written
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    label: str
    allow: bool
    negated: bool  # NotPrincipal rather than Principal
    everyone: bool  # "*" or {"AWS": "*"}
    named: tuple[Named, ...]
    clauses: tuple[Clause, ...]


DECRYPT = "kms:decrypt"
ACCOUNT_ID = re.compile(r"\d{12}")
PRINCIPAL_ARN = re.compile(r"arn:[\w-]+:(iam|sts)::(\d{12}):(.+)")
PARTITION = re.compile(r"[\w-]+")

# operator -> (negated, how values compare)
STRING_OPS = {
    "stringequals": (False, "exact"),
    "stringnotequals": (True, "exact"),
    "stringequalsignorecase": (False, "ignorecase"),
    "stringnotequalsignorecase": (True, "ignorecase"),
    "stringlike": (False, "like"),
    "stringnotlike": (True, "like"),
}
ARN_OPS = {"arnequals": False, "arnlike": False, "arnnotequals": True, "arnnotlike": True}
DATE_OPS = frozenset(
    {
        "dateequals",
        "datenotequals",
        "datelessthan",
        "datelessthanequals",
        "dategreaterthan",
        "dategreaterthanequals",
    }
)
# Operators whose outcome on a key that says nothing of the caller's identity the
# caller can steer (by calling through a service, from a network, with a context).
STEERABLE_OPS = frozenset(
    {
        *STRING_OPS,
        *ARN_OPS,
        "numericequals",
        "numericnotequals",
        "numericlessthan",
        "numericlessthanequals",
        "numericgreaterthan",
        "numericgreaterthanequals",
        "bool",
        "binaryequals",
        "ipaddress",
        "notipaddress",
        "null",
    }
)


# ---- parsing ---------------------------------------------------------------------------


def parse_statements(policy: Mapping[str, Any]) -> list[Statement]:
    raw = policy.get("Statement", []) if isinstance(policy, Mapping) else []
    items = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    parsed = (_parse_statement(item, i) for i, item in enumerate(items, 1))
    return [s for s in parsed if s is not None]


def _parse_statement(item: object, position: int) -> Statement | None:
    """The statement if it concerns kms:Decrypt and is well formed, else None."""
    if not isinstance(item, Mapping) or item.get("Effect") not in ("Allow", "Deny"):
        return None
    if not _covers_decrypt(item):
        return None
    if ("Principal" in item) == ("NotPrincipal" in item):
        return None
    negated = "NotPrincipal" in item
    principals = _parse_principals(item["NotPrincipal" if negated else "Principal"], negated)
    clauses = _parse_condition(item["Condition"]) if "Condition" in item else ()
    if principals is None or clauses is None:
        return None
    sid = item.get("Sid")
    label = f'"{sid}"' if isinstance(sid, str) and sid else f"#{position}"
    return Statement(label, item["Effect"] == "Allow", negated, *principals, clauses)


def _covers_decrypt(item: Mapping[str, Any]) -> bool:
    if ("Action" in item) == ("NotAction" in item):
        return False
    negated = "NotAction" in item
    actions = item["NotAction" if negated else "Action"]
    if isinstance(actions, str):
        actions = [actions]
    if not isinstance(actions, list):
        return False
    patterns = [a for a in actions if isinstance(a, str)]
    if negated and len(patterns) != len(actions):
        return False  # which actions it leaves out is not clear
    listed = any(wildcard(a.lower()).fullmatch(DECRYPT) for a in patterns)
    return listed != negated


def _parse_principals(value: object, negated: bool) -> tuple[bool, tuple[Named, ...]] | None:
    """(everyone, named principals), or None when malformed.

    In a Principal, entries the guard cannot read name nobody; in a NotPrincipal they
    would leave unclear whom the statement spares, so the statement is dropped.
    """
    if value == "*":
        return True, ()
    if not isinstance(value, Mapping):
        return None
    aws = value.get("AWS", [])
    if isinstance(aws, str):
        aws = [aws]
    if not isinstance(aws, list):
        return None
    named: list[Named] = []
    for entry in aws:
        if entry == "*":
            return True, ()
        parsed = _parse_principal(entry) if isinstance(entry, str) else None
        if parsed is not None:
            named.append(parsed)
        elif negated:
            return None
    return False, tuple(named)


def _parse_principal(entry: str) -> Named | None:
    if ACCOUNT_ID.fullmatch(entry):
        return Named(entry, "root")
    match = PRINCIPAL_ARN.fullmatch(entry)
    if match is None:
        return None  # e.g. a unique id (AROA...) left behind by a deleted role
    service, account, resource = match.groups()
    if service == "iam" and resource == "root":
        return Named(account, "root")
    return Named(account, resource)


def _parse_condition(condition: object) -> tuple[Clause, ...] | None:
    if not isinstance(condition, Mapping):
        return None
    clauses: list[Clause] = []
    for operator, body in condition.items():
        if not isinstance(operator, str) or not isinstance(body, Mapping):
            return None
        for key, raw in body.items():
            values = _condition_values(raw)
            if not isinstance(key, str) or values is None:
                return None
            clauses.append(Clause(operator, _base_operator(operator), key, values))
    return tuple(clauses)


def _condition_values(raw: object) -> tuple[str, ...] | None:
    items = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            values.append(str(item))
        else:
            return None
    return tuple(values) if values else None


def _base_operator(operator: str) -> str:
    base = operator.lower()
    for prefix in ("foranyvalue:", "forallvalues:"):
        base = base.removeprefix(prefix)
    return base.removesuffix("ifexists")


@lru_cache(maxsize=512)
def wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's `*` (any run of characters) and `?` (any one character); nothing else."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)
