"""One normalized view of a training or tuning job, whatever the source said.

Sources: CloudTrail `requestParameters` (lowerCamelCase at every depth, tags as
`[{key, value}]`), the native state-change `detail` (PascalCase, tags as a map,
sometimes `VpcConfig: {}`), and the Describe* APIs (PascalCase, no tags).
Everything is first brought to PascalCase, then parsed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from training_guard.facts.instances import has_local_nvme, is_efa

# Values under these keys are user content (possibly secrets) or user-chosen keys:
# never renamed, never read.
_OPAQUE_KEYS = frozenset({"hyperparameters", "statichyperparameters", "environment", "tags"})


class FactsError(ValueError):
    """The source lacks a field the guard needs; the message names the field."""


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


@dataclass(frozen=True)
class TrainingSpec:
    """What one training job asks for: a job itself, or one definition of a tuning job."""

    label: str
    instance_groups: tuple[InstanceGroup, ...]
    inter_container_encryption: bool = False
    network_isolation: bool = False
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    output_kms_key: str | None = None
    volume_kms_key: str | None = None

    @property
    def instance_count(self) -> int:
        return sum(g.count for g in self.instance_groups)

    @property
    def instance_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.instance_type for g in self.instance_groups))

    @property
    def is_distributed(self) -> bool:
        return self.instance_count > 1

    @property
    def uses_efa(self) -> bool:
        return any(is_efa(t) for t in self.instance_types)

    @property
    def needs_volume_key(self) -> bool:
        """AWS refuses a volume key when every instance has local NVMe storage."""
        return any(not has_local_nvme(t) for t in self.instance_types)

    @property
    def has_vpc(self) -> bool:
        return bool(self.subnets) and bool(self.security_groups)


@dataclass(frozen=True)
class JobFacts:
    kind: JobKind
    name: str
    arn: str
    specs: tuple[TrainingSpec, ...]
    status: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    parent_tuning_job_arn: str | None = None

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


# --- public constructors, one per source -------------------------------------------


def training_job_from_cloudtrail(
    request: Mapping[str, Any], response: Mapping[str, Any] | None, account: str, region: str
) -> JobFacts:
    tags = parse_tags(request.get("tags"))
    params = pascalize(request)
    name = _required(params, "TrainingJobName", "CreateTrainingJob requestParameters")
    arn = (response or {}).get("trainingJobArn") or job_arn(JobKind.TRAINING, name, account, region)
    return JobFacts(JobKind.TRAINING, name, arn, (_spec(params, name),), None, tags)


def tuning_job_from_cloudtrail(
    request: Mapping[str, Any], response: Mapping[str, Any] | None, account: str, region: str
) -> JobFacts:
    tags = parse_tags(request.get("tags"))
    params = pascalize(request)
    name = _required(
        params, "HyperParameterTuningJobName", "CreateHyperParameterTuningJob requestParameters"
    )
    arn = (response or {}).get("hyperParameterTuningJobArn") or job_arn(
        JobKind.TUNING, name, account, region
    )
    return JobFacts(JobKind.TUNING, name, arn, _tuning_specs(params, name), None, tags)


def training_job_from_description(detail: Mapping[str, Any]) -> JobFacts:
    """A state-change `detail` or a DescribeTrainingJob response (which carries no tags)."""
    params = pascalize(detail)
    name = _required(params, "TrainingJobName", "training job description")
    arn = _required(params, "TrainingJobArn", "training job description")
    return JobFacts(
        JobKind.TRAINING,
        name,
        arn,
        (_spec(params, name),),
        params.get("TrainingJobStatus"),
        parse_tags(detail.get("Tags")),
        params.get("TuningJobArn") or None,
    )


def tuning_job_from_description(detail: Mapping[str, Any]) -> JobFacts:
    """A tuning state-change `detail` or a DescribeHyperParameterTuningJob response."""
    params = pascalize(detail)
    name = _required(params, "HyperParameterTuningJobName", "tuning job description")
    arn = _required(params, "HyperParameterTuningJobArn", "tuning job description")
    return JobFacts(
        JobKind.TUNING,
        name,
        arn,
        _tuning_specs(params, name),
        params.get("HyperParameterTuningJobStatus"),
        parse_tags(detail.get("Tags")),
    )


def job_arn(kind: JobKind, name: str, account: str, region: str) -> str:
    # SageMaker lower-cases the name inside job ARNs.
    return f"arn:aws:sagemaker:{region}:{account}:{kind.value}/{name.lower()}"


def name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def parse_tags(raw: object) -> dict[str, str]:
    """Tags as a map (state change), `[{Key, Value}]` (APIs) or `[{key, value}]` (CloudTrail)."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        tags: dict[str, str] = {}
        for item in raw:
            if isinstance(item, Mapping):
                key = item.get("Key", item.get("key"))
                if key is not None:
                    tags[str(key)] = str(item.get("Value", item.get("value", "")))
        return tags
    raise FactsError(f"tags must be a map or a list of key/value pairs, not {type(raw).__name__}")


