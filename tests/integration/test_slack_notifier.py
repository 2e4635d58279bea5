"""slack_notifier end to end: the real handler, the webhook secret in the emulator's Secrets
Manager, the claims in its DynamoDB, and a real HTTP server on 127.0.0.1 playing Slack."""

from __future__ import annotations

import http.client
import importlib
import json
import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.http_retry import HttpResponse

from emulator.lambda_context import LambdaContext
from emulator.world import ACCOUNT, REGION, World
from functions.slack_notifier import app
from tests.integration.conftest import Invoke, fresh_session
from tests.integration.webhook_server import (
    WEBHOOK_PATH,
    Answer,
    WebhookServer,
    rate_limited,
    server_error,
    webhook_server,
)
from training_guard.effects.ledger import Ledger
from training_guard.effects.webhook import (
    ERROR_RETRIES,
    NotifierClients,
    SlackRelay,
    SlackWebhook,
    WebhookPostError,
    WebhookSecret,
    WebhookSecretError,
    retry_after_seconds,
    webhook_url,
)
from training_guard.permissions import slack_notifier_permissions
from training_guard.slack import BLOCKS_LIMIT, HEADER_LIMIT, SnsEventError

FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:slack-notifier"
Logs = Callable[[], list[dict[str, Any]]]


def context(request_id: str = "9f0c2d1e-0000-4000-8000-000000000001") -> LambdaContext:
    return LambdaContext(
        function_name="slack-notifier", invoked_function_arn=FUNCTION_ARN, aws_request_id=request_id
    )


def notify(event: dict[str, Any], ctx: LambdaContext | None = None) -> dict[str, Any]:
    """Call the real handler, as Lambda would."""
    return app.lambda_handler(event, ctx or context())  # type: ignore[no-any-return]


def sns_event(message: str, subject: str | None = None, message_id: str = "") -> dict[str, Any]:
    """What Lambda gives a function subscribed to a topic (Lambda developer guide, "Invoking
    Lambda functions with Amazon SNS notifications")."""
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:training-guard-notifications"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": "2026-01-01T00:00:00.000Z",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "MessageId": message_id or str(uuid.uuid4()),
                    "Message": message,
                    "MessageAttributes": {},
                    "Type": "Notification",
                    "UnsubscribeUrl": "EXAMPLE",
                    "TopicArn": topic,
                    "Subject": subject,
                },
            }
        ]
    }


def from_delivery(envelope: dict[str, Any]) -> dict[str, Any]:
    """The Lambda event for a notification the emulator's SNS delivered to the SQS
    subscriber: the same message (the `sqs` and `lambda` keys carry one document), id,
    subject and attributes."""
    event = sns_event(envelope["Message"], envelope.get("Subject"), envelope["MessageId"])
    event["Records"][0]["Sns"]["MessageAttributes"] = envelope.get("MessageAttributes", {})
    return event


def guard_document(**overrides: Any) -> str:
    document = {
        "resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/fraud-model",
        "mode": "enforce",
        "findings": [
            {
                "control": "inter-container-encryption",
                "severity": "HIGH",
                "message": "2 instances exchange data unencrypted.",
            }
        ],
        "actions": [{"action": "stopped", "detail": "StopTrainingJob accepted."}],
        "kind": "training job",
        "name": "fraud-model",
        "account": ACCOUNT,
        "region": REGION,
        "trigger": "CreateTrainingJob by arn:aws:iam::123456789012:role/ml-team",
        "owner": "risk-team",
        "severity": "HIGH",
        "console_url": f"https://{REGION}.console.aws.amazon.com/sagemaker/home?region={REGION}#/jobs/fraud-model",
        "title": "HIGH: training job fraud-model stopped",
        **overrides,
    }
    return json.dumps(document)


@pytest.fixture
def slack(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookServer]:
    """The webhook server, its URL in the emulator's Secrets Manager, the handler's
    environment pointing at both; each test starts with a cold handler."""
    with webhook_server() as server:
        arn = world.client("secretsmanager").create_secret(
            Name="training-guard/slack-webhook", SecretString=server.url
        )["ARN"]
        monkeypatch.setenv("SLACK_WEBHOOK_SECRET_ARN", arn)
        app.slack_relay.cache_clear()
        yield server
        app.slack_relay.cache_clear()


# --- one well-formed post per message --------------------------------------------------------


