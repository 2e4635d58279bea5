"""The emulator (moto's server on 127.0.0.1) and a fresh account for every test."""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from emulator import Emulator
from emulator.lambda_context import LambdaContext
from emulator.world import World
from functions.job_guard import app
from functions.sg_guard import app as sg_app
from training_guard.effects.aws import Clients
from training_guard.effects.loaders import forget_prefix_lists
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.observability import logger

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator() as running, running.environment():
        yield running


@pytest.fixture(scope="session")
def boto_session(emulator: Emulator) -> boto3.Session:
    # One session for the whole run: botocore caches the service models it loads.
    return boto3.Session()


@pytest.fixture
def world(
    emulator: Emulator, boto_session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    emulator.reset()
    # A warm Lambda keeps prefix lists for minutes; each test is a new account.
    forget_prefix_lists()
    built = World.build(boto_session)
    for name in ("GUARD_MODE", "EXEMPT_TAG_KEY", "DEPLOY_ACCOUNT_IDS", "REQUIRE_NETWORK_ISOLATION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTIFY_TOPIC_ARN", built.topic_arn)
    monkeypatch.setenv("STATE_TABLE_NAME", built.table_name)
    app.job_guard.cache_clear()
    sg_app.sg_guard.cache_clear()
    yield built
    app.job_guard.cache_clear()
    sg_app.sg_guard.cache_clear()


@pytest.fixture
def invoke(world: World) -> Invoke:
    """Call the real Lambda handler, as Lambda would."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return app.lambda_handler(event, LambdaContext())  # type: ignore[no-any-return]

    return call


@pytest.fixture
def invoke_sg(world: World) -> Invoke:
    """Call the real sg_guard Lambda handler."""

    def call(event: dict[str, Any]) -> dict[str, Any]:
        return sg_app.lambda_handler(event, LambdaContext.named("sg-guard"))  # type: ignore[no-any-return]

    return call


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the handler's environment variables; the next invocation reads them afresh."""

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        app.job_guard.cache_clear()
        sg_app.sg_guard.cache_clear()

    return set_variables


@pytest.fixture
def logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The guard's log lines as Lambda would ship them: Powertools' JSON, one per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger(logger.name).addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger(logger.name).removeHandler(handler)


# Service models parsed once for the whole run; each session keeps its own event hooks.
_MODELS = botocore.loaders.create_loader()


def fresh_session() -> boto3.Session:
    """A session of its own (for hooks: faults, counting), sharing the parsed models."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _MODELS)
    return boto3.Session(botocore_session=core)


@dataclass(frozen=True)
class Counted:
    """What a guard needs, on clients whose every AWS call is counted."""

    clients: Clients
    notifier: Notifier
    record: GroupRecord
    calls: Counter[str]  # "service:Operation" -> how many calls


def counted(world: World) -> Counted:
    """Clients of a session of their own, counting calls with botocore's `before-call`
    hook as bench/harness.py does (retries are not calls of their own)."""
    calls: Counter[str] = Counter()
    session = fresh_session()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}:{model.name}"] += 1

    session.events.register("before-call", count)
    clients = Clients.create(session=session)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    return Counted(clients, notifier, GroupRecord(clients.dynamodb, world.table_name), calls)
