"""Posting to a Slack incoming webhook: the URL from Secrets Manager, retries within the
invocation's time, and one post per SNS message (the shared ledger).

The webhook URL is a credential: whoever has it posts to the channel. It never reaches a
log line, an exception, a return value or a trace. slack_sdk logs the URL at DEBUG and,
with a logger left at NOTSET, at INFO when it retries: its client gets a logger of its
own, held at WARNING, that redacts the URL from whatever it still logs.

Only slack_notifier imports this module; it alone carries slack_sdk.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk.http_retry import (
    BackoffRetryIntervalCalculator,
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient, WebhookResponse

from training_guard.effects.budget import CLIENT_CONFIG, OutOfTime, TimeBudget, bind
from training_guard.effects.ledger import Ledger
from training_guard.observability import logger, metrics
from training_guard.slack import SnsEventError, SnsNotice, render, sns_notices

SECRET_PERMISSIONS = ("secretsmanager:GetSecretValue",)
SECRET_MAX_AGE_SECONDS = 300
# Slack answers a webhook within a second or two; a silent one is not worth half the
# invocation. What a failure needs afterwards (end the lease, log, return) fits in 2 s.
ATTEMPT_SECONDS = 10
MARGIN_SECONDS = 2.0
RATE_LIMIT_RETRIES = 2
ERROR_RETRIES = 1  # 5xx and connection errors; Lambda's own retries come minutes later
_BACKOFF = BackoffRetryIntervalCalculator(backoff_factor=0.5)
POSTED = "posted"
# Answers meaning this URL no longer posts (a revoked or rotated webhook): read the secret
# afresh, past its cache, before giving up.
_STALE_URL_STATUSES = frozenset({403, 404, 410})
_LOOPBACK_NAMES = frozenset({"localhost"})


class SlackDeliveryError(RuntimeError):
    """A post that did not happen. Messages name the failure, never the URL."""


class WebhookSecretError(SlackDeliveryError):
    """The webhook secret could not be read or holds no usable URL."""


class WebhookPostError(SlackDeliveryError):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


# --- the secret ---------------------------------------------------------------------------


def webhook_url(value: str | bytes | dict[str, Any] | None) -> str:
    """The URL a secret value holds: the bare URL, or JSON {"url": ...}. Only https, or
    plain http to a loopback host (a local stand-in for Slack), is accepted."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(text, str) and text.strip().startswith("{"):
        try:
            text = json.loads(text)
        except ValueError:
            raise WebhookSecretError("the webhook secret is neither a URL nor JSON") from None
    if isinstance(text, dict):
        text = text.get("url")
    url = text.strip() if isinstance(text, str) else ""
    if not _postable(url):
        raise WebhookSecretError(
            'the webhook secret holds no https URL (expected the URL or {"url": "https://..."})'
        )
    return url


def _postable(url: str) -> bool:
    if not url or any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # a malformed port raises here, not in the middle of a post
    except ValueError:
        return False
    if parts.username or parts.password or not host:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebhookSecret:
    """The webhook URL, read with Powertools parameters and cached for `max_age` seconds."""

    def __init__(
        self,
        client: Callable[[], Any],
        secret_id: str,
        max_age: int = SECRET_MAX_AGE_SECONDS,
    ) -> None:
        self._client, self._secret_id, self._max_age = client, secret_id, max_age

    @cached_property
    def _provider(self) -> SecretsProvider:
        # Created on first read: a duplicate delivery, skipped, never pays for the client.
        return SecretsProvider(boto3_client=self._client())

    def url(self, *, fresh: bool = False) -> str:
        try:
            value = self._provider.get(self._secret_id, max_age=self._max_age, force_fetch=fresh)
        except Exception as e:  # Powertools wraps every failure in GetParameterError
            raise WebhookSecretError(f"could not read the webhook secret: {e}") from None
        return webhook_url(value)


# --- retries within the invocation's time ---------------------------------------------------


class Deadline:
    """What is left of the invocation; a retry is made only when its wait, a whole
    attempt and the margin all fit, so no wait runs past the function's timeout."""

    def __init__(self, remaining_ms: Callable[[], int], attempt_seconds: float) -> None:
        self._remaining_ms, self.attempt_seconds = remaining_ms, attempt_seconds
        self.refusal = ""  # why the last retry was not made, in words

    def seconds_left(self) -> float:
        return self._remaining_ms() / 1000 - MARGIN_SECONDS

    def allows(self, wait: float, why: str) -> bool:
        left = self.seconds_left()
        if wait + self.attempt_seconds <= left:
            return True
        self.refusal = f"{why}; {max(left, 0):.0f} s are left before the function's timeout"
        return False


def retry_after_seconds(response: HttpResponse, now: Callable[[], float] = time.time) -> float:
    """Retry-After as seconds (RFC 9110: delay-seconds or an HTTP-date); 1 when absent
    or unreadable, which is what slack_sdk assumes."""
    values = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), [])
    value = (values[0] if isinstance(values, list) and values else str(values or "")).strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError, IndexError):
        return 1.0