def test_a_guard_notification_becomes_one_block_kit_post(
    world: World, invoke: Invoke, slack: WebhookServer
) -> None:
    event = world.event("cloudtrail-create-training-job-unencrypted")
    world.create_job_for(event)
    invoke(event)
    (delivery,) = world.notifications()

    summary = notify(from_delivery(delivery))

    assert summary == {
        "records": [{"message_id": delivery["MessageId"], "posted": True, "reason": "posted"}]
    }
    (request,) = slack.requests
    assert request.path == WEBHOOK_PATH
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.body
    assert body["text"]
    assert 0 < len(body["blocks"]) <= BLOCKS_LIMIT
    head = body["blocks"][0]
    assert head["type"] == "header"
    assert head["text"]["type"] == "plain_text"
    assert 0 < len(head["text"]["text"]) <= HEADER_LIMIT
    words = json.dumps(body)
    assert "inter-container-encryption" in words
    assert "fraud-model-unencrypted" in words
    assert "stopped" in words


def test_the_post_carries_fields_the_fix_and_a_console_button(slack: WebhookServer) -> None:
    notify(sns_event(guard_document()))

    (body,) = slack.posted()
    blocks = body["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": "HIGH: training job fraud-model stopped",
            "emoji": True,
        },
    }
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert "*Control*\n`inter-container-encryption`" in fields
    assert "*Severity*\nHIGH" in fields
    assert "*Action*\nstopped" in fields
    assert f"*Account / region*\n{ACCOUNT} / {REGION}" in fields
    texts = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)
    assert "EnableInterContainerTrafficEncryption" in texts  # the control's own fix
    (button,) = blocks[-1]["elements"]
    assert blocks[-1]["type"] == "actions"
    assert button["text"]["text"] == "Open in console"
    assert button["url"].startswith(f"https://{REGION}.console.aws.amazon.com/sagemaker/")


def test_a_mention_in_a_name_or_tag_is_escaped(slack: WebhookServer) -> None:
    message = guard_document(
        name="<!channel>",
        owner="<@U0123ABCD>",
        title="HIGH: training job <!channel> stopped",
        findings=[
            {"control": "vpc-config", "severity": "HIGH", "message": "<https://evil.example|click>"}
        ],
    )

    notify(sns_event(message))

    (body,) = slack.posted()
    posted = json.dumps(body)
    for forged in ("<!channel>", "<@U0123ABCD>", "<https://evil.example|click>"):
        assert forged not in posted
    assert "&lt;!channel&gt;" in posted
    assert "&lt;@U0123ABCD&gt;" in posted


def test_a_message_that_is_not_the_guards_is_still_posted(slack: WebhookServer) -> None:
    alarm = {
        "AlarmName": "slack-notifier-dead-letters",
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 datapoint [1.0] was >= the threshold (1.0).",
    }
    subject = 'ALARM: "slack-notifier-dead-letters" in US East (N. Virginia)'
    notify(sns_event(json.dumps(alarm), subject))
    notify(sns_event("Plain words & <b>markup</b>", None))

    alarm_post, text_post = slack.posted()
    assert alarm_post["blocks"][0]["text"]["text"] == subject
    assert "slack-notifier-dead-letters" in alarm_post["blocks"][1]["text"]["text"]
    assert alarm_post["text"]
    assert text_post["blocks"][1]["text"]["text"] == "Plain words &amp; &lt;b&gt;markup&lt;/b&gt;"


def test_an_event_that_is_not_from_sns_is_an_error(slack: WebhookServer) -> None:
    with pytest.raises(SnsEventError, match="not an SNS event"):
        notify({"detail-type": "AWS API Call via CloudTrail", "detail": {}})
    record = sns_event("hello")
    record["Records"][0]["EventSource"] = "aws:sqs"
    with pytest.raises(SnsEventError, match="record 0 is not an SNS record"):
        notify(record)
    assert slack.requests == []


def test_every_record_of_an_event_is_posted(slack: WebhookServer) -> None:
    first, second = sns_event("one"), sns_event("two")
    both = {"Records": first["Records"] + second["Records"]}

    summary = notify(both)

    assert [r["posted"] for r in summary["records"]] == [True, True]
    assert len(slack.posted()) == 2


# --- once: redeliveries and races ------------------------------------------------------------


def test_a_duplicate_delivery_posts_nothing(slack: WebhookServer) -> None:
    event = sns_event(guard_document())
    notify(event, context("first-delivery"))

    again = notify(event, context("second-delivery"))

    assert again["records"][0] == {
        "message_id": event["Records"][0]["Sns"]["MessageId"],
        "posted": False,
        "reason": "already posted",
    }
    assert len(slack.requests) == 1


def test_a_racing_delivery_leaves_the_post_to_the_one_posting(
    world: World, slack: WebhookServer
) -> None:
    event = sns_event(guard_document())
    message_id = event["Records"][0]["Sns"]["MessageId"]
    ledger = Ledger(world.client("dynamodb"), world.table_name)
    assert ledger.claim(f"slack#{message_id}", owner="the-other-delivery") is not None

    summary = notify(event, context("this-delivery"))

    assert summary["records"][0]["posted"] is False
    assert summary["records"][0]["reason"] == "another delivery is posting it"
    assert slack.requests == []


