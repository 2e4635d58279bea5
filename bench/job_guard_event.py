"""What one event costs the job guard: wall time, AWS calls, memory.

The emulator runs in a child process (`python -m emulator`), so the memory figure is
the guard's and boto3's alone. Times include loopback HTTP and moto's own work: an
upper bound for the guard's code, not a forecast of Lambda latency. AWS call counts
are exact. Clients are created before the clock starts, as in a warm Lambda.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from typing import Any

import boto3
import requests

from emulator.server import EMULATOR_ENVIRONMENT
from emulator.world import DEPLOY_ACCOUNT, World
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.job_guard import JobGuard
from training_guard.observability import logger

SAMPLES = (
    "cloudtrail-create-training-job-compliant",
    "cloudtrail-create-training-job-unencrypted",
    "cloudtrail-create-training-job-missing-ipsec",
    "cloudtrail-create-hyper-parameter-tuning-job",
    "sagemaker-training-job-state-change-in-progress",
    "sagemaker-training-job-state-change-tuning-child",
)
ROUNDS = 10


def main() -> None:
    warnings.filterwarnings("ignore")
    logger.setLevel("ERROR")
    with _emulator_process() as url:
        os.environ.update({**EMULATOR_ENVIRONMENT, "AWS_ENDPOINT_URL": url})
        print(f"{ROUNDS} rounds per sample, emulator at {url}\n")
        print(f"{'sample':52} {'AWS calls':>9} {'median ms':>9} {'p95 ms':>7} {'peak KiB':>8}")
        for sample in SAMPLES:
            print(_measure(url, sample))


@contextmanager
def _emulator_process() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _measure(url: str, sample: str) -> str:
    session = boto3.Session()  # shared, as botocore caches service models per session
    times: list[float] = []
    for _ in range(ROUNDS):
        guard, event, calls = _prepare(url, session, sample)
        started = time.perf_counter()
        _handle(guard, event)
        times.append((time.perf_counter() - started) * 1000)
    guard, event, calls = _prepare(url, session, sample)
    tracemalloc.start()
    _handle(guard, event)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    p95 = sorted(times)[max(0, round(len(times) * 0.95) - 1)]
    listing = ", ".join(f"{name} {n}" for name, n in sorted(calls.items()))
    return (
        f"{sample:52} {sum(calls.values()):>9} {statistics.median(times):>9.1f} {p95:>7.1f} "
        f"{peak / 1024:>8.0f}\n    {listing}"
    )


def _prepare(
    url: str, session: boto3.Session, sample: str
) -> tuple[JobGuard, dict[str, Any], Counter[str]]:
    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    world = World.build(session)
    event = world.event(sample)
    if "tuning-child" in sample:
        world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    world.create_job_for(event)
    guard, calls = _counting_guard(world)
    return guard, event, calls


def _handle(guard: JobGuard, event: dict[str, Any]) -> None:
    with redirect_stdout(io.StringIO()):  # metrics go to stdout
        guard.handle(event)


def _counting_guard(world: World) -> tuple[JobGuard, Counter[str]]:
    calls: Counter[str] = Counter()
    session = boto3.Session()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    session.events.register("before-call", count)
    clients = Clients.create(session=session)
    # Clients exist before the clock starts, as they do in a warm Lambda.
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    policy = Policy(deploy_account_ids=(DEPLOY_ACCOUNT,))
    return JobGuard(clients, policy, notifier), calls


if __name__ == "__main__":
    main()
