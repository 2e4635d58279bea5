"""The "Stop job" button of the chat channels shows where the guard, in notify mode, would
have stopped the job: the custom notification's `offer` says so, and nowhere else."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from emulator.world import World
from tests.integration.conftest import Invoke


def offers(world: World) -> list[str | None]:
    cards = [json.loads(json.loads(m["Message"])["default"]) for m in world.published()]
    return [card["metadata"]["additionalContext"].get("offer") for card in cards]


CASES = {
    "notify-training": ("notify", "cloudtrail-create-training-job-unencrypted", "stop-job"),
    "notify-tuning": ("notify", "cloudtrail-create-hyper-parameter-tuning-job", "stop-job"),
    "enforce-stopped": ("enforce", "cloudtrail-create-training-job-unencrypted", None),
    "notify-would-repair": ("notify", "cloudtrail-create-training-job-missing-ipsec", None),
    "notify-exempt": ("notify", "cloudtrail-create-training-job-exempt", None),
}


@pytest.mark.parametrize("case", CASES)
def test_the_stop_is_offered_only_where_the_guard_would_stop(
    world: World, invoke: Invoke, configure: Callable[..., None], case: str
) -> None:
    mode, sample, offer = CASES[case]
    configure(GUARD_MODE=mode)
    event: dict[str, Any] = world.event(sample)
    world.create_job_for(event)
    invoke(event)
    assert offers(world) == [offer]
