"""Load a security group and decide whether, and how, it is guarded."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from training_guard.effects.aws import error_code
from training_guard.effects.jobs import job_tags
from training_guard.effects.loaders import describe_security_groups
from training_guard.facts.guarded import Guard, guard_from_jobs, guard_from_tags
from training_guard.facts.jobs import JobFacts, training_job_from_description
from training_guard.facts.network import SecurityGroup, security_group_from_api
from training_guard.observability import logger

RUNNING_JOB_PERMISSIONS = (
    "sagemaker:ListTrainingJobs",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:ListTags",
)
# Describe at most this many running jobs per scan; tags decide the common case, so
# the scan only serves groups of jobs the job guard has not seen (started before it
# was deployed).
RUNNING_JOBS_LIMIT = 200
INDEX_SECONDS = 60.0


def find_group(ec2: Any, group_id: str | None, group_name: str | None) -> SecurityGroup | None:
    if group_id:
        return describe_security_groups(ec2, [group_id]).get(group_id)
    # A request naming a group only by name (EC2-Classic style) means the default VPC's
    # group of that name, which is what GroupNames= resolves to.
    try:
        (raw,) = ec2.describe_security_groups(GroupNames=[group_name])["SecurityGroups"]
    except ClientError as e:
        if error_code(e) in {"InvalidGroup.NotFound", "VPCIdNotSpecified"}:
            return None
        raise
    return security_group_from_api(raw)


def vpc_cidrs(ec2: Any, vpc_id: str | None) -> tuple[str, ...]:
    if not vpc_id:
        return ()
    try:
        (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    except ClientError as e:
        if error_code(e) == "InvalidVpcID.NotFound":
            return ()
        raise
    blocks = vpc.get("CidrBlockAssociationSet") or [{"CidrBlock": vpc["CidrBlock"]}]
    return tuple(b["CidrBlock"] for b in blocks if b.get("CidrBlock"))


class RunningJobs:
    """The running training jobs (tuning children included), kept for a minute in a warm
    Lambda so that a burst of security-group events costs one scan."""

    def __init__(
        self,
        sagemaker: Any,
        is_exempt: Callable[[Mapping[str, str]], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sagemaker = sagemaker
        self._is_exempt = is_exempt
        self._clock = clock
        self._jobs: list[JobFacts] = []
        self._loaded_at: float | None = None

    def guard_for(self, group_id: str) -> Guard | None:
        return guard_from_jobs(group_id, self.jobs())

    def jobs(self) -> list[JobFacts]:
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at > INDEX_SECONDS:
            self._jobs, self._loaded_at = self._scan(), now
        return self._jobs

    def _scan(self) -> list[JobFacts]:
        names: list[str] = []
        pages = self._sagemaker.get_paginator("list_training_jobs").paginate(
            StatusEquals="InProgress", SortBy="CreationTime", SortOrder="Descending"
        )
        for page in pages:
            names += [j["TrainingJobName"] for j in page["TrainingJobSummaries"]]
            if len(names) >= RUNNING_JOBS_LIMIT:
                logger.warning("running jobs beyond the scan limit are not considered",
                               extra={"limit": RUNNING_JOBS_LIMIT})  # fmt: skip
                break
        return [job for name in names[:RUNNING_JOBS_LIMIT] if (job := self._describe(name))]

    def _describe(self, name: str) -> JobFacts | None:
        """A running job that is not exempt: an exempt job's groups are not the guard's."""
        try:
            job = training_job_from_description(
                self._sagemaker.describe_training_job(TrainingJobName=name)
            )
            tags = job_tags(self._sagemaker, job.arn)
        except ClientError as e:
            if error_code(e) in {"ValidationException", "ResourceNotFound"}:
                return None  # finished and gone between the list and the describe
            raise
        return None if self._is_exempt(tags) else job


def decide_guard(group: SecurityGroup, guard_tag_key: str, running: RunningJobs) -> Guard | None:
    return guard_from_tags(group.tags, guard_tag_key) or running.guard_for(group.id)
