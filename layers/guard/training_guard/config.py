"""The policy a deployment configures through environment variables (DESIGN.md, Contract)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class ConfigError(ValueError):
    """A configuration value is missing or malformed; raised at cold start so it is seen at once."""


class GuardMode(StrEnum):
    ENFORCE = "enforce"
    NOTIFY = "notify"


_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Policy:
    mode: GuardMode = GuardMode.ENFORCE
    exempt_tag_key: str = "training-guard:exempt"
    guard_tag_key: str = "training-guard:guarded"
    deploy_account_ids: tuple[str, ...] = ()
    require_network_isolation: bool = False
    # A job or group tag whose value routes notifications (the `owner` attribute); it
    # decides nothing the guard does.
    owner_tag_key: str = ""

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Policy:
        env = os.environ if env is None else env
        return cls(
            mode=_mode(env.get("GUARD_MODE", "enforce")),
            exempt_tag_key=env.get("EXEMPT_TAG_KEY") or cls.exempt_tag_key,
            guard_tag_key=env.get("GUARD_TAG_KEY") or cls.guard_tag_key,
            deploy_account_ids=_account_ids(env.get("DEPLOY_ACCOUNT_IDS", "")),
            require_network_isolation=_flag(
                "REQUIRE_NETWORK_ISOLATION", env.get("REQUIRE_NETWORK_ISOLATION", "false")
            ),
            owner_tag_key=env.get("OWNER_TAG_KEY", "").strip(),
        )

    def is_exempt(self, tags: Mapping[str, str]) -> bool:
        return tags.get(self.exempt_tag_key, "").strip().lower() == "true"

    def owner(self, tags: Mapping[str, str] | None) -> str:
        """The owner tag's value, or "" when the key is not configured or not there."""
        if not self.owner_tag_key or not tags:
            return ""
        return tags.get(self.owner_tag_key, "").strip()

    def may_guard(self, group_tags: Mapping[str, str]) -> bool:
        """A group the guards may tag and repair: not exempt, and not marked guarded=false
        (or anything but `true`, the only value the IAM conditions accept)."""
        return (
            not self.is_exempt(group_tags) and group_tags.get(self.guard_tag_key, "true") == "true"
        )

    def left_alone(self, group_id: str, group_tags: Mapping[str, str]) -> str:
        """Why a group the guards may not change is left alone, in words."""
        why = (
            f"tagged {self.exempt_tag_key}=true"
            if self.is_exempt(group_tags)
            else f"tagged {self.guard_tag_key}={group_tags.get(self.guard_tag_key)}"
        )
        return f"{group_id} is {why}: reported, its rules left as they are."


def required(name: str, env: Mapping[str, str] | None = None) -> str:
    value = (os.environ if env is None else env).get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required and not set")
    return value


def _mode(raw: str) -> GuardMode:
    try:
        return GuardMode(raw.strip().lower())
    except ValueError as e:
        raise ConfigError(f"GUARD_MODE must be 'enforce' or 'notify', not {raw!r}") from e


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in {"true", "false", ""}:
        raise ConfigError(f"{name} must be 'true' or 'false', not {raw!r}")
    return value == "true"


def _account_ids(raw: str) -> tuple[str, ...]:
    ids = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    bad = [i for i in ids if not _ACCOUNT_ID.match(i)]
    if bad:
        raise ConfigError(
            f"DEPLOY_ACCOUNT_IDS holds values that are not 12-digit account ids: {bad}"
        )
    return ids
