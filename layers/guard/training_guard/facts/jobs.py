"""One normalized view of a training or tuning job, whatever the source said.

Sources: a CloudTrail request (lowerCamelCase, tags as `[{key, value}]`; an omitted
field means its documented default), a state-change `detail` (PascalCase, tags as a
map; possibly incomplete, and then completed with a Describe call before anything is
judged) and the Describe* APIs (PascalCase, no tags). Every value is read through
`training_guard.reader`, which rejects a wrong shape with the field's path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from training_guard.facts import identifiers as ids
from training_guard.reader import Field, InvalidEventError

# The whole life of a training job, including uploading its model, is at most 30 days
# (StoppingCondition.MaxRuntimeInSeconds); a tuning job with no runtime limit is given
# as long.
MAX_JOB_SECONDS = 30 * 24 * 3600
DEFAULT_TRAINING_SECONDS = 24 * 3600  # MaxRuntimeInSeconds' documented default

# What a state-change detail must hold to be judged without a Describe call. AWS's
# documented example event has none of these.
_TRAINING_DETAIL_FIELDS = (
    "TrainingJobArn", "OutputDataConfig", "EnableInterContainerTrafficEncryption",
    "EnableNetworkIsolation", "VpcConfig", "Tags",
)  # fmt: skip
_TUNING_DETAIL_FIELDS = ("HyperParameterTuningJobArn", "HyperParameterTuningJobConfig", "Tags")
_DEFINITION_FIELDS = (
    "OutputDataConfig", "EnableInterContainerTrafficEncryption", "EnableNetworkIsolation",
    "VpcConfig",
)  # fmt: skip


class Source(StrEnum):
    """Where the facts came from, which decides what an absent field means."""

    REQUEST = "request"  # omitted = the API's documented default
    DESCRIPTION = "description"  # omitted = AWS did not say


class JobKind(StrEnum):
    """The resource type as it appears in the job's ARN."""

    TRAINING = "training-job"
    TUNING = "hyper-parameter-tuning-job"

    @property
    def label(self) -> str:
        return "training job" if self is JobKind.TRAINING else "hyperparameter tuning job"


@dataclass(frozen=True)
class InstanceGroup:
    instance_type: str
    count: int


# One layout of instances a training job may run on. A tuning definition with
# HyperParameterTuningResourceConfig.InstanceConfigs has one per alternative.
Cluster = tuple[InstanceGroup, ...]


@dataclass(frozen=True)
class TrainingSpec:
    """What one training job asks for: a job itself, or one definition of a tuning job."""

    label: str
    clusters: tuple[Cluster, ...]  # empty for a serverless job
    inter_container_encryption: bool | None = False  # None: AWS did not say
    network_isolation: bool | None = False
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    output_kms_key: str | None = None
    volume_kms_key: str | None = None
    serverless: bool = False

    @property
    def instance_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.instance_type for c in self.clusters for g in c))

    @property
    def most_instances(self) -> int:
        return max((sum(g.count for g in c) for c in self.clusters), default=0)

    @property
    def is_distributed(self) -> bool:
        return self.most_instances > 1

    @property
    def distributed_types(self) -> tuple[str, ...]:
        """The instance types of the layouts with more than one instance."""
        return tuple(
            dict.fromkeys(
                g.instance_type for c in self.clusters if sum(g.count for g in c) > 1 for g in c
            )
        )

    @property
    def has_vpc(self) -> bool:
        return bool(self.subnets) and bool(self.security_groups)

    def describe_instances(self) -> str:
        return " or ".join(
            " + ".join(f"{g.count} x {g.instance_type}" for g in c) for c in self.clusters
        )


@dataclass(frozen=True)
class JobFacts:
    kind: JobKind
    name: str
    arn: str
    specs: tuple[TrainingSpec, ...]
    status: str | None = None
    tags: Mapping[str, str] | None = field(default_factory=dict)  # None: not known yet
    parent_tuning_job_arn: str | None = None
    runtime_seconds: int = MAX_JOB_SECONDS  # how long it may run, for the guard's record
    created: float | None = None  # epoch seconds: tells a job from a later one of its name

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


@dataclass(frozen=True)
class JobRef:
    """Who a state-change event is about, read before knowing whether it is complete."""

    kind: JobKind
    name: str
    arn: str
    status: str | None
    parent_tuning_job_arn: str | None
    complete: bool
    created: float | None = None


# --- CloudTrail requests ----------------------------------------------------------


def training_job_from_request(
    request: Field, response: Field, account: str, region: str
) -> JobFacts:
    name = request.get("TrainingJobName").text(ids.JOB_NAME, "a training job name")
    arn = response.get("TrainingJobArn").optional_text(
        ids.TRAINING_JOB_ARN, "a training job ARN"
    ) or job_arn(JobKind.TRAINING, name, account, region)
    spec = _spec(request, name, Source.REQUEST)
    return JobFacts(
        JobKind.TRAINING, name, arn, (spec,), None, parse_tags(request.get("Tags")),
        runtime_seconds=_training_runtime(request),
    )  # fmt: skip


