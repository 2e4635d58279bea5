"""The time budget's arithmetic, on a clock moved by hand (no AWS, no sleeping)."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.hooks import HierarchicalEmitter

from training_guard.effects.budget import (
    CLIENT_CONFIG,
    RESERVE_SECONDS,
    OutOfTime,
    TimeBudget,
    attempt_seconds,
    bind,
    max_attempts,
)

LAMBDA_TIMEOUT_MS = 60_000  # template.yaml: Timeout: 60


class Remaining:
    """A stand-in for context.get_remaining_time_in_millis."""

    def __init__(self, ms: float) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return int(self.ms)

    def spend(self, seconds: float) -> None:
        self.ms -= seconds * 1000


def started(ms: float, **tiers: float) -> tuple[TimeBudget, Remaining]:
    budget, remaining = TimeBudget(**tiers), Remaining(ms)
    budget.start(remaining)
    return budget, remaining


def test_unbounded_until_started_and_after_reset() -> None:
    budget = TimeBudget()
    assert budget.seconds_left(reporting=False) == math.inf
    assert budget.seconds_left(reporting=True) == math.inf
    budget.start(Remaining(0))
    assert budget.seconds_left(reporting=True) < 0
    budget.start(None)
    assert budget.seconds_left(reporting=False) == math.inf


def test_each_tier_leaves_its_floor_and_reads_the_clock_each_time() -> None:
    budget, remaining = started(30_000, reserve_seconds=12, margin_seconds=1)
    assert budget.seconds_left(reporting=False) == 18
    assert budget.seconds_left(reporting=True) == 29
    remaining.spend(10)
    assert budget.seconds_left(reporting=False) == 8
    assert budget.seconds_left(reporting=True) == 19


@pytest.mark.parametrize(("reserve", "margin"), [(1, 2), (5, -1)])
def test_margin_must_fit_in_the_reserve(reserve: float, margin: float) -> None:
    with pytest.raises(ValueError, match="margin_seconds"):
        TimeBudget(reserve_seconds=reserve, margin_seconds=margin)


@pytest.mark.parametrize(
    ("retries", "expected"),
    [
        ({"total_max_attempts": 5, "mode": "standard"}, 5),
        ({"total_max_attempts": 1}, 1),
        ({"max_attempts": 4}, None),  # legacy spelling: unknown, so every attempt may be retried
        (None, None),
    ],
)
def test_max_attempts(retries: dict[str, Any] | None, expected: int | None) -> None:
    assert max_attempts(Config(retries=retries)) == expected


def test_an_attempt_costs_both_timeouts_and_the_backoff_before_the_next() -> None:
    # CLIENT_CONFIG: 2 s connect + 8 s read; backoff at most 1, 2, 4, 8 s; none after the 5th.
    assert [attempt_seconds(CLIENT_CONFIG, n) for n in range(1, 6)] == [11, 12, 14, 18, 10]


def test_backoff_is_capped_at_twenty_seconds_and_counted_when_attempts_are_unknown() -> None:
    config = Config(connect_timeout=1, read_timeout=2)
    assert attempt_seconds(config, 1) == 4
    assert attempt_seconds(config, 9) == 23


def hung_attempts(budget: TimeBudget, remaining: Remaining, *, reporting: bool) -> int:
    """Attempts one call gets when every attempt hangs to its timeouts and then sleeps the
    longest backoff: what the budget admits, spending the worst case each time."""
    made = 0
    while made < 5 and attempt_seconds(CLIENT_CONFIG, made + 1) <= budget.seconds_left(
        reporting=reporting
    ):
        made += 1
        remaining.spend(attempt_seconds(CLIENT_CONFIG, made))
    return made


def test_against_a_60_second_lambda_facts_get_three_hung_attempts_and_reporting_its_reserve() -> (
    None
):
    assert RESERVE_SECONDS == 22
    budget, remaining = started(LAMBDA_TIMEOUT_MS)
    # Facts need 10 + backoff + 22 s: 33 at 60 s left, 34 at 49, 36 at 37, 40 at 23 (refused).
    assert hung_attempts(budget, remaining, reporting=False) == 3
    assert remaining.ms == 23_000
    # Whatever the facts did, reporting starts with at least the reserve: the DynamoDB
    # claim and then the SNS publish each get one whole hung attempt.
    remaining.ms = RESERVE_SECONDS * 1000
    assert hung_attempts(budget, remaining, reporting=True) == 1  # needs 12 of 22
    remaining.ms += 1000  # the claim hung but was not retried: no backoff slept
    assert hung_attempts(budget, remaining, reporting=True) == 1  # needs 12 of 12
    assert remaining.ms >= 0


def test_throttling_answers_fast_so_a_call_gets_all_five_attempts_early_on() -> None:
    budget, remaining = started(LAMBDA_TIMEOUT_MS)
    made = 0
    while made < 5 and attempt_seconds(CLIENT_CONFIG, made + 1) <= budget.seconds_left(
        reporting=False
    ):
        made += 1
        remaining.spend(0.1 + min(2 ** (made - 1), 20))  # a quick error, the longest backoff
    assert made == 5


def test_message_names_operation_attempts_and_code_only() -> None:
    error = OutOfTime("sagemaker.StopTrainingJob", 2, "ThrottlingException", 3.25)
    assert str(error) == (
        "sagemaker.StopTrainingJob: out of time after 2 attempt(s), "
        "last error ThrottlingException, 3.2 s to its deadline"
    )
    assert (error.operation, error.attempts, error.code) == (
        "sagemaker.StopTrainingJob",
        2,
        "ThrottlingException",
    )
    assert (
        str(OutOfTime("sns.Publish", 0, None, -0.5))
        == "sns.Publish: out of time after 0 attempt(s), -0.5 s to its deadline"
    )


# The hooks, driven through botocore's own event emitter on a stand-in client: the events
# and arguments botocore's endpoint emits for each call and attempt.
EVENT = "sagemaker.DescribeTrainingJob"
THROTTLED = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}


def bound_client(budget: TimeBudget, *, reporting: bool = False) -> Any:
    client = SimpleNamespace(
        meta=SimpleNamespace(events=HierarchicalEmitter(), config=CLIENT_CONFIG)
    )
    bind(client, budget, reporting=reporting)
    return client


def attempt(client: Any, failure: dict[str, Any] | Exception | None = None) -> None:
    client.meta.events.emit(f"before-send.{EVENT}", request=None)
    response = (None, failure) if isinstance(failure, dict) else (None, {})
    caught = failure if isinstance(failure, Exception) else None
    client.meta.events.emit(f"needs-retry.{EVENT}", response=response, caught_exception=caught)


def test_attempts_are_refused_once_the_next_cannot_fit_chained_to_the_last_error() -> None:
    budget, remaining = started(35_000)
    client = bound_client(budget)
    client.meta.events.emit(f"before-call.{EVENT}")
    attempt(client, THROTTLED)  # 1st needs 11 + 22 = 33 s of 35
    remaining.spend(1)
    attempt(client, THROTTLED)  # 2nd needs 12 + 22 = 34 s of 34
    remaining.spend(1)
    with pytest.raises(OutOfTime) as raised:  # 3rd needs 14 + 22 = 36 s of 33
        client.meta.events.emit(f"before-send.{EVENT}", request=None)
    assert (raised.value.attempts, raised.value.code) == (2, "ThrottlingException")
    assert raised.value.operation == EVENT
    assert isinstance(raised.value.__cause__, ClientError)
    assert raised.value.__cause__.response["Error"]["Code"] == "ThrottlingException"


def test_a_connection_error_is_noted_by_its_name_and_a_new_call_starts_clean() -> None:
    budget, remaining = started(35_000)
    client = bound_client(budget)
    client.meta.events.emit(f"before-call.{EVENT}")
    timeout = ReadTimeoutError(endpoint_url="https://api.sagemaker")
    attempt(client, timeout)
    remaining.spend(10)
    with pytest.raises(OutOfTime) as raised:
        client.meta.events.emit(f"before-send.{EVENT}", request=None)
    assert (raised.value.code, raised.value.__cause__) == ("ReadTimeoutError", timeout)
    # A refusal passes through needs-retry as botocore's caught exception: not an error to note.
    client.meta.events.emit(f"needs-retry.{EVENT}", response=None, caught_exception=raised.value)
    client.meta.events.emit(f"before-call.{EVENT}")
    with pytest.raises(OutOfTime) as again:
        client.meta.events.emit(f"before-send.{EVENT}", request=None)
    assert (again.value.attempts, again.value.code, again.value.__cause__) == (0, None, None)


def test_reporting_is_admitted_where_facts_are_refused_and_unstarted_admits_all() -> None:
    budget, _ = started(20_000)  # facts need 33 s, reporting 12 s
    facts, reporting = bound_client(budget), bound_client(budget, reporting=True)
    for client in (facts, reporting):
        client.meta.events.emit(f"before-call.{EVENT}")
    with pytest.raises(OutOfTime):
        facts.meta.events.emit(f"before-send.{EVENT}", request=None)
    reporting.meta.events.emit(f"before-send.{EVENT}", request=None)
    budget.start(None)
    facts.meta.events.emit(f"before-send.{EVENT}", request=None)
