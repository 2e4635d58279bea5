"""The time budget on real boto3 clients talking HTTP to the emulator: attempts are refused
once the invocation's remaining time cannot fit them, facts before reporting.

The remaining time comes from the emulator's LambdaContext on a clock moved by hand, so a
slow invocation is played without waiting for it; the only real waiting is botocore's
own backoff between the throttled attempts (at most 1 s, then 2 s). Throttling is
injected at the HTTP layer (faults.HttpFault, a `before-send` hook); no boto3 method is
patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from emulator import Emulator, free_port
from emulator.lambda_context import LambdaContext
from tests.integration.faults import HttpFault
from training_guard.effects.budget import (
    CLIENT_CONFIG,
    RESERVE_SECONDS,
    OutOfTime,
    TimeBudget,
    bind,
)


# Its own emulator rather than the shared `emulator` fixture: these tests need no account
# resources and no environment, and they keep running while conftest.py cannot import.
@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with Emulator() as running:
        yield running.url


@pytest.fixture(scope="module")
def session(endpoint: str) -> boto3.Session:
    # Credentials for the emulator only; hooks go on clients, never on this session.
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


class Clock:
    """Seconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def invocation(clock: Clock, remaining_seconds: float) -> TimeBudget:
    """A budget started as a handler starts it, on a context with this much time left."""
    return started(LambdaContext(timeout_ms=int(remaining_seconds * 1000), clock=clock))


def started(context: LambdaContext) -> TimeBudget:
    budget = TimeBudget()
    budget.start(context.get_remaining_time_in_millis)
    return budget


def client(session: boto3.Session, endpoint: str, service: str) -> Any:
    return session.client(service, endpoint_url=endpoint, config=CLIENT_CONFIG)  # type: ignore[call-overload]


class Throttled:
    """ThrottlingException for every ListTrainingJobs attempt, each taking `seconds` of
    the invocation. Registered with `register`, so the budget's `register_first` hook runs
    before it and a refused attempt never reaches it."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds
        self.fault = HttpFault("sagemaker", "ListTrainingJobs", "ThrottlingException")

    def install(self, sagemaker: Any) -> Throttled:
        sagemaker.meta.events.register("before-send.sagemaker.ListTrainingJobs", self)
        return self

    def __call__(self, request: Any, **kwargs: Any) -> Any:
        self.clock.advance(self.seconds)
        return self.fault(request, **kwargs)


def test_with_plenty_of_time_calls_on_both_tiers_succeed(
    session: boto3.Session, endpoint: str, clock: Clock
) -> None:
    budget = invocation(clock, 60)
    sagemaker, sns = client(session, endpoint, "sagemaker"), client(session, endpoint, "sns")
    bind(sagemaker, budget, reporting=False)
    bind(sns, budget, reporting=True)
    assert sagemaker.list_training_jobs()["ResponseMetadata"]["RetryAttempts"] == 0
    topic = sns.create_topic(Name="budget")["TopicArn"]
    assert sns.publish(TopicArn=topic, Message="hello")["MessageId"]


def test_throttling_is_retried_while_time_remains_then_out_of_time(
    session: boto3.Session, endpoint: str, clock: Clock
) -> None:
    # A facts attempt needs 10 s (timeouts) + its backoff bound (1, 2, 4 s) + the 22 s
    # reserve: 33 s, then 34 s, then 36 s. Each throttled answer here takes 1 s.
    context = LambdaContext(timeout_ms=35_500, clock=clock)
    sagemaker = client(session, endpoint, "sagemaker")
    bind(sagemaker, started(context), reporting=False)
    throttled = Throttled(clock, seconds=1).install(sagemaker)

    with pytest.raises(OutOfTime) as raised:
        sagemaker.list_training_jobs()

    # Attempts 1 (35.5 s left) and 2 (34.5 s) were sent; attempt 3 (33.5 s) was refused
    # before it reached the fault or the wire.
    assert throttled.fault.calls == 2
    assert (raised.value.operation, raised.value.attempts) == ("sagemaker.ListTrainingJobs", 2)
    assert raised.value.code == "ThrottlingException"
    cause = raised.value.__cause__
    assert isinstance(cause, ClientError)
    assert cause.response["Error"]["Code"] == "ThrottlingException"
    assert "ThrottlingException" in str(raised.value)
    # What is left is more than the reserve: enough to record and notify.
    assert context.get_remaining_time_in_millis() == 33_500 > RESERVE_SECONDS * 1000


def test_a_refused_connection_is_retried_then_out_of_time_chained_to_it(
    session: boto3.Session, clock: Clock
) -> None:
    budget = invocation(clock, 35.5)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    sagemaker = session.client("sagemaker", endpoint_url=closed, config=CLIENT_CONFIG)  # type: ignore[call-overload]
    bind(sagemaker, budget, reporting=False)
    sagemaker.meta.events.register(
        "before-send.sagemaker.ListTrainingJobs", lambda **_: clock.advance(1)
    )

    with pytest.raises(OutOfTime) as raised:
        sagemaker.list_training_jobs()

    assert (raised.value.attempts, raised.value.code) == (2, "EndpointConnectionError")
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


def test_reporting_still_gets_its_call_when_facts_are_refused(
    session: boto3.Session, endpoint: str, clock: Clock
) -> None:
    setup = client(session, endpoint, "sns")
    topic = setup.create_topic(Name="budget")["TopicArn"]
    # 20 s left: a facts attempt needs 33 s, a reporting attempt 12 s.
    budget = invocation(clock, 20)
    sagemaker, sns = client(session, endpoint, "sagemaker"), client(session, endpoint, "sns")
    dynamodb = client(session, endpoint, "dynamodb")
    bind(sagemaker, budget, reporting=False)
    bind(sns, budget, reporting=True)
    bind(dynamodb, budget, reporting=True)
    throttled = Throttled(clock, seconds=0).install(sagemaker)

    with pytest.raises(OutOfTime) as raised:
        sagemaker.list_training_jobs()
    assert (raised.value.attempts, raised.value.code, raised.value.__cause__) == (0, None, None)
    assert throttled.fault.calls == 0

    assert "TableNames" in dynamodb.list_tables()
    assert sns.publish(TopicArn=topic, Message="stopped: out of time")["MessageId"]

    clock.advance(8)  # 12 s left: still one reporting attempt, not two
    assert sns.publish(TopicArn=topic, Message="again")["MessageId"]
    clock.advance(1)
    with pytest.raises(OutOfTime):
        sns.publish(TopicArn=topic, Message="too late")


def test_an_unbound_client_is_unaffected(
    session: boto3.Session, endpoint: str, clock: Clock
) -> None:
    budget = invocation(clock, 0)
    bound = client(session, endpoint, "sagemaker")
    bind(bound, budget, reporting=True)
    with pytest.raises(OutOfTime):
        bound.list_training_jobs()
    # Hooks live on the bound client only: neither a sibling nor a later client sees them.
    assert "TrainingJobSummaries" in client(session, endpoint, "sagemaker").list_training_jobs()
    assert "Topics" in client(session, endpoint, "sns").list_topics()


def test_an_unstarted_budget_bounds_nothing(session: boto3.Session, endpoint: str) -> None:
    sagemaker = client(session, endpoint, "sagemaker")
    bind(sagemaker, TimeBudget(), reporting=False)  # outside Lambda: never started
    assert "TrainingJobSummaries" in sagemaker.list_training_jobs()
