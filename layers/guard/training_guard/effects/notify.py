"""Publish one notification per resource and piece of news (effects/ledger.py remembers)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Set
from typing import Any

from training_guard.effects.budget import OutOfTime
from training_guard.effects.ledger import LEDGER_PERMISSIONS, Claim, Ledger
from training_guard.effects.remedies import Unfinished
from training_guard.model import Action, ActionKind, Finding, Summary
from training_guard.notification import (
    Notification,
    Subject,
    build_notification,
    news,
    sns_message,
)
from training_guard.observability import logger
from training_guard.outbox import Plan, recount

PUBLISH_PERMISSIONS = ("sns:Publish",)
# The topic is encrypted with a customer managed key: publishing needs to use it.
TOPIC_KEY_PERMISSIONS = ("kms:GenerateDataKey", "kms:Decrypt")
STATE_PERMISSIONS = LEDGER_PERMISSIONS


class Notifier:
    def __init__(
        self,
        sns: Any,
        topic_arn: str,
        dynamodb: Any,
        table_name: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sns = sns
        self._topic_arn = topic_arn
        self._ledger = Ledger(dynamodb, table_name, clock)

    def claim(self, key: str, delivery: str, plan: Plan | None = None) -> Claim | None:
        """Before acting: the lease on `key`, with what is about to be done in the outbox.
        None: another delivery is acting on it right now, and tells."""
        return self._ledger.claim(key, delivery, plan)

    def claim_untold(self, key: str, delivery: str) -> Claim | None:
        """The lease on `key` only if an earlier attempt left news it never told."""
        return self._ledger.claim(key, delivery, untold_only=True)

    def tell(self, claim: Claim, news: Set[str], notification: Notification) -> bool:
        """Publish unless every piece of `news` was told before and nothing is untold;
        then remember it and end the lease. A failed publish ends the lease and keeps
        the outbox, so the retry tells."""
        if not (set(news) - claim.told) and not claim.untold:
            self._ledger.settle(claim, news)
            return False
        try:
            self.publish(notification)
        except Exception:
            self._ledger.let_go(claim)
            raise
        self._ledger.settle(claim, news)
        return True

    def let_go(self, claim: Claim) -> None:
        self._ledger.let_go(claim)

    def record(self, claim: Claim, actions: Iterable[Action]) -> None:
        self._ledger.record(claim, actions)

    def done(self, claim: Claim) -> None:
        """Nothing to tell: empty the outbox and end the lease."""
        self._ledger.settle(claim, frozenset())

    def publish(self, notification: Notification) -> str:
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Subject=notification.subject,
            Message=sns_message(notification),
            MessageStructure="json",
            MessageAttributes=notification.attributes,
        )
        return str(response["MessageId"])


class Notice:
    """One resource's notice, through one delivery: claimed before acting (with what is
    about to be done), told after, once."""

    def __init__(self, notifier: Notifier, key: str, delivery: str, *, may_be_untold: bool) -> None:
        self._notifier = notifier
        self._key = key
        self._delivery = delivery
        # Where what was found can vanish (a group repaired, or fixed by hand), a judgment
        # that finds nothing may follow an earlier attempt that never told: only there is
        # the outbox looked at when nothing is found.
        self._may_be_untold = may_be_untold
        self._claim: Claim | None = None

    def before_acting(self, findings: tuple[Finding, ...], intents: Set[str]) -> bool:
        """Claim the notice and write the plan; False when another delivery is acting on
        the resource right now (it tells what it does)."""
        self._claim = self._notifier.claim(self._key, self._delivery, Plan.of(findings, intents))
        return self._claim is not None

    def let_go(self) -> None:
        """Acting failed and the event is retried: end the lease, keep the plan."""
        if self._claim is not None:
            self._notifier.let_go(self._claim)

    def acted(self, actions: Iterable[Action]) -> None:
        """Record what was just done, before it is told (outbox.py's `Done`)."""
        if self._claim is not None:
            self._notifier.record(self._claim, actions)

    def act(
        self, carry_out: Callable[[], tuple[Action, ...]]
    ) -> tuple[tuple[Action, ...], OutOfTime | None]:
        """What carrying out did, and the lack of time that cut it short (for the caller
        to raise once it has told); what was done is recorded before it is told."""
        late: OutOfTime | None = None
        try:
            actions = carry_out()
        except Unfinished as e:
            # Say what was done and what was not, then let Lambda retry: remediation is
            # idempotent.
            actions, late = tuple(e.actions), e.cause
        except OutOfTime as e:
            actions, late = (Action(ActionKind.FAILED, f"Not finished in time: {e}."),), e
        except Exception:
            self.let_go()  # the retry, or any other delivery, may act at once
            raise
        self.acted(actions)
        return actions, late

    def tell(self, summary: Summary, about: Subject, exempt_tag_key: str) -> Summary:
        """Tell the summary if it is news, with what earlier attempts planned, did and never
        told; the summary as told. Findings and failed actions are news; a quiet success
        is not."""
        if self._claim is None and not summary.findings and self._may_be_untold:
            self._claim = self._notifier.claim_untold(self._key, self._delivery)
        summary = self._recounted(summary)
        failed = any(a.action is ActionKind.FAILED for a in summary.actions)
        if not summary.findings and not failed:
            if self._claim is not None:
                self._notifier.done(self._claim)
            return summary
        if self._claim is None:
            self._claim = self._notifier.claim(self._key, self._delivery)
            if self._claim is None:
                logger.warning("another delivery is telling", extra={"resource": self._key})
                return summary
            summary = self._recounted(summary)
        notification = build_notification(summary, about, exempt_tag_key, key=self._key)
        if not self._notifier.tell(self._claim, news(summary), notification):
            logger.info("already told", extra={"resource": summary.resource})
        return summary

    def _recounted(self, summary: Summary) -> Summary:
        if self._claim is None:
            return summary
        return recount(summary, self._claim.untold, self._claim.done)


def held(label: str) -> Action:
    """What a delivery says that meets another one acting on the same resource."""
    return Action(
        ActionKind.SKIPPED,
        f"Another delivery of the guard is acting on {label} right now; it tells what it does.",
    )
