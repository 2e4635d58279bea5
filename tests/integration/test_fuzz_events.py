"""Property: every mutated sample, through the real handlers against the emulator,
ends in a summary — the event evaluated, ignored (one `skipped` action) or rejected
(no resource, one `failed` action "Rejected event: <reason>") — or in a retryable AWS
error (throttling, 5xx, a lost connection) that sends it back to Lambda and on to the
dead-letter queue. Never a KeyError, TypeError, AttributeError, a botocore parameter
error or any other crash (DESIGN.md, "Never crash on an event").

A rejection names the field and quotes no planted secret, neither in the summary nor
in a log line; a secret planted in hyperparameters or the environment, and the
samples' own `do-not-log-me`, never come out at all.

The mutations and the checks of a reason come from tests/unit/test_fuzz_parsers.py.
Each sample goes first to its own guard and then to the other one. For job samples
the job is created first, so the guard finds it; for security-group samples the
group is guarded, open to the world and judged in notify mode, so that every
evaluation has a finding and builds the notification that quotes the event.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError, HTTPClientError, ParamValidationError
from botocore.exceptions import ConnectionError as BotoConnectionError
from hypothesis import HealthCheck, currently_in_test_context, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

from emulator.world import World
from support import SAMPLE_NAMES, SG_SAMPLE_NAMES
from tests.integration.conftest import Invoke
from tests.unit.test_fuzz_parsers import (
    KNOWN_SHAPES,
    SAMPLE_SECRET,
    SECRET,
    Mutation,
    check_reason,
    guards_for,
    mutate,
    mutations,
    sample_is_rejected,
    short,
)

Logs = Callable[[], list[dict[str, Any]]]

# botocore's standard retry mode treats these as throttling or transient
# (botocore/retries/standard.py); so does any 5xx.
RETRYABLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
     "TooManyRequestsException", "ProvisionedThroughputExceededException",
     "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
     "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
     "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException"}
)  # fmt: skip
SUMMARY_KEYS = frozenset({"resource", "mode", "findings", "actions"})
FINDING_KEYS = ("control", "severity", "message")
ACTIONS = frozenset({"stopped", "repaired", "revoked", "skipped", "failed"})

FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def is_retryable(error: Exception) -> bool:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in RETRYABLE_CODES or status >= 500
    return isinstance(error, BotoConnectionError | HTTPClientError)


def statistic(value: str) -> None:
    """Counted in `--hypothesis-show-statistics`."""
    if currently_in_test_context():
        hypothesis_event(value)


def create_job(world: World, event: dict[str, Any]) -> None:
    # No job to create for a failed call or an event of another service.
    with contextlib.suppress(ClientError, ParamValidationError, KeyError):
        world.create_job_for(event)


@dataclass(frozen=True)
class Prepared:
    sample: str
    event: dict[str, Any]

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis prints it in a failing test case: not the whole event."""
        printer.text(f"<{self.sample} with the emulator's ids>")


@pytest.fixture
def prepared(world: World, configure: Callable[..., None], sample: str) -> Prepared:
    """The sample with the emulator's ids, and the account as AWS would have it then."""
    event = world.event(sample)
    if sample in SG_SAMPLE_NAMES:
        configure(GUARD_MODE="notify")
        world.keep_group(world.good_group)  # used by a running job, as job_guard records it
        world.client("ec2").authorize_security_group_ingress(
            GroupId=world.good_group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )  # fmt: skip
        return Prepared(sample, event)
    if sample == "sagemaker-training-job-state-change-tuning-child":
        create_job(world, world.event("cloudtrail-create-hyper-parameter-tuning-job"))
    create_job(world, event)
    return Prepared(sample, event)


@pytest.fixture
def handlers(invoke: Invoke, invoke_sg: Invoke) -> dict[str, Invoke]:
    return {"job_guard": invoke, "sg_guard": invoke_sg}


