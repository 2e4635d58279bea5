"""The running fleet: every InProgress training and tuning job, listed page by page, and
described with bounded concurrency.

Used by the sweeper (jobs whose events never arrived, or that started before the guard)
and by `training-guard scan`. A tuning job's children are listed as training jobs too;
they are judged as their tuning job, which is listed itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from training_guard.effects.jobs import described_job
from training_guard.facts.jobs import JobFacts, JobKind
from training_guard.reader import InvalidEventError

FLEET_PERMISSIONS = (
    "sagemaker:ListTrainingJobs",
    "sagemaker:ListHyperParameterTuningJobs",
)
ACTIVE_STATUS = "InProgress"
# The most ListTrainingJobs and ListHyperParameterTuningJobs return in one page.
PAGE_SIZE = 100
# Describe calls in flight at once: well under SageMaker's per-account Describe* rates,
# and the connections botocore keeps per client (10 by default).
DESCRIBE_WORKERS = 8

_LISTINGS = {
    JobKind.TUNING: (
        "list_hyper_parameter_tuning_jobs",
        "HyperParameterTuningJobSummaries",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobArn",
    ),
    JobKind.TRAINING: (
        "list_training_jobs",
        "TrainingJobSummaries",
        "TrainingJobName",
        "TrainingJobArn",
    ),
}


@dataclass(frozen=True, order=True)
class Listed:
    """One running job as a list call names it; ordered as the sweep visits them."""

    kind: JobKind
    name: str
    arn: str

    @property
    def position(self) -> str:
        """Where a sweep stopped, to resume after it on the next run."""
        return f"{self.kind.value}/{self.name}"


def running_jobs(sagemaker: Any, page_size: int = PAGE_SIZE) -> list[Listed]:
    """Every InProgress tuning and training job, tuning jobs first, each kind by name:
    an order the next sweep can resume in whatever order the API pages."""
    listed: list[Listed] = []
    for kind, (operation, summaries, name_key, arn_key) in _LISTINGS.items():
        pages = sagemaker.get_paginator(operation).paginate(
            StatusEquals=ACTIVE_STATUS, PaginationConfig={"PageSize": page_size}
        )
        for page in pages:
            for summary in page.get(summaries, []):
                name, arn = summary.get(name_key), summary.get(arn_key)
                if isinstance(name, str) and isinstance(arn, str):
                    listed.append(Listed(kind, name, arn))
    return sorted(set(listed), key=lambda job: (job.kind is JobKind.TRAINING, job.name))


def after(jobs: Iterable[Listed], position: str | None) -> list[Listed]:
    """The jobs a sweep that stopped at `position` has still to visit."""
    ordered = list(jobs)
    if not position:
        return ordered
    for index, job in enumerate(ordered):
        if _sort_key(job.position) > _sort_key(position):
            return ordered[index:]
    return []


def described(
    sagemaker: Any,
    jobs: Iterable[Listed],
    *,
    workers: int = DESCRIBE_WORKERS,
    go_on: Callable[[], bool] = lambda: True,
    on_error: Callable[[Listed, Exception], None] | None = None,
) -> Iterator[tuple[Listed, JobFacts | None]]:
    """Each job as Describe says it is (None: gone meanwhile), `workers` at a time, in
    order; no new batch starts once `go_on` says there is no time left. With `on_error`,
    a job AWS would not describe is handed to it and yielded as None, so one job cannot
    stop the rest; without, the error is raised."""

    def describe(job: Listed) -> JobFacts | None:
        try:
            return described_job(sagemaker, job.kind, job.name)
        except (ClientError, BotoCoreError, InvalidEventError) as e:
            if on_error is None:
                raise
            on_error(job, e)
            return None

    remaining = iter(jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while go_on() and (batch := list(islice(remaining, workers))):
            yield from zip(batch, pool.map(describe, batch), strict=True)


def _sort_key(position: str) -> tuple[bool, str]:
    kind, _, name = position.partition("/")
    return (kind == JobKind.TRAINING.value, name)
