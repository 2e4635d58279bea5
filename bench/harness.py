"""What one event costs a guard: wall time, AWS calls, memory.

The emulator runs in a child process (`python -m emulator`), so the memory figure is
the guard's and boto3's alone. Times include loopback HTTP and moto's own work: an
upper bound for the guard's code, not a forecast of Lambda latency. AWS call counts
are exact. Clients are created before the clock starts, as in a warm Lambda.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from emulator.server import EMULATOR_ENVIRONMENT
from emulator.world import World
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.observability import logger

ROUNDS = 10

Handle = Callable[[dict[str, Any]], object]
# Given a fresh world and counting clients: the guard's handle and the event to send.
Scenario = Callable[[World, Clients, Notifier], tuple[Handle, dict[str, Any]]]


STOPS = frozenset({"sagemaker:StopTrainingJob", "sagemaker:StopHyperParameterTuningJob"})
RESULTS = Path(".bench")


@dataclass
class Calls:
    """The AWS calls of one event, counted and in order."""

    counted: Counter[str] = field(default_factory=Counter)
    order: list[str] = field(default_factory=list)

    def add(self, call: str) -> None:
        self.counted[call] += 1
        self.order.append(call)

    @property
    def before_the_stop(self) -> int | None:
        """How many calls came before the first stop; None when nothing was stopped."""
        return next((i for i, call in enumerate(self.order) if call in STOPS), None)


def run(title: str, scenarios: Sequence[tuple[str, Scenario]]) -> None:
    warnings.filterwarnings("ignore")
    logger.setLevel("ERROR")
    figures: list[dict[str, Any]] = []
    with emulator_process() as url:
        os.environ.update({**EMULATOR_ENVIRONMENT, "AWS_ENDPOINT_URL": url})
        print(f"{title}: {ROUNDS} rounds per event, emulator at {url}\n")
        print(
            f"{'event':56} {'AWS calls':>9} {'before stop':>11} {'median ms':>9} {'p95 ms':>7} "
            f"{'peak KiB':>8}"
        )
        session = boto3.Session()  # shared: botocore caches service models per session
        for name, scenario in scenarios:
            figure = _measure(url, session, name, scenario)
            figures.append(figure)
            print(_line(figure))
    RESULTS.mkdir(exist_ok=True)
    written = RESULTS / f"{title.split(' ', 1)[0].strip(':')}.json"
    written.write_text(json.dumps(figures, indent=2))
    print(f"\nwritten: {written}")


@contextmanager
def emulator_process() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _measure(url: str, session: boto3.Session, name: str, scenario: Scenario) -> dict[str, Any]:
    times: list[float] = []
    calls = Calls()
    for _ in range(ROUNDS):
        handle, event, calls = _prepare(url, session, scenario)
        started = time.perf_counter()
        _quietly(handle, event)
        times.append((time.perf_counter() - started) * 1000)
    handle, event, _ = _prepare(url, session, scenario)
    tracemalloc.start()
    _quietly(handle, event)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "event": name,
        "calls": sum(calls.counted.values()),
        "calls_before_the_stop": calls.before_the_stop,
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(sorted(times)[max(0, round(len(times) * 0.95) - 1)], 1),
        "peak_kib": round(peak / 1024),
        "by_operation": dict(sorted(calls.counted.items())),
    }


def _line(figure: dict[str, Any]) -> str:
    before = figure["calls_before_the_stop"]
    listing = ", ".join(f"{call} {n}" for call, n in figure["by_operation"].items())
    return (
        f"{figure['event']:56} {figure['calls']:>9} {'-' if before is None else before:>11} "
        f"{figure['median_ms']:>9.1f} {figure['p95_ms']:>7.1f} {figure['peak_kib']:>8}"
        f"\n    {listing}"
    )


def _prepare(
    url: str, session: boto3.Session, scenario: Scenario
) -> tuple[Handle, dict[str, Any], Calls]:
    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    world = World.build(session)
    calls = Calls()
    counting = boto3.Session()

    def count(model: Any, **_: Any) -> None:
        calls.add(f"{model.service_model.service_name}:{model.name}")

    counting.events.register("before-call", count)
    clients = Clients.create(session=counting)
    # A warm Lambda has created its clients already: the figures are one event's work.
    for service in ("sagemaker", "ec2", "kms", "sns", "dynamodb", "sts"):
        getattr(clients, service)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    handle, event = scenario(world, clients, notifier)
    return handle, event, calls


def _quietly(handle: Handle, event: dict[str, Any]) -> None:
    with redirect_stdout(io.StringIO()):  # metrics go to stdout
        handle(event)
