"""The plan an invocation leaves before acting, and how a retry tells it (no AWS)."""

from __future__ import annotations

from pathlib import Path

import yaml

from training_guard.effects.ledger import LEASE_SECONDS
from training_guard.model import Action, ActionKind, Finding, Severity, Summary
from training_guard.outbox import Plan, recount

ARN = "arn:aws:sagemaker:us-east-1:123456789012:training-job/j"
UNENCRYPTED = Finding("inter-container-encryption", Severity.HIGH, "Not encrypted.", "stop the job")
MISSING = Finding("sg-ipsec-self-rules", Severity.HIGH, "No IPsec rules.", "add the missing rules")
ALREADY_STOPPING = Action(
    ActionKind.SKIPPED, "Nothing to stop: training job j is already Stopping.", ActionKind.STOPPED
)
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
# Lambda retries a failed asynchronous invocation after one minute, then after two more.
FIRST_RETRY_WAIT, SECOND_RETRY_WAIT = 60, 120


def test_a_plan_survives_the_state_table() -> None:
    plan = Plan.of([UNENCRYPTED, MISSING], ["stop the job"])
    assert Plan.from_json(plan.to_json()) == plan


def test_an_unreadable_plan_is_dropped_not_a_crash() -> None:
    assert Plan.from_json("{") is None
    assert Plan.from_json('{"findings": [{"control": "x"}], "intents": [], "at": 1}') is None
    unknown = Plan.from_json('{"findings": [], "intents": ["delete the account"], "at": 1}')
    assert unknown is not None
    assert unknown.intents == ()


def test_a_stop_the_job_already_shows_is_told_as_the_stop() -> None:
    now = Summary(ARN, "enforce", (UNENCRYPTED,), (ALREADY_STOPPING,))
    told = recount(now, [Plan.of([UNENCRYPTED], ["stop the job"])])
    assert [a.action for a in told.actions] == [ActionKind.STOPPED]
    assert "earlier attempt" in told.actions[0].detail
    assert "already Stopping" in told.actions[0].detail


def test_a_job_that_completed_is_not_told_as_stopped() -> None:
    completed = Action(ActionKind.SKIPPED, "Nothing to stop: training job j is already Completed.")
    now = Summary(ARN, "enforce", (UNENCRYPTED,), (completed,))
    told = recount(now, [Plan.of([UNENCRYPTED], ["stop the job"])])
    assert told.actions == (completed,)


def test_a_repair_whose_finding_vanished_is_told_with_the_planned_findings() -> None:
    now = Summary(ARN, "enforce", (), ())
    told = recount(now, [Plan.of([MISSING], ["add the missing rules"])])
    assert told.findings == (MISSING,)
    assert [a.action for a in told.actions] == [ActionKind.REPAIRED]


def test_a_repair_still_needed_is_not_claimed_done() -> None:
    refused = Action(ActionKind.SKIPPED, "sg-1 is tagged training-guard:exempt=true.")
    now = Summary(ARN, "enforce", (MISSING,), (refused,))
    told = recount(now, [Plan.of([MISSING], ["add the missing rules"])])
    assert told.actions == (refused,)


def test_what_this_attempt_did_or_failed_is_kept() -> None:
    failed = Action(ActionKind.FAILED, "Could not stop training job j: AccessDenied.")
    now = Summary(ARN, "enforce", (UNENCRYPTED,), (failed,))
    assert recount(now, [Plan.of([UNENCRYPTED], ["stop the job"])]).actions == (failed,)


def test_the_lease_outlives_the_function_and_lapses_before_the_last_retry() -> None:
    template = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    timeout = template["Globals"]["Function"]["Timeout"]
    assert timeout < LEASE_SECONDS < FIRST_RETRY_WAIT + SECOND_RETRY_WAIT


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags read as plain values."""


def _any_tag(loader: yaml.SafeLoader, _: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _any_tag)
