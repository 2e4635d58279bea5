"""Powertools Logger and Metrics, created once for every function, and X-Ray tracing
only where it is on."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from training_guard.model import Finding

NAMESPACE = "TrainingGuard"
SERVICE = "training-guard"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled(env: dict[str, str] | None = None) -> bool:
    """Powertools' own switch: POWERTOOLS_TRACE_DISABLED (the template sets it from its
    XRayTracing parameter)."""
    value = (os.environ if env is None else env).get("POWERTOOLS_TRACE_DISABLED", "false")
    return value.strip().lower() not in {"true", "1"}


def traced(handler: Handler) -> Handler:
    """The handler under Powertools' X-Ray tracer where tracing is on. Where it is off,
    the X-Ray SDK is never imported: at 256 MB it costs a cold start about a second."""
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - only where tracing is on

    tracer = Tracer(service=SERVICE)
    return tracer.capture_lambda_handler(capture_response=False)(handler)  # type: ignore[no-any-return]


def record_findings(findings: Iterable[Finding]) -> None:
    # One metric per finding with the control as its dimension, so a dashboard can
    # graph each control; a shared Metrics object would give one dimension set to all.
    for finding in findings:
        with single_metric(
            name="Findings", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
        ) as metric:
            metric.add_dimension(name="control", value=finding.control)


def record_rejected_event() -> None:
    metrics.add_metric(name="RejectedEvents", unit=MetricUnit.Count, value=1)
