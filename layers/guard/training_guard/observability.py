"""Powertools Logger, Tracer and Metrics, created once for every function."""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from training_guard.model import Finding

NAMESPACE = "TrainingGuard"

logger = Logger(service="training-guard")
tracer = Tracer(service="training-guard")
metrics = Metrics(namespace=NAMESPACE, service="training-guard")


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
