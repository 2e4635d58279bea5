"""A time budget for AWS calls: retries stop before the Lambda's timeout does, and the
report of what happened (DynamoDB claim, SNS publish) always gets its turn."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

# AWS control-plane calls answer in well under a second. A connect slower than 2 s (one
# lost SYN is resent after 1 s) or a read silent for 8 s is a hung connection: give up on
# it and retry, rather than let it eat the invocation.
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 8
CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 5, "mode": "standard"},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
)
MARGIN_SECONDS = 1.0  # what a handler needs after its last call: log, return its summary
# Reporting is two calls in a row (claim, publish). The second must still be admitted after
# the first hung for a whole attempt: two attempts + the first backoff + the margin = 22 s.
RESERVE_SECONDS = 2.0 * (CONNECT_TIMEOUT + READ_TIMEOUT) + 1.0 + MARGIN_SECONDS


class OutOfTime(Exception):  # noqa: N818 - the name the guard and its handlers use
    """An attempt was not started: it might not finish before its deadline. The message
    has the operation and error code only, as request content may hold secrets."""

    def __init__(self, operation: str, attempts: int, code: str | None, left: float) -> None:
        self.operation, self.attempts, self.code = operation, attempts, code
        last = f", last error {code}" if code else ""
        done = f"{operation}: out of time after {attempts} attempt(s){last}"
        super().__init__(f"{done}, {left:.1f} s to its deadline")


class TimeBudget:
    """The time left in this invocation, minus what each tier must leave behind."""

    def __init__(
        self, reserve_seconds: float = RESERVE_SECONDS, margin_seconds: float = MARGIN_SECONDS
    ) -> None:
        if not 0 <= margin_seconds <= reserve_seconds:
            raise ValueError("need 0 <= margin_seconds <= reserve_seconds")
        self.reserve_seconds, self.margin_seconds = reserve_seconds, margin_seconds
        self._remaining_ms: Callable[[], int] | None = None

    def start(self, remaining_ms: Callable[[], int] | None) -> None:
        """Bound this invocation's calls by `remaining_ms` (Lambda's
        `context.get_remaining_time_in_millis`); None makes them unbounded again."""
        self._remaining_ms = remaining_ms

    def seconds_left(self, *, reporting: bool) -> float:
        """Seconds a call of this tier may still use (infinite when not started)."""
        if self._remaining_ms is None:
            return math.inf
        floor = self.margin_seconds if reporting else self.reserve_seconds
        return self._remaining_ms() / 1000 - floor


def max_attempts(config: Config) -> int | None:
    """Total attempts allowed, where the client's Config says (`total_max_attempts`)."""
    total = (config.retries or {}).get("total_max_attempts")
    return None if total is None else int(total)


def attempt_seconds(config: Config, attempt: int) -> float:
    """Worst case of attempt `attempt` (1-based): both timeouts run out, then (unless it is
    the last) the backoff sleep, which comes before the next attempt's check. Standard
    retry mode sleeps at most min(2 ** (attempt - 1), 20) s (a server's x-amz-retry-after
    may add up to 5 s; the next check then refuses, and the floor absorbs the rest)."""
    worst = float(config.connect_timeout) + float(config.read_timeout)
    last = max_attempts(config)
    return worst + (min(2.0 ** (attempt - 1), 20.0) if last is None or attempt < last else 0)


class _Call(threading.local):  # a call runs in one thread; a client may serve several
    made = 0
    code: str | None = None
    error: BaseException | None = None


class _Hooks:
    def __init__(self, budget: TimeBudget, config: Config, reporting: bool) -> None:
        self._budget, self._config, self._reporting = budget, config, reporting
        self._call = _Call()

    def before_call(self, **_: Any) -> None:
        self._call.made, self._call.code, self._call.error = 0, None, None

    def before_send(self, event_name: str, **_: Any) -> None:
        # Fires once per attempt, after any backoff sleep: the first and every retry.
        call, left = self._call, self._budget.seconds_left(reporting=self._reporting)
        if attempt_seconds(self._config, call.made + 1) > left:
            operation = event_name.split(".", 1)[-1]  # service.Operation
            raise OutOfTime(operation, call.made, call.code, left) from call.error
        call.made += 1

    def needs_retry(self, event_name: str, response: Any, caught_exception: Any, **_: Any) -> None:
        # Only notes the error; botocore's own handler decides on the retry.
        if isinstance(caught_exception, Exception) and not isinstance(caught_exception, OutOfTime):
            self._call.code, self._call.error = type(caught_exception).__name__, caught_exception
        elif response is not None and "Error" in response[1]:
            self._call.code = str(response[1]["Error"].get("Code", "")) or None
            self._call.error = ClientError(response[1], event_name.rsplit(".", 1)[-1])


def bind(client: Any, budget: TimeBudget, *, reporting: bool) -> None:
    """Refuse any attempt of `client`'s calls that could end past its tier's deadline.
    Hooks go on this client only, first, so a refused attempt never reaches the wire.
    Binding a client twice keeps the first binding."""
    hooks, events = _Hooks(budget, client.meta.config, reporting), client.meta.events
    events.register_first("before-call.*", hooks.before_call, unique_id="tg-budget-call")
    events.register_first("before-send.*", hooks.before_send, unique_id="tg-budget-send")
    events.register_first("needs-retry.*", hooks.needs_retry, unique_id="tg-budget-retry")
