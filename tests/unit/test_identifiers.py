"""AWS identifiers and partitions, held against the pinned botocore's own data."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest

from training_guard.facts import identifiers as ids
from training_guard.facts.identifiers import arn, arn_field, partition_of, role_arn

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"


@cache
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.Loader()


@cache
def partitions() -> tuple[dict[str, Any], ...]:
    return tuple(_loader().load_data("partitions")["partitions"])


@cache
def shape_pattern(service: str, shape: str) -> re.Pattern[str]:
    model = _loader().load_service_model(service, "service-2")
    return re.compile(model["shapes"][shape]["pattern"])


def shape_max(service: str, shape: str) -> int:
    model = _loader().load_service_model(service, "service-2")
    return int(model["shapes"][shape]["max"])


def regions() -> list[tuple[str, str]]:
    """(partition, region) for every real region botocore lists. Each partition also lists
    a pseudo-region for its global endpoint (`aws-global`, `aws-cn-global`), which no
    event carries: its regionRegex does not match it."""
    return [
        (p["id"], region)
        for p in partitions()
        for region in p["regions"]
        if re.fullmatch(p["regionRegex"].strip("^$"), region)
    ]


def pseudo_regions() -> list[str]:
    return [
        region
        for p in partitions()
        for region in p["regions"]
        if not re.fullmatch(p["regionRegex"].strip("^$"), region)
    ]


# --- partitions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("ap-southeast-7", "aws"),
        ("mx-central-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-gov-east-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),
    ],
)
def test_partition_of(region: str, partition: str) -> None:
    assert partition_of(region) == partition


@pytest.mark.parametrize(("partition", "region"), regions(), ids=[r for _, r in regions()])
def test_every_botocore_region_maps_to_its_partition(partition: str, region: str) -> None:
    assert partition_of(region) == partition
    assert ids.REGION.fullmatch(region), region
    assert ids.PARTITION.fullmatch(partition), partition


def test_every_botocore_partition_has_a_region_the_guard_maps_to_it() -> None:
    assert {p["id"] for p in partitions()} == {partition for partition, _ in regions()}
    assert {partition_of(region) for _, region in regions()} == {p["id"] for p in partitions()}


@pytest.mark.parametrize("region", pseudo_regions())
def test_global_pseudo_regions_are_no_region_an_event_can_name(region: str) -> None:
    # partition_of is never asked about them: events.py rejects such a region first.
    assert not ids.REGION.fullmatch(region)


@pytest.mark.parametrize("partition", [p["id"] for p in partitions()])
def test_partition_regex_of_botocore_agrees_on_made_up_regions(partition: str) -> None:
    """A region AWS opens later in a partition, matched by botocore's regionRegex."""
    pattern = re.compile(
        next(p["regionRegex"] for p in partitions() if p["id"] == partition).strip("^$")
    )
    for candidate in (
        "us-east-9", "eu-south-7", "cn-south-3", "us-gov-central-4", "us-iso-south-2",
        "us-isob-west-5", "eu-isoe-north-2", "us-isof-west-3", "eusc-de-west-2",
        "af-north-4", "il-south-2",
    ):  # fmt: skip
        if pattern.fullmatch(candidate):
            assert partition_of(candidate) == partition, candidate


# --- ARNs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/j"),
        ("cn-north-1", f"arn:aws-cn:sagemaker:cn-north-1:{ACCOUNT}:training-job/j"),
        ("us-gov-west-1", f"arn:aws-us-gov:sagemaker:us-gov-west-1:{ACCOUNT}:training-job/j"),
    ],
)
def test_arn_takes_the_partition_of_the_region(region: str, expected: str) -> None:
    assert arn("sagemaker", region, ACCOUNT, "training-job/j") == expected