# --- retries ---------------------------------------------------------------------------------


def test_a_429_is_retried_after_its_retry_after(slack: WebhookServer) -> None:
    slack.answer(rate_limited("1"))

    summary = notify(sns_event(guard_document()))

    assert summary["records"][0]["posted"] is True
    limited, accepted = slack.requests
    assert (limited.answered, accepted.answered) == (429, 200)
    assert accepted.body == limited.body
    # The retry came no sooner than Slack asked: behaviour, read off the server's clock.
    assert accepted.at - limited.at >= 1.0


def test_a_retry_after_longer_than_the_time_left_fails_at_once(slack: WebhookServer) -> None:
    slack.answer(rate_limited("120"))
    event = sns_event(guard_document())

    with pytest.raises(WebhookPostError, match="wait of 120 s") as raised:
        notify(event, LambdaContext(aws_request_id="short-of-time", timeout_ms=60_000))

    assert "Lambda retries later" in str(raised.value)
    assert len(slack.requests) == 1
    # The claim was let go: Lambda's retry (same request id) posts it.
    notify(event, LambdaContext(aws_request_id="short-of-time"))
    assert len(slack.posted()) == 1


def test_a_retry_after_a_failure_posts_exactly_once(slack: WebhookServer) -> None:
    slack.answer(*[server_error()] * (1 + ERROR_RETRIES))
    event = sns_event(guard_document())

    with pytest.raises(WebhookPostError, match="Slack answered 500"):
        notify(event, context("async-invocation"))
    summary = notify(event, context("async-invocation"))
    notify(event, context("async-invocation"))

    assert summary["records"][0]["posted"] is True
    assert [r.answered for r in slack.requests] == [500] * (1 + ERROR_RETRIES) + [200]
    assert len(slack.posted()) == 1


def invoke_asynchronously(
    event: dict[str, Any], world: World, destination_url: str, retries: int = 2
) -> None:
    """Stands in for Lambda's asynchronous invocation, which the emulator does not run:
    the first attempt and `retries` retries with the same request id (Lambda waits about
    one and then two minutes between them; not here), then, when all failed, the
    invocation record Lambda sends to an OnFailure SQS destination (Lambda developer
    guide, "Capturing records of Lambda asynchronous invocations")."""
    request_id = str(uuid.uuid4())
    failure: Exception | None = None
    for _ in range(1 + retries):
        try:
            notify(event, context(request_id))
        except Exception as e:
            failure = e
        else:
            return
    assert failure is not None
    record = {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{FUNCTION_ARN}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 1 + retries,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": str(failure), "errorType": type(failure).__name__},
    }
    world.client("sqs").send_message(QueueUrl=destination_url, MessageBody=json.dumps(record))


def test_a_persistent_500_ends_in_the_dead_letter_queue(world: World, slack: WebhookServer) -> None:
    sqs = world.client("sqs")
    dead_letters = sqs.create_queue(QueueName="slack-notifier-dead-letters")["QueueUrl"]
    slack.answer(then=server_error())
    event = sns_event(guard_document())

    invoke_asynchronously(event, world, dead_letters)

    (message,) = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestPayload"] == event
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "WebhookPostError"
    assert "Slack answered 500" in record["responsePayload"]["errorMessage"]
    assert slack.url not in message["Body"]
    assert WEBHOOK_PATH not in message["Body"]
    assert [r.answered for r in slack.requests] == [500] * 3 * (1 + ERROR_RETRIES)


# --- the secret -----------------------------------------------------------------------------


def test_the_url_never_reaches_a_log_line_or_an_exception(
    slack: WebhookServer, logs: Logs, caplog: pytest.LogCaptureFixture
) -> None:
    # Everything the function and its libraries log at the level it runs at, INFO.
    caplog.set_level(logging.INFO)
    slack.answer(rate_limited("1"), then=server_error())

    with pytest.raises(WebhookPostError) as raised:
        notify(sns_event(guard_document()))

    shipped = json.dumps(logs()) + caplog.text
    assert any(line.get("message") == "Slack post failed" for line in logs())
    chain = "".join(traceback.format_exception(raised.value))
    for text in (shipped, chain, repr(raised.value)):
        assert WEBHOOK_PATH not in text
        assert slack.url not in text


