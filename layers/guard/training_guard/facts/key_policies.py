"""Who a KMS key policy lets call kms:Decrypt, read as IAM reads it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from training_guard.facts.policy_statements import (
    ARN_OPS,
    DATE_OPS,
    PARTITION,
    STEERABLE_OPS,
    STRING_OPS,
    Clause,
    Named,
    Statement,
    parse_statements,
    wildcard,
)


class Access(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    NOT_GRANTED = "not granted"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class DecryptAccess:
    """What a key policy says of one account calling kms:Decrypt, and the statement why."""

    account: str
    access: Access
    reason: str


def decrypt_access(
    policy: Mapping[str, Any], accounts: Iterable[str], key_account: str | None = None
) -> dict[str, DecryptAccess]:
    """How the key policy `policy` treats each of `accounts` calling kms:Decrypt.

    An account can use a key another account owns only when the key policy names it:
    its root (`<id>` or `arn:<partition>:iam::<id>:root`, which lets the account's own
    IAM policies delegate the permission) or some IAM principal in it (role, user,
    assumed-role session), directly or through `Principal "*"` narrowed by a condition
    on `kms:CallerAccount`, `aws:PrincipalAccount` or `aws:PrincipalArn`. The policy is
    read as IAM reads it, statement by statement, and conservatively where the guard
    cannot know:

    * DENIED: a Deny surely applies to every principal of the account (unconditionally,
      or under conditions on who the caller is that surely hold), or every principal an
      Allow admits is surely denied.
    * ALLOWED: some principal of the account is allowed unconditionally, or under
      conditions the account can meet (`kms:ViaService`, `kms:EncryptionContext:*`,
      `aws:SourceIp`, ... say nothing of who the caller is), and no Deny surely or
      possibly applies to it because of who it is.
    * UNCONFIRMED: an Allow may admit the account, but only under a condition the guard
      cannot evaluate (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`: it does not know
      the deploy accounts' organization; time conditions; policy variables; operators
      it does not understand), or a Deny may apply to the principals that are allowed
      for a reason of that kind (or a NotPrincipal naming a principal but not its
      account, which IAM may or may not deny).
    * NOT_GRANTED: no statement allows kms:Decrypt to any principal of the account.

    A Deny whose condition the caller can avoid (it does not constrain who the caller
    is) never denies. Malformed statements (a Principal that is a number, a Condition
    that is not an object, no Action) grant nothing and deny nothing. `Resource` is
    not read: in a key policy it is the key itself. Service and federated principals
    never grant an account.

    `key_account`, the account that owns the key, is treated like any other: its IAM
    policies count only when the key policy allows its root, which is what the default
    key policy does. For every account, ALLOWED is what the key policy says; the
    account's own IAM policies must also allow kms:Decrypt on the key. Grants
    (kms:CreateGrant) are out of scope.

    Reasons name statements by Sid, or by position (`#1` is the first).
    """
    statements = parse_statements(policy)
    return {
        account: _judge(statements, account, key_account) for account in dict.fromkeys(accounts)
    }


# A verdict on one statement for one principal: surely applies, may apply, does not.
class _Tri(IntEnum):
    NO = 0
    MAYBE = 1
    YES = 2


@dataclass(frozen=True)
class _Witness:
    """One principal of the account being judged, as IAM would see it calling."""

    resource: str  # "root", "role/<path/>name", "user/<path/>name", ...
    session: str | None = None

    @property
    def kind(self) -> str:
        return self.resource.partition("/")[0]

    @property
    def name(self) -> str:
        return self.resource.rsplit("/", 1)[-1]


# Principals no policy names: ones the account has, or could create.
_ANY_OTHER = (
    _Witness("role/training-guard-any-other-principal"),
    _Witness("user/training-guard-any-other-principal"),
)
_WILDCARD_FILL = "training-guard-witness"
_UNCONFIRMABLE = "which Training Guard cannot confirm"

_ACCOUNT_KEYS = frozenset({"kms:calleraccount", "aws:principalaccount"})
_ARN_KEY = "aws:principalarn"
_SERVICE_KEY = "aws:principalisawsservice"
_ORG_KEYS = {"aws:principalorgid": "organization", "aws:principalorgpaths": "organization path"}

# ---- judging ---------------------------------------------------------------------------


def _judge(statements: list[Statement], account: str, key_account: str | None) -> DecryptAccess:
    witnesses = _witnesses(statements, account)
    allows = [s for s in statements if s.allow]
    denies = [s for s in statements if not s.allow]
    allow_on = {s: [_applies(s, account, w) for w in witnesses] for s in allows}
    deny_on = [_strongest(_applies(s, account, w) for s in denies) for w in witnesses]

    def verdict(access: Access, reason: str) -> DecryptAccess:
        return DecryptAccess(account, access, reason)

    if deny_on and all(tri is _Tri.YES for tri, _ in deny_on):
        return verdict(Access.DENIED, _account_denial(denies, account, witnesses))
    for s in allows:
        for (tri, reason), (deny, _) in zip(allow_on[s], deny_on, strict=True):
            if tri is _Tri.YES and deny is _Tri.NO:
                return verdict(Access.ALLOWED, reason)
    for s in allows:
        for (tri, reason), (deny, deny_reason) in zip(allow_on[s], deny_on, strict=True):
            if tri is _Tri.YES and deny is _Tri.MAYBE:
                return verdict(Access.UNCONFIRMED, f"{reason}, but {deny_reason}")
            if tri is _Tri.MAYBE and deny is not _Tri.YES:
                return verdict(Access.UNCONFIRMED, reason)
    for s in allows:
        for (tri, _), (_, deny_reason) in zip(allow_on[s], deny_on, strict=True):
            if tri is not _Tri.NO:
                return verdict(Access.DENIED, f"{deny_reason} (overriding statement {s.label})")
    reason = "no statement allows kms:Decrypt to it"
    if account == key_account:
        reason += ", not even to its root, so its IAM policies cannot grant it"
    return verdict(Access.NOT_GRANTED, reason)


def _strongest(verdicts: Iterable[tuple[_Tri, str]]) -> tuple[_Tri, str]:
    """The verdict of the statement that applies most surely (the first one, on ties)."""
    best: tuple[_Tri, str] = (_Tri.NO, "")
    for verdict in verdicts:
        if verdict[0] > best[0]:
            best = verdict
    return best


def _account_denial(denies: list[Statement], account: str, witnesses: list[_Witness]) -> str:
    """Why every principal of the account is surely denied: one statement, or several."""
    denying = [{w for w in witnesses if _applies(s, account, w)[0] is _Tri.YES} for s in denies]
    covering = [s for s, ws in zip(denies, denying, strict=True) if len(ws) == len(witnesses)]
    if covering:
        return f"statement {covering[0].label} denies it"
    # Statements, in policy order, that between them deny every principal.
    needed: list[Statement] = []
    left = set(witnesses)
    for s, ws in zip(denies, denying, strict=True):
        if left & ws:
            needed.append(s)
            left -= ws
    labels = [s.label for s in needed]
    return f"statements {', '.join(labels[:-1])} and {labels[-1]} deny it"


def _witnesses(statements: list[Statement], account: str) -> list[_Witness]:
    """Principals of `account` that between them meet every case the policy tells apart.

    Its root, every principal of it the policy names, one instance of every principal
    ARN pattern that may match it, and a role and a user the policy names nowhere.
    """
    found: dict[_Witness, None] = {_Witness("root"): None}
    for statement in statements:
        for named in statement.named:
            if named.account == account:
                found[_witness_of(named)] = None
        for clause in statement.clauses:
            if clause.key.lower() == _ARN_KEY:
                for value in clause.values:
                    witness = _witness_of_pattern(value, account)
                    if witness is not None:
                        found[witness] = None
    found.update(dict.fromkeys(_ANY_OTHER))
    return list(found)


def _witness_of(named: Named) -> _Witness:
    kind, _, rest = named.resource.partition("/")
    if kind == "assumed-role":
        role, _, session = rest.partition("/")
        return _Witness(f"role/{role}", session)
    return _Witness(named.resource)


def _witness_of_pattern(pattern: str, account: str) -> _Witness | None:
    fields = pattern.split(":", 5)
    if len(fields) != 6 or not wildcard(fields[4]).fullmatch(account):
        return None
    resource = fields[5].replace("*", _WILDCARD_FILL).replace("?", "x")
    kind = resource.partition("/")[0]
    return _Witness(resource) if kind in ("root", "role", "user") else None


def _applies(statement: Statement, account: str, witness: _Witness) -> tuple[_Tri, str]:
    """Whether `statement` applies to `witness` of `account` calling kms:Decrypt, and why."""
    verb = "allows" if statement.allow else "denies"
    tri, detail = _principal_applies(statement, account, witness)
    if tri is _Tri.NO:
        return _Tri.NO, ""
    for clause in statement.clauses:
        state, phrase = _clause_holds(clause, account, witness)
        if state is None:  # says nothing of who calls: the caller can meet or avoid it
            state = _Tri.YES if statement.allow else _Tri.NO
        if state is _Tri.NO:
            return _Tri.NO, ""
        if state is _Tri.MAYBE and tri is _Tri.YES:
            tri = _Tri.MAYBE
            if statement.allow:
                detail = f"{verb} it only {phrase}, {_UNCONFIRMABLE}"
            else:
                detail = f"may deny it (it applies {phrase}, {_UNCONFIRMABLE})"
    if tri is _Tri.YES:
        detail = f"{verb} it"
    return tri, f"statement {statement.label} {detail}"


def _principal_applies(statement: Statement, account: str, witness: _Witness) -> tuple[_Tri, str]:
    if statement.negated:
        return _not_principal_applies(statement, account, witness)
    named = statement.everyone or any(
        n.account == account and _names(n, witness) for n in statement.named
    )
    return (_Tri.YES if named else _Tri.NO), ""


def _not_principal_applies(
    statement: Statement, account: str, witness: _Witness
) -> tuple[_Tri, str]:
    listed = [n for n in statement.named if n.account == account]
    if statement.everyone or any(n.resource == "root" for n in listed):
        return _Tri.NO, ""
    spared = [n for n in listed if _names(n, witness)]
    if not spared:
        return _Tri.YES, ""
    if statement.allow:
        return _Tri.NO, ""
    # IAM may check the account before the principal, and deny it for not being listed.
    return _Tri.MAYBE, (
        f"may deny it (its NotPrincipal lists {spared[0].resource} but not the account)"
    )


def _names(named: Named, witness: _Witness) -> bool:
    """Whether a Principal entry of the witness's account covers the witness."""
    kind, _, rest = named.resource.partition("/")
    if named.resource == "root":
        return True
    if kind == "assumed-role":
        role, _, session = rest.partition("/")
        return witness.kind == "role" and witness.name == role and witness.session == session
    if kind in ("role", "user"):
        return witness.kind == kind and witness.name == rest.rsplit("/", 1)[-1]
    return witness.resource == named.resource


def _clause_holds(clause: Clause, account: str, witness: _Witness) -> tuple[_Tri | None, str]:
    """Whether one condition clause holds for the witness calling: None when the clause
    does not constrain who the caller is, with the phrase saying what it requires when
    the guard cannot tell."""
    key = clause.key.lower()
    opaque = f"under its {clause.operator} condition on {clause.key}"
    if key in _ORG_KEYS:
        return _Tri.MAYBE, _org_phrase(clause, _ORG_KEYS[key])
    if key not in _ACCOUNT_KEYS and key not in (_ARN_KEY, _SERVICE_KEY):
        steerable = clause.base in STEERABLE_OPS and clause.base not in DATE_OPS
        return (None, "") if steerable else (_Tri.MAYBE, opaque)
    matched = _identity_matches(clause, key, account, witness)
    if matched is None:
        return _Tri.MAYBE, opaque
    return (_Tri.YES if matched else _Tri.NO), ""


def _identity_matches(clause: Clause, key: str, account: str, witness: _Witness) -> bool | None:
    """Whether a clause on who the caller is holds for the witness; None if unknown."""
    lowered = {v.lower() for v in clause.values}
    if any("${" in v for v in clause.values):
        return None  # policy variables
    if clause.base == "null":
        return "false" in lowered  # these keys are in every signed request
    if key == _SERVICE_KEY:
        return "false" in lowered if clause.base == "bool" else None
    if clause.base in STRING_OPS:
        negated, how = STRING_OPS[clause.base]
        subject = account if key in _ACCOUNT_KEYS else None
        matched = any(_compare(how, v, subject or _arn(v, account, witness)) for v in clause.values)
        return matched != negated
    if clause.base in ARN_OPS and key == _ARN_KEY:
        negated = ARN_OPS[clause.base]
        return any(_arn_matches(v, account, witness) for v in clause.values) != negated
    return None


def _org_phrase(clause: Clause, what: str) -> str:
    values = " or ".join(clause.values)
    if clause.base == "null":
        inside = "false" in {v.lower() for v in clause.values}
        return f"to principals {'in an' if inside else 'outside any'} organization"
    if clause.base in STRING_OPS:
        negated = STRING_OPS[clause.base][0]
    elif clause.base in ARN_OPS:
        negated = ARN_OPS[clause.base]
    else:
        return f"under its {clause.operator} condition on {clause.key}"
    return f"to principals {'outside' if negated else 'in'} {what} {values}"


def _compare(how: str, pattern: str, value: str) -> bool:
    if how == "exact":
        return pattern == value
    if how == "ignorecase":
        return pattern.casefold() == value.casefold()
    return wildcard(pattern).fullmatch(value) is not None


def _arn(pattern: str, account: str, witness: _Witness) -> str:
    """The witness's aws:PrincipalArn, in the partition `pattern` names (the caller's)."""
    fields = pattern.split(":")
    partition = fields[1] if len(fields) > 1 and PARTITION.fullmatch(fields[1]) else "aws"
    return f"arn:{partition}:iam::{account}:{witness.resource}"


def _arn_matches(pattern: str, account: str, witness: _Witness) -> bool:
    """ArnEquals/ArnLike: each of the six fields matched on its own, wildcards allowed.

    The partition is not compared: the guard does not know the deploy accounts'.
    """
    if pattern == "*":
        return True
    fields = pattern.split(":", 5)
    if len(fields) != 6:
        return False
    wanted = ("arn", None, "iam", "", account, witness.resource)
    return all(w is None or wildcard(f).fullmatch(w) for f, w in zip(fields, wanted, strict=True))
