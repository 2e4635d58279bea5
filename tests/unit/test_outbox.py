"""The plan an invocation leaves before acting, and how a retry tells it (no AWS)."""

from __future__ import annotations

from pathlib import Path

import yaml

from training_guard.effects.ledger import LEASE_SECONDS, RETRY_AFTER_SECONDS
from training_guard.model import Action, ActionKind, Finding, Severity, Summary
from training_guard.outbox import Done, Plan, recount

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


def test_a_recorded_stop_is_told_as_the_guards_and_the_skip_it_explains_goes() -> None:
    now = Summary(ARN, "enforce", (UNENCRYPTED,), (ALREADY_STOPPING,))
    stopped = Action(ActionKind.STOPPED, "Stopped training job j: inter-container-encryption.")
    told = recount(now, [Plan.of([UNENCRYPTED], ["stop the job"])], [Done(stopped, 0.0)])
    assert [a.action for a in told.actions] == [ActionKind.STOPPED]
    assert told.actions[0].detail.startswith("Stopped training job j")
    assert "earlier attempt" in told.actions[0].detail


def test_a_stop_never_recorded_is_told_as_found_not_as_the_guards() -> None:
    """Killed before its stop was recorded: someone else may have stopped the job."""
    now = Summary(ARN, "enforce", (UNENCRYPTED,), (ALREADY_STOPPING,))
    told = recount(now, [Plan.of([UNENCRYPTED], ["stop the job"])])
    assert [a.action for a in told.actions] == [ActionKind.SKIPPED]
    assert "set out to stop the job" in told.actions[0].detail
    assert "already Stopping" in told.actions[0].detail


def test_a_deed_survives_the_state_table() -> None:
    done = Done(Action(ActionKind.REVOKED, "Revoked tcp 22 with 0.0.0.0/0."), 12.5)
    assert Done.from_json(done.to_json()) == done
    skipped = Done(Action(ActionKind.SKIPPED, "x"), 1.0)
    assert Done.from_json(skipped.to_json()) is None  # only deeds are told as done
    assert Done.from_json("[]") is None


def test_a_job_that_completed_is_not_told_as_stopped() -> None:
    completed = Action(ActionKind.SKIPPED, "Nothing to stop: training job j is already Completed.")
    now = Summary(ARN, "enforce", (UNENCRYPTED,), (completed,))
    told = recount(now, [Plan.of([UNENCRYPTED], ["stop the job"])])
    assert told.actions == (completed,)


def test_a_repair_whose_finding_vanished_is_told_with_the_planned_findings() -> None:
    now = Summary(ARN, "enforce", (), ())
    added = Action(ActionKind.REPAIRED, "Added self-referencing rules to sg-1: UDP 500.")
    told = recount(now, [Plan.of([MISSING], ["add the missing rules"])], [Done(added, 0.0)])
    assert told.findings == (MISSING,)
    assert [a.action for a in told.actions] == [ActionKind.REPAIRED]
    unrecorded = recount(now, [Plan.of([MISSING], ["add the missing rules"])])
    assert [a.action for a in unrecorded.actions] == [ActionKind.SKIPPED]
    assert "EC2 now shows the missing rules in place" in unrecorded.actions[0].detail


def test_an_unrelated_failure_does_not_hide_an_earlier_deed() -> None:
    late = Action(ActionKind.FAILED, "Not finished in time: out of time.")
    now = Summary(ARN, "enforce", (), (late,))
    added = Action(ActionKind.REPAIRED, "Added self-referencing rules to sg-1: UDP 500.")
    told = recount(now, [Plan.of([MISSING], ["add the missing rules"])], [Done(added, 0.0)])
    assert [a.action for a in told.actions] == [ActionKind.FAILED, ActionKind.REPAIRED]


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


def test_the_same_request_id_takes_over_only_as_a_retry() -> None:
    """A copy of one invocation runs within the timeout of the first; its retry comes at
    least a minute after the first attempt ended."""
    template = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    timeout = template["Globals"]["Function"]["Timeout"]
    assert timeout <= RETRY_AFTER_SECONDS <= FIRST_RETRY_WAIT


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags read as plain values."""


def _any_tag(loader: yaml.SafeLoader, _: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _any_tag)
