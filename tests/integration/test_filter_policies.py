"""The template's subscriptions, with SNS's own filter semantics: its topics and subscriptions
made real in the emulator (an SQS queue stands in for each subscriber: email, the
slack_notifier function, Amazon Q Developer's channel), the guards' own notifications
published with the attributes they carry, and a CloudWatch alarm's attribute-less message
published where the template's alarms publish. Exactly the intended messages arrive."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from emulator.world import ACCOUNT, REGION, World
from training_guard.model import Action, ActionKind, Finding, Severity, Summary
from training_guard.notification import Subject, build_notification, sns_message

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/fraud-model"
GROUP_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/sg-0123456789abcdef0"
JOB = Subject("training job", "fraud-model", ACCOUNT, REGION, owner="ml-platform")
GROUP = Subject("security group", "sg-0123456789abcdef0", ACCOUNT, REGION)


def finding(control: str, severity: Severity) -> Finding:
    return Finding(control, severity, f"{control} does not hold.")


# What the guards publish, by the news it tells.
NEWS: dict[str, tuple[Summary, Subject]] = {
    "stopped HIGH": (
        Summary(
            JOB_ARN,
            "enforce",
            (finding("inter-container-encryption", Severity.HIGH),),
            (Action(ActionKind.STOPPED, "Stopped training job fraud-model."),),
        ),
        JOB,
    ),
    "revoked CRITICAL": (
        Summary(
            GROUP_ARN,
            "enforce",
            (finding("sg-no-public-ingress", Severity.CRITICAL),),
            (Action(ActionKind.REVOKED, "Revoked tcp 22 from 0.0.0.0/0."),),
        ),
        GROUP,
    ),
    "would stop, notify mode, MEDIUM": (
        Summary(
            JOB_ARN,
            "notify",
            (finding("network-isolation", Severity.MEDIUM),),
            (Action(ActionKind.SKIPPED, "notify mode: would stop the job."),),
        ),
        JOB,
    ),
    "failed without findings": (
        Summary(
            GROUP_ARN,
            "enforce",
            (),
            (Action(ActionKind.FAILED, "Could not tag the group: AccessDenied."),),
        ),
        GROUP,
    ),
    "report-only LOW": (
        Summary(JOB_ARN, "enforce", (finding("s3-private-endpoint", Severity.LOW),), ()),
        JOB,
    ),
}
ALARM = "alarm"
EVERYTHING = {*NEWS, ALARM}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document, problems = decode_str(TEMPLATE_PATH.read_text())
    assert not problems
    return document  # type: ignore[no-any-return]


def resolve(value: Any, template: dict[str, Any], values: dict[str, str]) -> Any:
    """Ref (a parameter's value, or a resource's logical id) and Fn::FindInMap."""
    if isinstance(value, list):
        return [resolve(v, template, values) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        name = value["Ref"]
        if name not in template["Parameters"]:
            return name
        parameter = template["Parameters"][name]
        given = values.get(name, str(parameter.get("Default", "")))
        return given.split(",") if parameter["Type"] == "CommaDelimitedList" else given
    if set(value) == {"Fn::FindInMap"}:
        table, key, entry = resolve(value["Fn::FindInMap"], template, values)
        return template["Mappings"][table][key][entry]
    return {k: resolve(v, template, values) for k, v in value.items()}


Subscriptions = list[tuple[str, dict[str, Any] | None]]  # (topic's logical id, filter policy)


def subscribers(template: dict[str, Any], values: dict[str, str]) -> dict[str, Subscriptions]:
    """Each subscriber's subscriptions, as the template makes them."""
    resources = template["Resources"]
    email = [
        (r["Properties"]["TopicArn"], r["Properties"].get("FilterPolicy"))
        for r in resources.values()
        if r["Type"] == "AWS::SNS::Subscription" and r["Properties"]["Protocol"] == "email"
    ]
    events = resources["SlackNotifierFunction"]["Properties"]["Events"].values()
    webhook = [
        (e["Properties"]["Topic"], e["Properties"].get("FilterPolicy"))
        for e in events
        if e["Type"] == "SNS"
    ]
    # Chatbot subscribes itself, without a filter policy.
    chatbot = [
        (topic, None)
        for topic in resources["SlackChannelConfiguration"]["Properties"]["SnsTopicArns"]
    ]
    return {
        name: [(resolve(t, template, values), resolve(p, template, values)) for t, p in made]
        for name, made in {"email": email, "slack_notifier": webhook, "chatbot": chatbot}.items()
    }