def test_a_json_secret_is_read_and_a_plain_http_url_refused(
    world: World, slack: WebhookServer
) -> None:
    secrets = world.client("secretsmanager")
    arn = world.client("secretsmanager").describe_secret(SecretId="training-guard/slack-webhook")[
        "ARN"
    ]
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"url": slack.url}))
    notify(sns_event("as JSON"))
    assert len(slack.posted()) == 1

    outside = "http://hooks.example.com/services/T0/B0/plaintextsecret"
    secrets.put_secret_value(SecretId=arn, SecretString=outside)
    app.slack_relay.cache_clear()  # past the cache: a new execution environment
    with pytest.raises(WebhookSecretError, match="no https URL") as raised:
        notify(sns_event("over plain http"))
    assert "plaintextsecret" not in str(raised.value)
    assert len(slack.requests) == 1


def test_a_rotated_webhook_is_read_afresh(world: World, slack: WebhookServer) -> None:
    secrets = world.client("secretsmanager")
    notify(sns_event("warms the cache"))
    rotated = slack.url.replace("s3cr3tW3bh00kT0k3n", "r0t4t3dT0k3n")
    secrets.put_secret_value(SecretId="training-guard/slack-webhook", SecretString=rotated)
    slack.answer(Answer(404, "no_service"))

    notify(sns_event("after rotation"))

    assert [(r.path.rsplit("/", 1)[-1], r.answered) for r in slack.requests] == [
        ("s3cr3tW3bh00kT0k3n", 200),
        ("s3cr3tW3bh00kT0k3n", 404),
        ("r0t4t3dT0k3n", 200),
    ]


def test_every_call_it_makes_is_one_its_permissions_name(
    world: World, slack: WebhookServer
) -> None:
    calls: set[str] = set()
    session = fresh_session()

    def record(model: Any, **_: Any) -> None:
        calls.add(f"{model.service_model.signing_name}:{model.name}")

    session.events.register("before-call", record)
    clients = NotifierClients(session)
    secret_arn = world.client("secretsmanager").describe_secret(
        SecretId="training-guard/slack-webhook"
    )["ARN"]
    relay = SlackRelay(
        Ledger(clients.dynamodb, world.table_name),
        SlackWebhook(WebhookSecret(lambda: clients.secretsmanager, secret_arn)),
        clients.budget,
    )
    event = sns_event("counted")

    relay.handle(event, context("one"))  # type: ignore[arg-type]
    relay.handle(event, context("two"))  # type: ignore[arg-type]

    assert calls == slack_notifier_permissions()


def test_the_webhook_is_left_out_of_xray_traces(slack: WebhookServer) -> None:
    # Where Powertools Tracer is on, X-Ray's httplib patch records each request's URL
    # unless its ignore rules say otherwise; it asks them before every request.
    xray_httplib = importlib.import_module("aws_xray_sdk.ext.httplib.patch")
    try:
        notify(sns_event("traced?"))
        connection = http.client.HTTPConnection("127.0.0.1")
        assert xray_httplib._ignore_request(connection, "127.0.0.1", WEBHOOK_PATH)
        assert not xray_httplib._ignore_request(connection, "127.0.0.1", "/another/path")
    finally:
        xray_httplib.reset_ignored()


# --- the secret's value and Slack's answers, no AWS -----------------------------------------

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


@pytest.mark.parametrize(
    "value",
    [
        SLACK_URL,
        f"  {SLACK_URL}\n",
        json.dumps({"url": SLACK_URL, "channel": "#security"}),
        SLACK_URL.encode(),
        {"url": SLACK_URL},
    ],
)
def test_the_secret_holds_the_url_bare_or_as_json(value: Any) -> None:
    assert webhook_url(value) == SLACK_URL


@pytest.mark.parametrize(
    "value", ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]:8080/hook"]
)
def test_plain_http_is_accepted_for_loopback_hosts_only(value: str) -> None:
    assert webhook_url(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "http://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX",
        "http://10.0.0.1/XXXXSECRETXXXX",
        "ftp://hooks.slack.com/XXXXSECRETXXXX",
        "https://user:XXXXSECRETXXXX@hooks.slack.com/x",
        "https://hooks.slack.com/XXXXSECRETXXXX with space",
        "http://127.0.0.1:port/XXXXSECRETXXXX",
        "https:///XXXXSECRETXXXX",
        '{"uri": "https://hooks.slack.com/XXXXSECRETXXXX"}',
        "{XXXXSECRETXXXX",
        "XXXXSECRETXXXX",
        "",
        None,
    ],
)
def test_anything_else_in_the_secret_is_refused_without_echoing_it(value: Any) -> None:
    with pytest.raises(WebhookSecretError) as raised:
        webhook_url(value)

    assert "XXXXSECRETXXXX" not in str(raised.value)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),
        ({"Retry-After": "soon"}, 1.0),
        ({}, 1.0),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(headers: dict[str, str], seconds: float) -> None:
    then = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC).timestamp()
    response = HttpResponse(status_code=429, headers=dict(headers))

    assert retry_after_seconds(response, now=lambda: then) == seconds