def tuning_job_from_request(request: Field, response: Field, account: str, region: str) -> JobFacts:
    name = request.get("HyperParameterTuningJobName").text(ids.TUNING_JOB_NAME, "a tuning job name")
    arn = response.get("HyperParameterTuningJobArn").optional_text(
        ids.TUNING_JOB_ARN, "a tuning job ARN"
    ) or job_arn(JobKind.TUNING, name, account, region)
    return JobFacts(
        JobKind.TUNING, name, arn, _tuning_specs(request, name, Source.REQUEST), None,
        parse_tags(request.get("Tags")), runtime_seconds=_tuning_runtime(request),
    )  # fmt: skip


# --- state changes and Describe answers -------------------------------------------


def training_job_ref(detail: Field) -> JobRef:
    name = detail.get("TrainingJobName").text(ids.JOB_NAME, "a training job name")
    arn = detail.get("TrainingJobArn").optional_text(ids.TRAINING_JOB_ARN, "a training job ARN")
    complete = arn is not None and all(detail.has(k) for k in _TRAINING_DETAIL_FIELDS)
    complete = complete and (detail.has("ResourceConfig") or detail.has("ServerlessJobConfig"))
    return JobRef(
        JobKind.TRAINING, name, arn or "", _status(detail, "TrainingJobStatus"),
        detail.get("TuningJobArn").optional_text(ids.TUNING_JOB_ARN, "a tuning job ARN"),
        complete, creation_time(detail.get("CreationTime")),
    )  # fmt: skip


def tuning_job_ref(detail: Field) -> JobRef:
    name = detail.get("HyperParameterTuningJobName").text(ids.TUNING_JOB_NAME, "a tuning job name")
    arn = detail.get("HyperParameterTuningJobArn").optional_text(
        ids.TUNING_JOB_ARN, "a tuning job ARN"
    )
    complete = arn is not None and all(detail.has(k) for k in _TUNING_DETAIL_FIELDS)
    definitions = _definitions(detail)
    complete = complete and bool(definitions)
    complete = complete and all(d.has(k) for d in definitions for k in _DEFINITION_FIELDS)
    complete = complete and all(
        d.has("ResourceConfig") or d.has("HyperParameterTuningResourceConfig") for d in definitions
    )
    status = _status(detail, "HyperParameterTuningJobStatus")
    created = creation_time(detail.get("CreationTime"))
    return JobRef(JobKind.TUNING, name, arn or "", status, None, complete, created)


def training_job_from_description(detail: Field, tags: Mapping[str, str] | None = None) -> JobFacts:
    """A complete state-change `detail` or a DescribeTrainingJob answer; `tags` from
    ListTags where the source has none."""
    ref = training_job_ref(detail)
    if not ref.arn:
        raise detail.get("TrainingJobArn").reject("a training job ARN")
    return JobFacts(
        JobKind.TRAINING, ref.name, ref.arn, (_spec(detail, ref.name, Source.DESCRIPTION),),
        ref.status, tags if tags is not None else _known_tags(detail),
        ref.parent_tuning_job_arn, _training_runtime(detail), ref.created,
    )  # fmt: skip


def tuning_job_from_description(detail: Field, tags: Mapping[str, str] | None = None) -> JobFacts:
    ref = tuning_job_ref(detail)
    if not ref.arn:
        raise detail.get("HyperParameterTuningJobArn").reject("a tuning job ARN")
    return JobFacts(
        JobKind.TUNING, ref.name, ref.arn, _tuning_specs(detail, ref.name, Source.DESCRIPTION),
        ref.status, tags if tags is not None else _known_tags(detail),
        runtime_seconds=_tuning_runtime(detail), created=ref.created,
    )  # fmt: skip


def job_arn(kind: JobKind, name: str, account: str, region: str) -> str:
    # SageMaker lower-cases the name inside job ARNs.
    return ids.arn("sagemaker", region, account, f"{kind.value}/{name.lower()}")


def name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def parse_tags(tags: Field) -> dict[str, str]:
    """Tags as a map (state change), `[{Key, Value}]` (APIs) or `[{key, value}]` (CloudTrail)."""
    if isinstance(tags.value, Mapping):
        return {str(k): _tag_value(Field(v, f"{tags.path}.{k}")) for k, v in tags.value.items()}
    found: dict[str, str] = {}
    for item in tags.items():
        found[item.get("Key").text()] = _tag_value(item.get("Value"))
    return found


def creation_time(value: Field) -> float | None:
    """Epoch seconds from a CreationTime or CloudTrail eventTime: epoch milliseconds as a
    number or a string (state changes), a datetime (boto3) or ISO 8601 (CloudTrail)."""
    raw = value.value
    if isinstance(raw, datetime):
        return raw.timestamp()
    if isinstance(raw, bool) or not isinstance(raw, int | float | str) or raw == "":
        return None
    try:
        number = float(raw)
    except ValueError:
        try:
            return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    if not math.isfinite(number):
        return None
    # Milliseconds since the epoch are what SageMaker's events carry.
    return number / 1000 if number > 1e11 else number


# --- parsing helpers --------------------------------------------------------------