def pascalize(value: Any) -> Any:
    """Upper-case the first letter of every key, at every depth, except inside opaque values."""
    if isinstance(value, Mapping):
        return {
            _pascal(k): (v if k.lower() in _OPAQUE_KEYS else pascalize(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [pascalize(v) for v in value]
    return value


# --- parsing helpers --------------------------------------------------------------


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


def _required(params: Mapping[str, Any], key: str, where: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise FactsError(f"{where} has no {key}")
    return value


def _tuning_specs(params: Mapping[str, Any], name: str) -> tuple[TrainingSpec, ...]:
    definitions: list[Mapping[str, Any]] = []
    if isinstance(params.get("TrainingJobDefinition"), Mapping):
        definitions.append(params["TrainingJobDefinition"])
    if isinstance(params.get("TrainingJobDefinitions"), list):
        definitions.extend(d for d in params["TrainingJobDefinitions"] if isinstance(d, Mapping))
    if not definitions:
        raise FactsError(
            f"tuning job {name} has neither TrainingJobDefinition nor TrainingJobDefinitions"
        )
    specs: list[TrainingSpec] = []
    for index, definition in enumerate(definitions, start=1):
        label = definition.get("DefinitionName") or (name if len(definitions) == 1 else f"#{index}")
        specs.extend(_definition_specs(definition, str(label)))
    return tuple(specs)


def _definition_specs(definition: Mapping[str, Any], label: str) -> list[TrainingSpec]:
    """A definition with instance-type flexibility yields one spec per alternative."""
    flexible = definition.get("HyperParameterTuningResourceConfig")
    if isinstance(flexible, Mapping) and flexible.get("InstanceConfigs"):
        volume_key = flexible.get("VolumeKmsKeyId")
        return [
            _spec(
                {**definition, "ResourceConfig": {**config, "VolumeKmsKeyId": volume_key}},
                f"{label} ({config.get('InstanceType')})",
            )
            for config in flexible["InstanceConfigs"]
        ]
    return [_spec(definition, label)]


def _spec(params: Mapping[str, Any], label: str) -> TrainingSpec:
    resources = params.get("ResourceConfig")
    if not isinstance(resources, Mapping):
        raise FactsError(f"{label}: ResourceConfig is missing")
    vpc = _mapping(params, "VpcConfig", label)
    output = _mapping(params, "OutputDataConfig", label)
    return TrainingSpec(
        label=label,
        instance_groups=_instance_groups(resources, label),
        inter_container_encryption=_flag(params.get("EnableInterContainerTrafficEncryption")),
        network_isolation=_flag(params.get("EnableNetworkIsolation")),
        subnets=_strings(vpc.get("Subnets")),
        security_groups=_strings(vpc.get("SecurityGroupIds")),
        output_kms_key=_key_reference(output, "OutputDataConfig.KmsKeyId", label),
        volume_kms_key=_key_reference(resources, "ResourceConfig.VolumeKmsKeyId", label),
    )


def _mapping(params: Mapping[str, Any], key: str, label: str) -> Mapping[str, Any]:
    value = params.get(key) or {}
    if not isinstance(value, Mapping):
        raise FactsError(f"{label}: {key} must be an object, not {type(value).__name__}")
    return value


def _key_reference(params: Mapping[str, Any], field: str, label: str) -> str | None:
    value = params.get(field.rsplit(".", 1)[1])
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FactsError(f"{label}: {field} must be a string, not {type(value).__name__}")
    return value


def _instance_groups(resources: Mapping[str, Any], label: str) -> tuple[InstanceGroup, ...]:
    groups = resources.get("InstanceGroups")
    if not groups:
        return (_instance_group(resources, label),)
    if not isinstance(groups, list) or not all(isinstance(g, Mapping) for g in groups):
        raise FactsError(f"{label}: ResourceConfig.InstanceGroups must be a list of objects")
    return tuple(_instance_group(g, label) for g in groups)


def _instance_group(raw: Mapping[str, Any], label: str) -> InstanceGroup:
    instance_type = raw.get("InstanceType")
    if not isinstance(instance_type, str) or not instance_type:
        raise FactsError(f"{label}: ResourceConfig has no InstanceType")
    try:
        count = int(raw.get("InstanceCount", 1))
    except (TypeError, ValueError) as e:
        raise FactsError(
            f"{label}: InstanceCount {raw.get('InstanceCount')!r} is not a number"
        ) from e
    return InstanceGroup(instance_type, count)


def _flag(raw: object) -> bool:
    return raw is True or (isinstance(raw, str) and raw.lower() == "true")


def _strings(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(dict.fromkeys(str(v) for v in raw if v))
