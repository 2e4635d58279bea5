"""SageMaker: job lifecycles and the Stop* APIs.

AWS: CreateTrainingJob and CreateHyperParameterTuningJob return while the job is
`InProgress` (SecondaryStatus `Starting`); it ends `Completed`, `Failed` or `Stopped`
later. StopTrainingJob / StopHyperParameterTuningJob move an `InProgress` job to
`Stopping`; on a job in any other status they fail with ValidationException
("... is in status X"), on an unknown name with ResourceNotFound (SageMaker API
reference, StopTrainingJob and StopHyperParameterTuningJob).
moto 5.2: jobs are `Completed` the moment they are created, and neither Stop API
exists.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import EmptyResult
from moto.sagemaker import models
from moto.sagemaker.exceptions import ResourceNotFound, ValidationError
from moto.sagemaker.responses import SageMakerResponse

ACTIVE = "InProgress"
STOPPING = "Stopping"


def install() -> None:
    _start_in_progress()
    _add_stop_apis()


def set_training_job_status(account: str, region: str, name: str, status: str) -> None:
    """Move a job along its lifecycle, as time would in AWS (for tests and the demo)."""
    job = _training_jobs(account, region)[name]
    job.training_job_status = job.secondary_status = status


def _start_in_progress() -> None:
    training_init = models.FakeTrainingJob.__init__
    tuning_init = models.HyperParameterTuningJob.__init__

    def training(self: Any, *args: Any, **kwargs: Any) -> None:
        training_init(self, *args, **kwargs)
        self.training_job_status = ACTIVE
        self.secondary_status = "Starting"
        self.training_end_time = None

    def tuning(self: Any, *args: Any, **kwargs: Any) -> None:
        tuning_init(self, *args, **kwargs)
        self.hyper_parameter_tuning_job_status = ACTIVE

    models.FakeTrainingJob.__init__ = training  # type: ignore[method-assign]
    models.HyperParameterTuningJob.__init__ = tuning  # type: ignore[method-assign]


def _add_stop_apis() -> None:
    def stop_training_job(self: SageMakerResponse) -> EmptyResult:
        name = self._get_param("TrainingJobName")
        job = _find(_training_jobs(self.current_account, self.region), name, "training job")
        _require_active(job.training_job_status, "training job")
        job.training_job_status = job.secondary_status = STOPPING
        return EmptyResult()

    def stop_hyper_parameter_tuning_job(self: SageMakerResponse) -> EmptyResult:
        name = self._get_param("HyperParameterTuningJobName")
        jobs = _tuning_jobs(self.current_account, self.region)
        job = _find(jobs, name, "hyperparameter tuning job")
        _require_active(job.hyper_parameter_tuning_job_status, "hyperparameter tuning job")
        job.hyper_parameter_tuning_job_status = STOPPING
        return EmptyResult()

    SageMakerResponse.stop_training_job = stop_training_job  # type: ignore[attr-defined]
    SageMakerResponse.stop_hyper_parameter_tuning_job = stop_hyper_parameter_tuning_job  # type: ignore[attr-defined]


def _find(jobs: dict[str, Any], name: str, kind: str) -> Any:
    if name not in jobs:
        raise ResourceNotFound(message=f"Requested resource not found: {kind} {name}")
    return jobs[name]


def _require_active(status: str, kind: str) -> None:
    if status != ACTIVE:
        raise ValidationError(
            message=f"The request was rejected because the {kind} is in status {status}."
        )


def _training_jobs(account: str, region: str) -> dict[str, Any]:
    return models.sagemaker_backends[account][region].training_jobs  # type: ignore[no-any-return]


def _tuning_jobs(account: str, region: str) -> dict[str, Any]:
    return models.sagemaker_backends[account][region].hyper_parameter_tuning_jobs  # type: ignore[no-any-return]