def alarm_topics(template: dict[str, Any]) -> set[str]:
    return {
        action["Ref"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        for action in r["Properties"]["AlarmActions"]
    }


@dataclass
class Deployment:
    world: World
    topics: dict[str, str]  # logical id -> ARN
    queues: dict[str, str]  # subscriber -> queue URL
    labels: dict[str, str]  # SNS message id -> what it told

    def publish(self, label: str, topic: str) -> None:
        sns = self.world.client("sns")
        if label == ALARM:
            # CloudWatch publishes the alarm's JSON with no message attributes.
            answer = sns.publish(
                TopicArn=self.topics[topic],
                Subject='ALARM: "JobGuardErrorsAlarm" in US East (N. Virginia)',
                Message=json.dumps({"AlarmName": "JobGuardErrorsAlarm", "NewStateValue": "ALARM"}),
            )
        else:
            summary, about = NEWS[label]
            notification = build_notification(summary, about, "training-guard:exempt")
            answer = sns.publish(
                TopicArn=self.topics[topic],
                Subject=notification.subject,
                Message=sns_message(notification),
                MessageStructure="json",
                MessageAttributes=notification.attributes,
            )
        self.labels[answer["MessageId"]] = label

    def received(self, subscriber: str) -> set[str]:
        sqs = self.world.client("sqs")
        told: set[str] = set()
        while batch := sqs.receive_message(
            QueueUrl=self.queues[subscriber], MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            for message in batch:
                told.add(self.labels[json.loads(message["Body"])["MessageId"]])
                sqs.delete_message(
                    QueueUrl=self.queues[subscriber], ReceiptHandle=message["ReceiptHandle"]
                )
        return told


def deploy(world: World, template: dict[str, Any], values: dict[str, str]) -> Deployment:
    sns, sqs = world.client("sns"), world.client("sqs")
    topics = {
        name: sns.create_topic(Name=f"training-guard-{name}")["TopicArn"]
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::SNS::Topic"
    }
    queues: dict[str, str] = {}
    for subscriber, subscriptions in subscribers(template, values).items():
        queues[subscriber] = sqs.create_queue(QueueName=f"stand-in-{subscriber}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=queues[subscriber], AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        for topic, policy in subscriptions:
            sns.subscribe(
                TopicArn=topics[topic],
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={"FilterPolicy": json.dumps(policy)} if policy else {},
            )
    return Deployment(world, topics, queues, {})


def tell_everything(deployment: Deployment, template: dict[str, Any]) -> None:
    for label in NEWS:
        deployment.publish(label, "NotificationTopic")
    for topic in alarm_topics(template):
        deployment.publish(ALARM, topic)


@pytest.mark.integration
def test_defaults_email_everything_chat_what_the_guard_did_or_would_do(
    world: World, template: dict[str, Any]
) -> None:
    deployment = deploy(world, template, {})
    tell_everything(deployment, template)

    assert deployment.received("email") == EVERYTHING
    assert deployment.received("slack_notifier") == EVERYTHING - {"report-only LOW"}
    assert deployment.received("chatbot") == EVERYTHING


@pytest.mark.integration
def test_narrowed_filters_pass_exactly_the_chosen_actions_and_severities(
    world: World, template: dict[str, Any]
) -> None:
    values = {
        "ChatNotifyOn": "stopped,revoked,failed",
        "ChatMinSeverity": "HIGH",
        "EmailNotifyOn": "skipped,failed,none",
        "EmailMinSeverity": "MEDIUM",
    }
    deployment = deploy(world, template, values)
    tell_everything(deployment, template)

    # A failed guard action is published as at least HIGH, so it passes a HIGH floor.
    assert deployment.received("slack_notifier") == {
        "stopped HIGH",
        "revoked CRITICAL",
        "failed without findings",
        ALARM,
    }
    assert deployment.received("email") == {
        "would stop, notify mode, MEDIUM",
        "failed without findings",
        ALARM,
    }
    assert deployment.received("chatbot") == EVERYTHING


@pytest.mark.integration
def test_an_alarm_on_the_notification_topic_would_reach_no_filtered_subscriber(
    world: World, template: dict[str, Any]
) -> None:
    """Why alarms have a topic of their own: a message without attributes matches no
    attribute filter policy."""
    deployment = deploy(world, template, {})
    deployment.publish(ALARM, "NotificationTopic")

    assert deployment.received("email") == set()
    assert deployment.received("slack_notifier") == set()
    assert deployment.received("chatbot") == {ALARM}
