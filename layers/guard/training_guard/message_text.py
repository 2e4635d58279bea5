"""Text every notification format can take: one line or many, without control or
invisible characters; escaped for chat markdown; cut to a limit counted as chat clients
count (UTF-16 units) with the cut shown. Pure."""

from __future__ import annotations

import re
import unicodedata

CUT = "…"


def plain_text(text: str) -> str:
    return "".join(_keep(ch, "\n") for ch in text)


def one_line(text: str) -> str:
    return "".join(_keep(ch, "") for ch in text).strip()


def _keep(ch: str, allowed: str) -> str:
    if ch in allowed:
        return ch
    category = unicodedata.category(ch)
    if category == "Cs":
        return "\ufffd"
    if category == "Cf":  # invisible: bidirectional overrides could disguise a name
        return ""
    return " " if category == "Cc" else ch


def markdown(text: str) -> str:
    """Text shown as itself in Slack's and Teams' markdown: Slack reads <...> as links and
    mentions, so &, < and > are escaped as Slack asks; Teams reads the same entities."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code_span(text: str) -> str:
    quoted = markdown(text).replace("`", "'")
    return f"`{quoted}`"


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units: an emoji counts two, as chat clients count it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int, marker: str = CUT) -> str:
    """`text`, or as much of it as fits in `limit` with `marker` showing the cut."""
    if utf16_units(text) <= limit:
        return text
    room = limit - utf16_units(marker)
    cut = text[:room]
    while utf16_units(cut) > room:
        cut = cut[:-1]
    return cut.rstrip() + marker


_ENTITY_TAIL = re.compile(r"&[a-z]*$")


def clip_markdown(text: str, limit: int) -> str:
    """As `clip`, never leaving half an escaped entity (`&am`) before the cut."""
    clipped = clip(text, limit)
    if clipped == text:
        return text
    return _ENTITY_TAIL.sub("", clipped.removesuffix(CUT)).rstrip() + CUT
