"""The instance table against its authorities: the TrainingInstanceType enum of the pinned
botocore says which types must be there, EC2's DescribeInstanceTypes (as moto records it)
says what each one is."""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from training_guard.facts.instances import (
    TRAINING_INSTANCES,
    InstanceProfile,
    ec2_type_name,
    profile_from_ec2,
    profile_from_table,
)

# Classified from AWS documentation, cited in facts/instances.py: EC2 retired P2 and P3,
# and offers P6e-GB200 only as UltraServers, so the recording lacks them.
DOCUMENTED_ONLY = {
    "ml.p2.xlarge", "ml.p2.8xlarge", "ml.p2.16xlarge",
    "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p3.16xlarge",
    "ml.p6e-gb200.36xlarge",
}  # fmt: skip


def training_instance_types() -> set[str]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return set(model.shape_for("TrainingInstanceType").enum)


@cache
def ec2_recording() -> dict[str, Any]:
    """moto's recording of EC2 DescribeInstanceTypes, by EC2 type name."""
    spec = find_spec("moto")
    assert spec is not None
    assert spec.origin is not None
    path = Path(spec.origin).parent / "ec2" / "resources" / "instance_types.json.gz"
    with gzip.open(path, "rt") as f:
        recording: dict[str, Any] = json.load(f)
    return recording


def test_every_training_instance_type_is_classified() -> None:
    enum = training_instance_types()
    assert not enum - TRAINING_INSTANCES.keys(), "new in botocore: classify these from EC2"
    assert not TRAINING_INSTANCES.keys() - enum, "gone from botocore: drop these"


def test_table_agrees_with_ec2() -> None:
    recording = ec2_recording()
    disagreements = {}
    for ml_type, facts in TRAINING_INSTANCES.items():
        name = ec2_type_name(ml_type)
        assert name is not None
        if name in recording:
            ec2 = profile_from_ec2(recording[name])
            if facts != (ec2.local_storage, ec2.efa):
                disagreements[ml_type] = {"table": facts, "ec2": (ec2.local_storage, ec2.efa)}
    assert disagreements == {}


def test_only_the_documented_types_are_classified_without_ec2() -> None:
    recording = ec2_recording()
    unrecorded = {t for t in TRAINING_INSTANCES if ec2_type_name(t) not in recording}
    assert unrecorded == DOCUMENTED_ONLY


@pytest.mark.parametrize(
    ("instance_type", "local_storage", "efa"),
    [
        ("ml.g7e.2xlarge", True, False),
        ("ml.g7e.4xlarge", True, False),
        ("ml.g7e.8xlarge", True, True),
        ("ml.g7e.12xlarge", True, True),
        ("ml.g7e.24xlarge", True, True),
        ("ml.g7e.48xlarge", True, True),
        ("ml.p6-b300.48xlarge", True, True),
        ("ml.p6e-gb200.36xlarge", True, True),
        ("ml.p4d.24xlarge", True, True),
        ("ml.p5.48xlarge", True, True),
        ("ml.p5.4xlarge", True, True),
        ("ml.trn1.2xlarge", True, False),
        ("ml.m5.xlarge", False, False),
        ("ml.p3.16xlarge", False, False),
        ("ml.c5n.18xlarge", False, True),
        ("ml.m7i.48xlarge", False, True),
    ],
)
def test_spot_checks(instance_type: str, local_storage: bool, efa: bool) -> None:
    assert profile_from_table(instance_type) == InstanceProfile(
        instance_type, local_storage, efa, "table"
    )


def test_a_type_missing_from_the_table_has_no_profile() -> None:
    assert profile_from_table("ml.c6id.32xlarge") is None
    assert profile_from_table("p4d.24xlarge") is None


