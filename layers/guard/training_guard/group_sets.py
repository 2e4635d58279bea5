"""The group sets the guard's record describes: one per distinct configuration of the
running jobs that use a group, or a hand-tagged group alone. Pure; sg_guard and scan
judge groups through them, so their messages cannot drift apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from training_guard.facts.groups import GroupSet, SelfTraffic
from training_guard.facts.network import PrefixLists, SecurityGroup

if TYPE_CHECKING:
    from training_guard.effects.records import JobUse

# Jobs named in a finding before "and more": a group shared by hundreds would make an
# unreadable message.
USED_BY_NAMED = 3


def recorded_sets(
    uses: Sequence[JobUse], groups: Mapping[str, SecurityGroup], prefix_lists: PrefixLists
) -> list[GroupSet]:
    """The group sets of the running jobs the record says use a group, one per distinct
    job configuration, as both guards judge them."""
    sets: dict[tuple[Any, ...], GroupSet] = {}
    for use in uses:
        key = (use.groups, use.traffic, use.networks)
        if key in sets:
            sets[key] = also_used_by(sets[key], use.used_by)
            continue
        sets[key] = GroupSet(
            tuple(groups[g] for g in use.groups if g in groups),
            use.traffic,
            use.networks,
            prefix_lists,
            use.used_by,
        )
    return list(sets.values())


def hand_tagged_set(group: SecurityGroup, prefix_lists: PrefixLists) -> GroupSet:
    """A guarded group no recorded job uses: judged alone, for public ingress only."""
    return GroupSet((group,), SelfTraffic.NONE, (), prefix_lists, used_by="")


def also_used_by(groups: GroupSet, used_by: str) -> GroupSet:
    """A few jobs named, then "and more"."""
    if groups.used_by.endswith(" and more"):
        return groups
    named = groups.used_by.count(", ") + 1
    more = (
        f"{groups.used_by} and more" if named >= USED_BY_NAMED else f"{groups.used_by}, {used_by}"
    )
    return replace(groups, used_by=more)
