"""template.yaml with every chat parameter set and with none: cfn-lint and `sam validate --lint`
pass, the conditions create exactly the chat resources each case asks for, and what the
linters cannot know (Chatbot's API limits, SNS filter-policy limits) holds."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest
from cfnlint.decode import decode_str

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
SAM = ROOT / ".venv-sam" / "bin" / "sam"

SLACK = {"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0123ABCD"}
TEAMS = {
    "TeamsTenantId": "a1b2c3d4-e5f6-4789-9abc-def012345678",
    "TeamId": "0f1e2d3c-4b5a-4697-8877-665544332211",
    "TeamsChannelId": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
}
WEBHOOK = {
    "SlackWebhookSecretArn": (
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:training-guard/slack-webhook-AbC123"
    )
}
EVERY_CHAT_PARAMETER = {
    **SLACK,
    **TEAMS,
    **WEBHOOK,
    "NotificationEmail": "ml-security@example.com",
    "OwnerTagKey": "team",
    "ChatNotifyOn": "stopped,repaired,revoked,skipped,failed",
    "ChatMinSeverity": "HIGH",
    "EmailNotifyOn": "stopped,repaired,revoked,skipped,failed,none",
    "EmailMinSeverity": "LOW",
}

CHANNELS = {"ChatReadPolicy", "ChatChannelRole"}
STOP_BUTTONS = {"ChatStopJobsPolicy", "StopTrainingJobAction", "StopTuningJobAction"}
EMAIL = {"NotificationEmailSubscription", "NotificationEmailAlarmSubscription"}
SLACK_NOTIFIER = {
    "SlackNotifierFunction",
    "SlackNotifierLogGroup",
    "SlackNotifierFailedQueue",
    "SlackNotifierErrorsAlarm",
    "SlackNotifierFailedAlarm",
}
# Parameter values -> the conditional resources they must create, and no others.
CASES: dict[str, tuple[dict[str, str], set[str]]] = {
    "none": ({}, set()),
    "all-notify": (
        {**EVERY_CHAT_PARAMETER, "Mode": "notify"},
        CHANNELS
        | STOP_BUTTONS
        | EMAIL
        | SLACK_NOTIFIER
        | {"SlackChannelConfiguration", "TeamsChannelConfiguration"},
    ),
    "all-enforce": (
        {**EVERY_CHAT_PARAMETER, "Mode": "enforce"},
        CHANNELS
        | EMAIL
        | SLACK_NOTIFIER
        | {"SlackChannelConfiguration", "TeamsChannelConfiguration"},
    ),
    "slack-channel-notify": (
        {**SLACK, "Mode": "notify"},
        CHANNELS | STOP_BUTTONS | {"SlackChannelConfiguration"},
    ),
    "teams-channel-enforce": (
        {**TEAMS, "Mode": "enforce"},
        CHANNELS | {"TeamsChannelConfiguration"},
    ),
    "webhook-only-notify": ({**WEBHOOK, "Mode": "notify"}, SLACK_NOTIFIER),
}
LINTED = ("none", "all-notify", "all-enforce")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document, problems = decode_str(TEMPLATE_PATH.read_text())
    assert not problems
    return document  # type: ignore[no-any-return]


def with_values(template: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """A copy of the template whose parameter defaults are these values."""
    copy: dict[str, Any] = json.loads(json.dumps(template))
    for name, value in values.items():
        copy["Parameters"][name]["Default"] = value
    return copy


def parameter_values(template: dict[str, Any]) -> dict[str, Any]:
    """What each Ref to a parameter resolves to: lists for CommaDelimitedList."""
    values: dict[str, Any] = {}
    for name, parameter in template["Parameters"].items():
        default = str(parameter.get("Default", ""))
        values[name] = default.split(",") if parameter["Type"] == "CommaDelimitedList" else default
    return values


def resolve(value: Any, template: dict[str, Any]) -> Any:
    """Ref (parameters), Fn::FindInMap, Fn::Join and Fn::Sub as CloudFormation resolves them."""
    if isinstance(value, list):
        return [resolve(v, template) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and (function := next(iter(value))) in _INTRINSICS:
        return _INTRINSICS[function](value[function], template)
    return {k: resolve(v, template) for k, v in value.items()}


def _ref(name: str, template: dict[str, Any]) -> Any:
    return parameter_values(template)[name]


def _find_in_map(arguments: list[Any], template: dict[str, Any]) -> Any:
    table, key, entry = resolve(arguments, template)
    return template["Mappings"][table][key][entry]


def _join(arguments: list[Any], template: dict[str, Any]) -> str:
    separator, parts = resolve(arguments, template)
    return str(separator.join(parts))


def _sub(arguments: list[Any], template: dict[str, Any]) -> str:
    text, variables = arguments
    resolved = {k: resolve(v, template) for k, v in variables.items()}
    return re.sub(r"\$\{(\w+)\}", lambda m: resolved[m.group(1)], text)


_INTRINSICS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "Ref": _ref,
    "Fn::FindInMap": _find_in_map,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
}


def holds(condition: Any, template: dict[str, Any]) -> bool:
    """A condition's value for the template's parameter defaults."""
    if set(condition) == {"Condition"}:
        return holds(template["Conditions"][condition["Condition"]], template)
    (function, arguments), *_ = condition.items()
    if function == "Fn::Equals":
        left, right = (resolve(a, template) for a in arguments)
        return bool(left == right)
    if function == "Fn::Not":
        return not holds(arguments[0], template)
    if function == "Fn::And":
        return all(holds(a, template) for a in arguments)
    if function == "Fn::Or":
        return any(holds(a, template) for a in arguments)
    raise AssertionError(f"condition function not modelled: {function}")


def created(template: dict[str, Any]) -> set[str]:
    """The conditional resources CloudFormation creates for the parameter defaults."""
    return {
        name
        for name, resource in template["Resources"].items()
        if "Condition" in resource and holds({"Condition": resource["Condition"]}, template)
    }


def resource(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", CASES)
def test_conditions_create_exactly_the_chat_resources_asked_for(
    template: dict[str, Any], case: str
) -> None:
    values, expected = CASES[case]
    assert created(with_values(template, values)) == expected


@pytest.mark.parametrize("case", LINTED)
def test_passes_cfn_lint(template: dict[str, Any], case: str, tmp_path: Path) -> None:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(with_values(template, CASES[case][0])))
    assert [str(m) for m in cfnlint.api.lint_file(path)] == []


@pytest.mark.parametrize("case", LINTED)
def test_passes_sam_validate_lint_without_credentials(
    template: dict[str, Any], case: str, tmp_path: Path
) -> None:
    if not SAM.exists():
        pytest.skip(f"the SAM CLI is not installed at {SAM}: `make validate` installs it")
    path = tmp_path / "template.json"
    path.write_text(json.dumps(with_values(template, CASES[case][0])))
    no_credentials = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    no_credentials |= {
        "AWS_CONFIG_FILE": str(tmp_path / "absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "absent"),
        "SAM_CLI_TELEMETRY": "0",
    }
    run = subprocess.run(
        [str(SAM), "validate", "--lint", "--template", str(path), "--region", "us-east-1"],
        capture_output=True,
        text=True,
        env=no_credentials,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("action", ["StopTrainingJobAction", "StopTuningJobAction"])
def test_stop_buttons_fit_chatbots_limits(template: dict[str, Any], action: str) -> None:
    properties = resource(template, action)["Properties"]
    command = properties["Definition"]["CommandText"]
    # The Chatbot API's CustomActionDefinition caps CommandText at 100 characters (the
    # CloudFormation schema allows 5,000).
    assert len(command) <= 100, command
    assert not command.startswith("aws "), "Chatbot commands omit the aws prefix"
    (attachment,) = properties["Attachments"]
    variables = attachment["Variables"]
    assert set(re.findall(r"\$(\w+)", command)) <= set(variables)
    assert {c["VariableName"] for c in attachment["Criteria"]} <= set(variables)
    assert all(path.startswith("event.metadata.additionalContext.") for path in variables.values())
    criteria = {(c["VariableName"], c.get("Value")) for c in attachment["Criteria"]}
    # Only where the guard, in notify mode, would have stopped the job itself: not on a
    # would-repair, an exempt job or a job the guard stopped.
    assert ("offer", "stop-job") in criteria


@pytest.mark.parametrize("channel", ["SlackChannelConfiguration", "TeamsChannelConfiguration"])
def test_chat_channels_are_capped_and_stop_only_with_the_users_role(
    template: dict[str, Any], channel: str
) -> None:
    properties = resource(template, channel)["Properties"]
    # Without guardrails Chatbot applies AdministratorAccess.
    assert properties["GuardrailPolicies"]
    assert properties["UserRoleRequired"] == {"Fn::If": ["OffersStopJob", True, False]}
    assert {"Ref": "AlarmTopic"} in properties["SnsTopicArns"]
    role_policies = resource(template, "ChatChannelRole")["Properties"]["ManagedPolicyArns"]
    assert {"Ref": "ChatStopJobsPolicy"} not in role_policies
    read = json.dumps(resource(template, "ChatReadPolicy")["Properties"]["PolicyDocument"])
    assert "Stop" not in read


def test_alarms_publish_to_the_alarm_topic_only(template: dict[str, Any]) -> None:
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert alarms
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)


def filter_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every filter policy the template sets, by where it is set."""
    events = resource(template, "SlackNotifierFunction")["Properties"]["Events"]
    return {
        "email": resource(template, "NotificationEmailSubscription")["Properties"]["FilterPolicy"],
        "slack_notifier": events["GuardNotifications"]["Properties"]["FilterPolicy"],
    }


SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")  # the severity attribute, ascending


@pytest.mark.parametrize("floor", SEVERITIES)
def test_filter_policies_pass_what_is_at_least_as_severe_within_sns_limits(
    template: dict[str, Any], floor: str
) -> None:
    everything = "stopped,repaired,revoked,skipped,failed,none"
    values = {"ChatNotifyOn": everything, "EmailNotifyOn": everything}
    deployed = with_values(template, values | {"ChatMinSeverity": floor, "EmailMinSeverity": floor})
    for where, policy in filter_policies(deployed).items():
        resolved = resolve(policy, deployed)
        assert sorted(resolved["severity"]) == sorted(SEVERITIES[SEVERITIES.index(floor) :])
        assert resolved["action"] == everything.split(",")
        # SNS: at most five keys, and at most 150 combinations of values.
        assert len(resolved) <= 5, where
        assert math.prod(len(v) for v in resolved.values()) <= 150, where


def test_chat_filter_policy_output_is_the_webhooks_policy(template: dict[str, Any]) -> None:
    deployed = with_values(template, EVERY_CHAT_PARAMETER)
    output = resolve(deployed["Outputs"]["ChatFilterPolicy"]["Value"], deployed)
    webhook = resolve(filter_policies(deployed)["slack_notifier"], deployed)
    assert json.loads(output) == webhook


def test_a_post_that_keeps_failing_ends_in_a_queue_with_an_alarm(
    template: dict[str, Any],
) -> None:
    function = resource(template, "SlackNotifierFunction")["Properties"]
    invoke_config = function["EventInvokeConfig"]
    assert invoke_config["MaximumRetryAttempts"] == 2
    on_failure = invoke_config["DestinationConfig"]["OnFailure"]
    assert on_failure == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": ["SlackNotifierFailedQueue", "Arn"]},
    }
    alarm = resource(template, "SlackNotifierFailedAlarm")["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["SlackNotifierFailedQueue", "QueueName"]}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