def _tag_value(value: Field) -> str:
    if not value.present:
        return ""
    if not isinstance(value.value, str):
        raise value.reject("a string")
    return value.value


def _known_tags(detail: Field) -> Mapping[str, str] | None:
    return parse_tags(detail.get("Tags")) if detail.has("Tags") else None


def _status(detail: Field, key: str) -> str | None:
    return detail.get(key).optional_text()


def _definitions(params: Field) -> list[Field]:
    single = params.get("TrainingJobDefinition")
    definitions = [single] if single.present else []
    definitions += list(params.get("TrainingJobDefinitions").items())
    for definition in definitions:
        definition.mapping()  # an object, or rejected with its path
    return definitions


def _tuning_specs(params: Field, name: str, source: Source) -> tuple[TrainingSpec, ...]:
    definitions = _definitions(params)
    if not definitions:
        raise InvalidEventError(
            f"{params.path}: tuning job {name} has neither TrainingJobDefinition nor "
            "TrainingJobDefinitions"
        )
    specs: list[TrainingSpec] = []
    for index, definition in enumerate(definitions, start=1):
        label = definition.get("DefinitionName").optional_text() or (
            name if len(definitions) == 1 else f"#{index}"
        )
        specs.append(_spec(definition, label, source))
    return tuple(specs)


def _spec(params: Field, label: str, source: Source) -> TrainingSpec:
    vpc = params.get("VpcConfig")
    output = params.get("OutputDataConfig")
    serverless = params.has("ServerlessJobConfig")
    # A serverless job runs on AWS's infrastructure: no instances of its own to judge.
    resources, clusters = (params.get("ResourceConfig"), ()) if serverless else _resources(params)
    if not clusters and not serverless:
        raise params.get("ResourceConfig").reject("a ResourceConfig with an instance type")
    return TrainingSpec(
        label=label,
        clusters=clusters,
        inter_container_encryption=_setting(
            params.get("EnableInterContainerTrafficEncryption"), source
        ),
        network_isolation=_setting(params.get("EnableNetworkIsolation"), source),
        subnets=tuple(vpc.get("Subnets").strings(ids.SUBNET_ID, "a subnet id")),
        security_groups=tuple(
            vpc.get("SecurityGroupIds").strings(ids.SECURITY_GROUP_ID, "a security group id")
        ),
        output_kms_key=output.get("KmsKeyId").optional_text(ids.KMS_KEY_REFERENCE, "a KMS key"),
        volume_kms_key=resources.get("VolumeKmsKeyId").optional_text(
            ids.KMS_KEY_REFERENCE, "a KMS key"
        ),
        serverless=serverless,
    )  # fmt: skip


def _setting(value: Field, source: Source) -> bool | None:
    """A boolean switch. In a request, omitted means false (the API's default: the
    feature is off unless asked for); in a description, omitted means unknown."""
    flag = value.flag()
    if flag is None and source is Source.REQUEST:
        return False
    return flag


def _resources(params: Field) -> tuple[Field, tuple[Cluster, ...]]:
    """The resource configuration that carries the volume key, and the layouts it allows.

    ResourceConfig: one layout, of InstanceType x InstanceCount or of InstanceGroups
    (a heterogeneous cluster). HyperParameterTuningResourceConfig: InstanceType x
    InstanceCount, or one layout per InstanceConfigs alternative.
    """
    flexible = params.get("HyperParameterTuningResourceConfig")
    resources = flexible if flexible.present else params.get("ResourceConfig")
    if not resources.present:
        return resources, ()
    alternatives = list(resources.get("InstanceConfigs").items()) if flexible.present else []
    if alternatives:
        return resources, tuple((_instance_group(a),) for a in alternatives)
    groups = list(resources.get("InstanceGroups").items())
    if groups:
        return resources, (tuple(_instance_group(g) for g in groups),)
    return resources, ((_instance_group(resources),),)


def _instance_group(raw: Field) -> InstanceGroup:
    instance_type = raw.get("InstanceType").text(ids.INSTANCE_TYPE, "an ml. instance type")
    count = raw.get("InstanceCount").integer(minimum=0)
    return InstanceGroup(instance_type, 1 if count is None else count)


def _training_runtime(params: Field) -> int:
    stopping = params.get("StoppingCondition")
    runtime = stopping.get("MaxRuntimeInSeconds").integer() or DEFAULT_TRAINING_SECONDS
    # Managed spot training may wait for capacity; a training plan may keep a job pending.
    waiting = (stopping.get("MaxWaitTimeInSeconds").integer() or 0) + (
        stopping.get("MaxPendingTimeInSeconds").integer() or 0
    )
    keep_alive = params.get("ResourceConfig").get("KeepAlivePeriodInSeconds").integer() or 0
    return min(max(runtime, waiting) + keep_alive, MAX_JOB_SECONDS)


def _tuning_runtime(params: Field) -> int:
    limits = params.get("HyperParameterTuningJobConfig").get("ResourceLimits")
    return min(limits.get("MaxRuntimeInSeconds").integer() or MAX_JOB_SECONDS, MAX_JOB_SECONDS)