class _RateLimited(RateLimitErrorRetryHandler):
    """429: wait what Slack asks (plus up to a second of jitter, as slack_sdk does), if
    that wait still leaves a whole attempt before the deadline."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(max_retry_count=RATE_LIMIT_RETRIES)
        self._deadline = deadline

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(response)
        return self._deadline.allows(
            wait + 1.0, f"Slack rate-limited the webhook and asked for a wait of {wait:.0f} s"
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        # slack_sdk's own takes int() of the header, which fails on an HTTP-date.
        if response is None:
            return
        state.next_attempt_requested = True
        time.sleep(retry_after_seconds(response) + _BACKOFF.jitter.recalculate(0.0))
        state.increment_current_attempt()


class _ServerError(ServerErrorRetryHandler):
    """Any 5xx (slack_sdk's handles 500 and 503 only), after a backoff that fits."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(max_retry_count=ERROR_RETRIES, interval_calculator=_BACKOFF)
        self._deadline = deadline

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code < 500:
            return False
        wait = _worst_backoff(state.current_attempt)
        return self._deadline.allows(wait, f"Slack answered {response.status_code}")


class _ConnectionError(ConnectionErrorRetryHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__(max_retry_count=ERROR_RETRIES, interval_calculator=_BACKOFF)
        self._deadline = deadline

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        wait = _worst_backoff(state.current_attempt)
        return self._deadline.allows(wait, "the connection to Slack failed")


def _worst_backoff(attempt: int) -> float:
    # slack_sdk's backoff: factor * 2 ** attempt, plus up to a second of random jitter.
    return float(_BACKOFF.backoff_factor * 2**attempt) + 1.0


def retry_handlers(deadline: Deadline) -> list[RetryHandler]:
    """slack_sdk's handlers for 429, 5xx and connection errors, bounded by `deadline`. They
    share slack_sdk's one count of retries made: at most RATE_LIMIT_RETRIES in all, and a
    5xx or connection error is retried only while fewer than ERROR_RETRIES were made."""
    return [_RateLimited(deadline), _ServerError(deadline), _ConnectionError(deadline)]


# --- keeping the URL out of logs and traces -------------------------------------------------


class _Redact(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrubbed(record.getMessage()), None
        return True


_REDACT = _Redact()
# slack_sdk logs request URLs whenever its logger's own level is DEBUG or unset.
_SLACK_SDK_LOGGER = logging.getLogger("training_guard.slack_sdk")
_SLACK_SDK_LOGGER.setLevel(logging.WARNING)
_SLACK_SDK_LOGGER.addFilter(_REDACT)


def _untraced(url: str) -> None:
    """Keep the webhook out of X-Ray: its httplib patch (active where Powertools Tracer
    patched modules) records each request's URL, and the path is the credential."""
    _REDACT.secrets.add(url)
    xray_httplib = sys.modules.get("aws_xray_sdk.ext.httplib")
    if xray_httplib is not None:
        parts = urlsplit(url)
        selector = parts.path + (f"?{parts.query}" if parts.query else "")
        xray_httplib.add_ignored(hostname=parts.hostname, urls=[selector])


# --- posting ------------------------------------------------------------------------------


class SlackWebhook:
    def __init__(self, secret: WebhookSecret, attempt_seconds: int = ATTEMPT_SECONDS) -> None:
        self._secret, self._attempt_seconds = secret, attempt_seconds

    def post(self, body: Mapping[str, Any], remaining_ms: Callable[[], int]) -> None:
        """Post `body`, retrying 429, 5xx and connection errors while time allows; raise
        WebhookPostError when Slack did not take it."""
        url = self._secret.url()
        try:
            self._send(url, body, remaining_ms)
        except WebhookPostError as failure:
            if failure.status not in _STALE_URL_STATUSES:
                raise
            fresh = self._secret.url(fresh=True)
            if fresh == url:
                raise
            self._send(fresh, body, remaining_ms)

    def _send(self, url: str, body: Mapping[str, Any], remaining_ms: Callable[[], int]) -> None:
        deadline = Deadline(remaining_ms, self._attempt_seconds)
        timeout = int(min(self._attempt_seconds, deadline.seconds_left()))
        if timeout < 1:
            raise WebhookPostError("too little time left in the invocation to post to Slack")
        _untraced(url)
        client = WebhookClient(
            url,
            timeout=timeout,
            logger=_SLACK_SDK_LOGGER,
            retry_handlers=retry_handlers(deadline),
        )
        try:
            response = client.send_dict(dict(body))
        except Exception as e:
            # Connection errors name the host at most; the type and errno say enough.
            raise WebhookPostError(f"could not reach Slack: {_redacted(e, url)}") from None
        _check(response, deadline, url)


def _check(response: WebhookResponse, deadline: Deadline, url: str) -> None:
    status = int(response.status_code)
    if 200 <= status < 300:
        return
    # Slack's answer is a short code (invalid_token, no_service, channel_is_archived).
    answer = str(response.body or "").replace(url, "<webhook URL>")[:100].strip()
    reason = f"Slack answered {status}" + (f" ({answer})" if answer else "")
    if deadline.refusal:
        reason = f"{deadline.refusal}: failing now so that Lambda retries later ({reason})"
    raise WebhookPostError(reason, status)


def _redacted(error: Exception, url: str) -> str:
    return f"{type(error).__name__}: {error}".replace(url, "<webhook URL>")


def scrubbed(text: str) -> str:
    """`text` without any webhook URL this process has posted to."""
    for secret in _REDACT.secrets:
        text = text.replace(secret, "<webhook URL>")
    return text


# --- one post per SNS message ----------------------------------------------------------------


@dataclass(frozen=True)
class Relayed:
    message_id: str
    posted: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "posted": self.posted, "reason": self.reason}


class NotifierClients:
    """DynamoDB (the claims) and Secrets Manager (the URL), each created on first use and
    bound to the invocation's time budget. Both are reporting calls: telling is this
    function's whole work, so they need leave no reserve for anything after them."""

    def __init__(self, session: boto3.Session, config: Config = CLIENT_CONFIG) -> None:
        self._session, self._config = session, config
        self.budget = TimeBudget()

    @cached_property
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    @cached_property
    def secretsmanager(self) -> Any:
        return self._client("secretsmanager")

    def _client(self, service: str) -> Any:
        created = self._session.client(service, config=self._config)  # type: ignore[call-overload]
        bind(created, self.budget, reporting=True)
        return created


class SlackRelay:
    """Posts each SNS message once: a claim on `slack#<MessageId>` in the state table keeps
    a redelivery or a racing delivery from posting it again."""

    def __init__(
        self, ledger: Ledger, webhook: SlackWebhook, budget: TimeBudget | None = None
    ) -> None:
        self._ledger, self._webhook = ledger, webhook
        self._budget = budget or TimeBudget()

    def handle(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        """The handler's work: every record, within the invocation's time; Lambda's request
        id owns the claims, so its own retries take them over at once."""
        remaining_ms = context.get_remaining_time_in_millis
        self._budget.start(remaining_ms)
        try:
            relayed = self.relay_event(event, context.aws_request_id, remaining_ms)
        finally:
            self._budget.start(None)
        return {"records": [r.to_dict() for r in relayed]}

    def relay_event(self, event: Any, owner: str, remaining_ms: Callable[[], int]) -> list[Relayed]:
        """Every record of an SNS event (SNS sends one per invocation). The first failure
        raises: records before it are recorded as posted, so Lambda's retry posts the rest."""
        try:
            notices = sns_notices(event)
        except SnsEventError as e:
            logger.error("not an SNS event", extra={"reason": str(e)})
            raise
        relayed = []
        for notice in notices:
            try:
                outcome = self.relay(notice, owner, remaining_ms)
            except Exception as e:
                metrics.add_metric(name="SlackPostFailures", unit=MetricUnit.Count, value=1)
                logger.error(
                    "Slack post failed",
                    extra={"message_id": notice.message_id, "error": scrubbed(str(e))},
                )
                raise
            if outcome.posted:
                metrics.add_metric(name="SlackPosts", unit=MetricUnit.Count, value=1)
            logger.info("Slack notice", extra=outcome.to_dict())
            relayed.append(outcome)
        return relayed

    def relay(self, notice: SnsNotice, owner: str, remaining_ms: Callable[[], int]) -> Relayed:
        message = render(notice)  # pure: a bug here must not leave a claim behind
        claim = self._ledger.claim(f"slack#{notice.message_id}", owner=owner)
        if claim is None:
            return Relayed(notice.message_id, False, "another delivery is posting it")
        if POSTED in claim.told:
            self._ledger.let_go(claim)  # nothing to do: the next redelivery need not wait
            return Relayed(notice.message_id, False, "already posted")
        try:
            self._webhook.post(message.body(), remaining_ms)
        except Exception:
            self._ledger.let_go(claim)
            raise
        try:
            self._ledger.settle(claim, {POSTED})
        except (ClientError, BotoCoreError, OutOfTime) as e:
            # Raising would make Lambda's retry post it a second time; unrecorded, only a
            # redelivery after the lease lapses could.
            logger.warning(
                "posted to Slack, but could not record it",
                extra={"message_id": notice.message_id, "error": type(e).__name__},
            )
        return Relayed(notice.message_id, True, "posted")
