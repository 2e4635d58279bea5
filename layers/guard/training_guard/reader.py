"""One typed reader for every value the guard takes from an event or an API answer.

Each value is read through a `Field` that knows its path (`detail.requestParameters.
resourceConfig.instanceCount`), so a value of the wrong shape is rejected with that
path and what was expected, never with the value itself (it may be a secret), and
never as a KeyError or TypeError deep inside the guard.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


class InvalidEventError(ValueError):
    """The event is not one this function handles, or a value in it has the wrong shape."""


_MISSING: Any = object()


def _kind(value: object) -> str:
    if value is _MISSING:
        return "nothing"
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


@dataclass(frozen=True)
class Field:
    """A value and where it came from. `present` is False for a missing key or null."""

    value: Any
    path: str

    @property
    def present(self) -> bool:
        return self.value is not _MISSING and self.value is not None

    def reject(self, expected: str) -> InvalidEventError:
        return InvalidEventError(f"{self.path}: expected {expected}, got {_kind(self.value)}")

    # --- structure ------------------------------------------------------------------

    def get(self, *names: str) -> Field:
        """The first of `names` that is present; CloudTrail spells structure keys in
        lowerCamelCase and the APIs in PascalCase, so both spellings of each are tried."""
        mapping = self.mapping()
        for name in names:
            for key in (name, name[:1].lower() + name[1:], name[:1].upper() + name[1:]):
                if key in mapping:
                    return Field(mapping[key], f"{self.path}.{key}")
        return Field(_MISSING, f"{self.path}.{names[0]}")

    def has(self, *names: str) -> bool:
        return self.get(*names).present

    def mapping(self) -> Mapping[str, Any]:
        """An object; a missing or null value reads as an empty one."""
        if not self.present:
            return {}
        if not isinstance(self.value, Mapping):
            raise self.reject("an object")
        return self.value

    def items(self) -> Iterator[Field]:
        """A list's elements; a missing or null value reads as an empty list."""
        if not self.present:
            return
        if not isinstance(self.value, list):
            raise self.reject("a list")
        for index, item in enumerate(self.value):
            yield Field(item, f"{self.path}[{index}]")

    def ec2_items(self) -> Iterator[Field]:
        """EC2's CloudTrail lists: `{"items": [...]}`, a bare list, or `{}` for an empty one."""
        if isinstance(self.value, Mapping):
            yield from self.get("items").items()
        else:
            yield from self.items()

    # --- scalars --------------------------------------------------------------------

    def text(self, pattern: re.Pattern[str] | None = None, what: str = "a string") -> str:
        if not isinstance(self.value, str) or not self.value:
            raise self.reject(what if what != "a string" else "a non-empty string")
        if pattern is not None and not pattern.fullmatch(self.value):
            raise InvalidEventError(f"{self.path}: expected {what}, got a string that is not")
        return self.value

    def optional_text(
        self, pattern: re.Pattern[str] | None = None, what: str = "a string"
    ) -> str | None:
        if not self.present or self.value == "":
            return None
        return self.text(pattern, what)

    def flag(self) -> bool | None:
        """A boolean as the APIs (true) or CloudTrail ("true") write it; None when absent."""
        if not self.present:
            return None
        if isinstance(self.value, bool):
            return self.value
        if isinstance(self.value, str) and self.value.lower() in {"true", "false"}:
            return self.value.lower() == "true"
        raise self.reject("a boolean")

    def integer(self, minimum: int | None = None) -> int | None:
        """An integer, also when written as a string ("500"); None when absent."""
        if not self.present or self.value == "":
            return None
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.reject("an integer")
        try:
            number = int(value)
        except ValueError as e:
            raise InvalidEventError(f"{self.path}: expected an integer, got a string") from e
        if minimum is not None and number < minimum:
            raise InvalidEventError(f"{self.path}: expected an integer of at least {minimum}")
        return number

    def strings(self, pattern: re.Pattern[str] | None = None, what: str = "a string") -> list[str]:
        """A list of strings, without duplicates, in order."""
        return list(dict.fromkeys(item.text(pattern, what) for item in self.items()))


def root(value: object, path: str = "event") -> Field:
    return Field(value, path)