def check_invocation(
    handlers: dict[str, Invoke], logs: Logs, prepared: Prepared, changes: Sequence[Mutation]
) -> None:
    sample, original = prepared.sample, prepared.event
    event, applied = mutate(original, changes)
    for guard in guards_for(sample):
        seen = len(logs())
        try:
            summary = handlers[guard](event)
        except (ClientError, BotoConnectionError, HTTPClientError) as e:
            if not is_retryable(e):
                raise
            statistic(f"{guard}: retryable {type(e).__name__}")
            continue
        outcome = check_summary(
            summary, logs()[seen:], applied, original, sample_is_rejected(guard, sample)
        )
        statistic(f"{guard}: {outcome}")


def check_summary(
    summary: Any,
    lines: list[dict[str, Any]],
    applied: Sequence[Mutation],
    original: dict[str, Any],
    sample_rejected: bool,
) -> str:
    """The summary's outcome: evaluated, ignored or rejected."""
    shape_ok = isinstance(summary, dict) and set(summary) == SUMMARY_KEYS
    assert shape_ok, f"not a summary: {short(summary)}"
    text, logged = json.dumps(summary), json.dumps(lines)
    leaked = SAMPLE_SECRET in text or SAMPLE_SECRET in logged
    assert not leaked, f"the sample's environment value {SAMPLE_SECRET!r} came out"
    if any(m.plants_opaque_secret for m in applied):
        leaked = SECRET in text or SECRET in logged
        assert not leaked, "a secret planted in hyperparameters or the environment came out"
    outcome = outcome_of(summary)
    assert outcome, f"neither evaluated, ignored nor rejected: {short(summary)}"
    if outcome != "rejected":
        return outcome
    reason = summary["actions"][0]["detail"].removeprefix("Rejected event: ")
    check_reason(reason, applied, original, sample_rejected)
    if any(m.plants_secret for m in applied):
        in_summary, in_logs = SECRET in text, SECRET in logged
        assert not in_summary, f"the rejected event's secret is in the summary: {short(text)}"
        assert not in_logs, f"the rejected event's secret is in a log line: {short(logged)}"
    reported = any(line.get("level") == "ERROR" and line.get("reason") for line in lines)
    assert reported, "a rejected event is not logged with its reason"
    return outcome


def outcome_of(summary: dict[str, Any]) -> str | None:
    findings, actions = summary["findings"], summary["actions"]
    if summary["mode"] not in {"enforce", "notify"} or not isinstance(findings, list):
        return None
    if not isinstance(actions, list) or not all(
        isinstance(a, dict) and a.get("action") in ACTIONS and isinstance(a.get("detail"), str)
        for a in actions
    ):
        return None
    only = actions[0] if len(actions) == 1 and not findings else None
    if (
        only
        and only["action"] == "failed"
        and summary["resource"] is None
        and only["detail"].startswith("Rejected event:")
    ):
        return "rejected"
    if only and only["action"] == "skipped":
        return "ignored"
    findings_ok = all(
        isinstance(f, dict) and all(isinstance(f.get(k), str) for k in FINDING_KEYS)
        for f in findings
    )
    resource = summary["resource"]
    if findings_ok and isinstance(resource, str) and resource.startswith("arn:"):
        return "evaluated"
    return None


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_sample_through_the_handlers(
    prepared: Prepared,
    handlers: dict[str, Invoke],
    logs: Logs,
    sample: str,
    data: st.DataObject,
) -> None:
    changes = data.draw(mutations(sample), label="mutations")
    check_invocation(handlers, logs, prepared, changes)


@pytest.mark.parametrize("sample", sorted({s for _, s, _ in KNOWN_SHAPES}))
def test_known_breaking_shapes_through_the_handlers(
    prepared: Prepared,
    handlers: dict[str, Invoke],
    logs: Logs,
    sample: str,
    subtests: pytest.Subtests,
) -> None:
    """One account per sample, one subtest per shape: each failure is reported on its own."""
    for case, shape_sample, change in KNOWN_SHAPES:
        if shape_sample == sample:
            with subtests.test(case):
                check_invocation(handlers, logs, prepared, [change])