# One InstanceTypes[] item of DescribeInstanceTypes, trimmed from the recorded answer.
G7E_8XLARGE = {
    "InstanceType": "g7e.8xlarge",
    "CurrentGeneration": True,
    "SupportedUsageClasses": ["on-demand", "spot"],
    "ProcessorInfo": {"SupportedArchitectures": ["x86_64"], "Manufacturer": "Intel"},
    "VCpuInfo": {"DefaultVCpus": 32},
    "MemoryInfo": {"SizeInMiB": 262144},
    "InstanceStorageSupported": True,
    "InstanceStorageInfo": {
        "TotalSizeInGB": 1900,
        "Disks": [{"SizeInGB": 1900, "Count": 1, "Type": "ssd"}],
        "NvmeSupport": "required",
        "EncryptionSupport": "required",
    },
    "EbsInfo": {"EbsOptimizedSupport": "default", "EncryptionSupport": "supported"},
    "NetworkInfo": {
        "NetworkPerformance": "100 Gigabit",
        "MaximumNetworkInterfaces": 8,
        "EnaSupport": "required",
        "EfaSupported": True,
        "EfaInfo": {"MaximumEfaInterfaces": 1},
    },
    "GpuInfo": {"Gpus": [{"Name": "RTX PRO Server 6000", "Manufacturer": "NVIDIA", "Count": 1}]},
    "Hypervisor": "nitro",
}


def test_profile_from_ec2_names_the_type_as_sagemaker_does() -> None:
    assert profile_from_ec2(G7E_8XLARGE) == InstanceProfile("ml.g7e.8xlarge", True, True, "ec2")


def test_profile_from_ec2_agrees_with_the_recorded_answer() -> None:
    assert profile_from_ec2(ec2_recording()["c6id.32xlarge"]) == InstanceProfile(
        "ml.c6id.32xlarge", True, True, "ec2"
    )


FULL = {
    "InstanceType": "x9.large",
    "InstanceStorageSupported": False,
    "NetworkInfo": {"EfaSupported": False},
}


@pytest.mark.parametrize(
    "item",
    [
        {"InstanceType": "x9.large"},
        {**FULL, "InstanceStorageSupported": "true"},
        {**FULL, "NetworkInfo": None},
        {**FULL, "NetworkInfo": {"EfaSupported": 1}},
        {**FULL, "NetworkInfo": {}},
        {key: value for key, value in FULL.items() if key != "InstanceStorageSupported"},
        {},
        {**FULL, "InstanceType": ""},
        {**FULL, "InstanceType": 7},
    ],
)
def test_profile_from_ec2_is_unknown_unless_ec2_says_both_facts(item: dict[str, Any]) -> None:
    # An absent fact is not read as "no": nothing is concluded from what EC2 did not say.
    assert profile_from_ec2(item) is None


@pytest.mark.parametrize(
    ("local_storage", "efa"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_profile_from_ec2_reads_explicit_booleans(local_storage: bool, efa: bool) -> None:
    item = {**FULL, "InstanceStorageSupported": local_storage, "NetworkInfo": {"EfaSupported": efa}}
    assert profile_from_ec2(item) == InstanceProfile("ml.x9.large", local_storage, efa, "ec2")


@pytest.mark.parametrize(
    ("ml_type", "ec2_type"),
    [
        ("ml.p4d.24xlarge", "p4d.24xlarge"),
        ("ml.p6-b200.48xlarge", "p6-b200.48xlarge"),
        ("ml.p6e-gb200.36xlarge", "p6e-gb200.36xlarge"),
        ("ml.t3.medium", "t3.medium"),
        ("ml.c8gn.metal-48xl", "c8gn.metal-48xl"),
        ("p4d.24xlarge", None),
        ("ml.p4d", None),
        ("ml.p4d.", None),
        ("ml..24xlarge", None),
        ("ml.p4d.24xlarge.extra", None),
        ("ml.p4d.24xlarge ", None),
        ("ML.P4D.24XLARGE", None),
        ("ml.p4d.24xlarge\n", None),
        ("ml.-p4d.24xlarge", None),
        ("", None),
        ("ml.", None),
    ],
)
def test_ec2_type_name(ml_type: str, ec2_type: str | None) -> None:
    assert ec2_type_name(ml_type) == ec2_type