@pytest.mark.parametrize(
    ("value", "index", "field"),
    [
        (f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/k", 1, "aws-cn"),
        (f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/k", 2, "kms"),
        (f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/k", 3, "cn-north-1"),
        (f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:key/k", 4, ACCOUNT),
        (f"arn:aws:iam::{ACCOUNT}:role/a:b", 5, "role/a:b"),
        ("alias/training-artifacts", 4, None),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", 4, None),
        ("arn:aws:kms", 4, None),
    ],
)
def test_arn_field(value: str, index: int, field: str | None) -> None:
    assert arn_field(value, index) == field


@pytest.mark.parametrize(
    ("caller", "role"),
    [
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/DataScientistRole/alice", f"arn:aws:iam::{ACCOUNT}:role/DataScientistRole"),
        (f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/DataScientistRole/alice", f"arn:aws-cn:iam::{ACCOUNT}:role/DataScientistRole"),
        (f"arn:aws-us-gov:sts::{ACCOUNT}:assumed-role/Ops/i-0abc", f"arn:aws-us-gov:iam::{ACCOUNT}:role/Ops"),
        (f"arn:aws:iam::{ACCOUNT}:user/bob", f"arn:aws:iam::{ACCOUNT}:user/bob"),
        (f"arn:aws:iam::{ACCOUNT}:role/Direct", f"arn:aws:iam::{ACCOUNT}:role/Direct"),
        ("", ""),
    ],
)  # fmt: skip
def test_role_arn(caller: str, role: str) -> None:
    assert role_arn(caller) == role


# --- identifier patterns against the botocore models ---------------------------------

JOB_ARNS = [
    f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:training-job/{name}"
    for partition, region in (("aws", "us-east-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1"))
    for name in ("fraud-model-compliant", "a", "a--b-1", "x" * 63, "xgb-tuning-unencrypted-001-1a2b3c4d")
]  # fmt: skip
TUNING_ARNS = [
    f"arn:{partition}:sagemaker:{region}:{ACCOUNT}:hyper-parameter-tuning-job/{name}"
    for partition, region in (("aws", "us-east-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1"))
    for name in ("xgb-tuning-unencrypted", "t", "t--1", "y" * 32)
]  # fmt: skip


@pytest.mark.parametrize("value", JOB_ARNS)
def test_training_job_arn_pattern_accepts_what_botocore_accepts(value: str) -> None:
    assert shape_pattern("sagemaker", "TrainingJobArn").fullmatch(value)
    assert ids.TRAINING_JOB_ARN.fullmatch(value)


@pytest.mark.parametrize("value", TUNING_ARNS)
def test_tuning_job_arn_pattern_accepts_what_botocore_accepts(value: str) -> None:
    assert shape_pattern("sagemaker", "HyperParameterTuningJobArn").fullmatch(value)
    assert ids.TUNING_JOB_ARN.fullmatch(value)


@pytest.mark.parametrize(
    "value",
    [
        "not-an-arn",
        f"arn:aws:s3:::bucket/{ACCOUNT}",
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/m",
        "arn:aws:sagemaker:us-east-1:12345:training-job/j",
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/-j",
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/",
    ],
)
def test_training_job_arn_pattern_refuses_what_botocore_refuses(value: str) -> None:
    assert not shape_pattern("sagemaker", "TrainingJobArn").fullmatch(value)
    assert not ids.TRAINING_JOB_ARN.fullmatch(value)


@pytest.mark.parametrize(
    ("ours", "service", "shape", "values"),
    [
        (ids.JOB_NAME, "sagemaker", "TrainingJobName", ["j", "fraud-model-compliant", "a--b", "x" * 63]),
        (ids.TUNING_JOB_NAME, "sagemaker", "HyperParameterTuningJobName", ["t", "xgb-tuning-multi", "y" * 32]),
        (ids.SECURITY_GROUP_ID, "sagemaker", "SecurityGroupId", ["sg-0c0ffee0c0ffee000", "sg-1", "sg-" + "a" * 29]),
        (ids.SUBNET_ID, "sagemaker", "SubnetId", ["subnet-0aa11bb22cc33dd44", "subnet-1", "subnet-" + "b" * 25]),
        (ids.KMS_KEY_REFERENCE, "sagemaker", "KmsKeyId", [
            "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/training-artifacts", "alias/aws/s3",
            f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:alias/training-artifacts",
            f"arn:aws-us-gov:kms:us-gov-west-1:{ACCOUNT}:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        ]),
    ],
)  # fmt: skip
def test_id_patterns_accept_what_botocore_accepts(
    ours: re.Pattern[str], service: str, shape: str, values: list[str]
) -> None:
    for value in values:
        assert shape_pattern(service, shape).fullmatch(value), value
        assert len(value) <= shape_max(service, shape), value
        assert ours.fullmatch(value), value


@pytest.mark.parametrize(
    ("ours", "value"),
    [
        (ids.JOB_NAME, "-j"),
        (ids.JOB_NAME, "x" * 64),
        (ids.TUNING_JOB_NAME, "y" * 33),
        (ids.SECURITY_GROUP_ID, "sg-" + "a" * 30),  # longer than botocore's 32
        (ids.SUBNET_ID, "subnet-" + "b" * 26),
        (ids.KMS_KEY_REFERENCE, "alias/with space"),
        (ids.KMS_KEY_REFERENCE, "k" * 2049),
    ],
)
def test_id_patterns_refuse_what_botocore_refuses(ours: re.Pattern[str], value: str) -> None:
    assert not ours.fullmatch(value)


def test_every_training_instance_type_is_an_instance_type() -> None:
    """A request naming any type the API accepts must never be refused at the boundary."""
    model = _loader().load_service_model("sagemaker", "service-2")
    enum = model["shapes"]["TrainingInstanceType"]["enum"]
    assert enum
    assert [t for t in enum if not ids.INSTANCE_TYPE.fullmatch(t)] == []


# --- no partition written into the code --------------------------------------------

_LITERALS = re.compile(r"arn:aws|com\.amazonaws\.")


def _sources() -> list[Path]:
    return sorted(
        [*(ROOT / "layers/guard/training_guard").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    )


def test_the_sources_are_found() -> None:
    names = {p.name for p in _sources()}
    assert {"identifiers.py", "jobs.py", "app.py"} <= names


def test_no_partition_or_endpoint_literal_in_the_code() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if _LITERALS.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        (
            "arn:aws:iam::123456789012:role/service-role/Guard",
            "arn:aws:iam::123456789012:role/Guard",
            True,
        ),
        ("arn:aws:iam::123456789012:role/Guard", "arn:aws:iam::123456789012:role/Guard", True),
        ("arn:aws:iam::123456789012:role/Other", "arn:aws:iam::123456789012:role/Guard", False),
        ("arn:aws:iam::210987654321:role/Guard", "arn:aws:iam::123456789012:role/Guard", False),
        ("arn:aws:iam::123456789012:user/Guard", "arn:aws:iam::123456789012:role/Guard", False),
    ],
)
def test_same_role_ignores_the_path_a_session_issuer_keeps(
    one: str, other: str, same: bool
) -> None:
    assert ids.same_role(one, other) is same
