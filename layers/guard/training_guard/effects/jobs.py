"""Stop training and tuning jobs; read a job's tags. Idempotent: a job already stopping,
stopped or finished is a success, not an error."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import (
    error_code,
    error_message,
    is_access_denied,
    is_transient,
    refused,
)
from training_guard.facts.jobs import (
    JobFacts,
    JobKind,
    name_from_arn,
    parse_tags,
    training_job_from_description,
    tuning_job_from_description,
)
from training_guard.model import Action, ActionKind
from training_guard.reader import root

STOP_PERMISSIONS = ("sagemaker:StopTrainingJob", "sagemaker:StopHyperParameterTuningJob")
# An incomplete state change is completed with a Describe (and ListTags) before it is
# judged; a tuning job's child is judged as its tuning job.
DESCRIBE_PERMISSIONS = (
    "sagemaker:DescribeTrainingJob",
    "sagemaker:DescribeHyperParameterTuningJob",
    "sagemaker:ListTags",
)

# StopTrainingJob on a job that is not InProgress answers ValidationException
# "... is in status Completed." (AWS API reference, StopTrainingJob).
_STATUS_IN_MESSAGE = re.compile(r"status:?\s+'?(\w+)'?", re.IGNORECASE)
_STOPPED_STATUSES = frozenset({"stopping", "stopped"})
_NOT_FOUND_IN_MESSAGE = re.compile(r"could not find|does not exist|not found", re.IGNORECASE)


def stop_job(sagemaker: Any, kind: JobKind, name: str, reason: str) -> Action:
    label = f"{kind.label} {name}"
    try:
        if kind is JobKind.TUNING:
            sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        else:
            sagemaker.stop_training_job(TrainingJobName=name)
    except ClientError as e:
        return _refusal(e, label, kind)
    return Action(ActionKind.STOPPED, f"Stopped {label}: {reason}.")


def _refusal(error: ClientError, label: str, kind: JobKind) -> Action:
    code, message = error_code(error), error_message(error)
    if code == "ResourceNotFound" or (
        code == "ValidationException" and _NOT_FOUND_IN_MESSAGE.search(message)
    ):
        return Action(ActionKind.SKIPPED, f"Nothing to stop: {label} does not exist.")
    if code == "ValidationException" and (status := _STATUS_IN_MESSAGE.search(message)):
        already = status.group(1)
        stopped = ActionKind.STOPPED if already.lower() in _STOPPED_STATUSES else None
        return Action(
            ActionKind.SKIPPED, f"Nothing to stop: {label} is already {already}.", stopped
        )
    if is_access_denied(error):
        permission = STOP_PERMISSIONS[1 if kind is JobKind.TUNING else 0]
        return Action(
            ActionKind.FAILED,
            f"Could not stop {label}: {code} ({message}). Grant {permission} to the "
            "guard's role, then stop the job by hand.",
        )
    if is_transient(error):
        raise error
    return refused(f"stop {label}", error)


def job_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    tags: list[dict[str, str]] = []
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.extend(page.get("Tags", []))
    return parse_tags(root(tags, "ListTags.Tags"))


def described_job(sagemaker: Any, kind: JobKind, name: str) -> JobFacts | None:
    """A job as Describe* says it is, with its tags; None when it no longer exists."""
    try:
        if kind is JobKind.TUNING:
            answer = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        else:
            answer = sagemaker.describe_training_job(TrainingJobName=name)
    except ClientError as e:
        if error_code(e) == "ResourceNotFound" or (
            error_code(e) == "ValidationException"
            and _NOT_FOUND_IN_MESSAGE.search(error_message(e))
        ):
            return None
        raise
    parse = tuning_job_from_description if kind is JobKind.TUNING else training_job_from_description
    job = parse(root(answer, f"Describe {kind.label}"))
    if job.parent_tuning_job_arn:
        return job  # judged as its tuning job, whose tags are the ones that count
    return replace(job, tags=job_tags(sagemaker, job.arn))


def tuning_job(sagemaker: Any, arn: str) -> JobFacts | None:
    """A tuning job with its tags, or None when it no longer exists."""
    return described_job(sagemaker, JobKind.TUNING, name_from_arn(arn))
