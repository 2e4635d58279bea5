"""The Lambda context a handler receives, for calling handlers directly (no Docker here)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the context Lambda passes to a handler, and the
    countdown the guard's time budget reads."""

    function_name: str = "job-guard"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:job-guard"
    # Lambda's id for one asynchronous invocation, kept across its retries: a retry is
    # played by passing the first attempt's id again.
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # The function's timeout (the template's 60 s) and the clock it counts down on: a test
    # passes a clock it moves by hand to play a slow invocation without waiting for it.
    timeout_ms: int = 60_000
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    _started: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._started = self.clock()

    @classmethod
    def named(cls, function_name: str) -> LambdaContext:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        return cls(function_name=function_name, invoked_function_arn=arn)

    def get_remaining_time_in_millis(self) -> int:
        """As Lambda's: milliseconds until the timeout, never below zero."""
        elapsed_ms = (self.clock() - self._started) * 1000
        return max(0, int(self.timeout_ms - elapsed_ms))
