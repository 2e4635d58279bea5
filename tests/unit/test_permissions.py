"""template.yaml grants each function exactly what its code declares, scoped tightly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from training_guard.controls import GROUP_CONTROLS, JOB_CONTROLS, Remediation
from training_guard.effects.loaders import FACT_PERMISSIONS
from training_guard.permissions import (
    REMEDIATION_PERMISSIONS,
    job_guard_permissions,
    sg_guard_permissions,
)

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
# EC2's Describe* calls and SageMaker's List* calls support no resource-level permissions.
UNSCOPABLE = {
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "sagemaker:ListTrainingJobs",
}
MUTATING_EC2 = {
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
}
FUNCTIONS = {"JobGuardFunction": job_guard_permissions, "SgGuardFunction": sg_guard_permissions}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document, problems = decode_str(TEMPLATE_PATH.read_text())
    assert not problems
    return document  # type: ignore[no-any-return]


def statements(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    policies = template["Resources"][function]["Properties"]["Policies"]
    return [s for policy in policies for s in policy["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_every_remediation_but_report_declares_permissions() -> None:
    for control in JOB_CONTROLS + GROUP_CONTROLS:
        assert all(FACT_PERMISSIONS[f] for f in control.needs), control.id
        declared = REMEDIATION_PERMISSIONS[control.remediation]
        assert bool(declared) is (control.remediation is not Remediation.REPORT), control.id


@pytest.mark.parametrize("function", FUNCTIONS)
def test_granted_exactly_what_the_code_declares(template: dict[str, Any], function: str) -> None:
    granted = {a for s in statements(template, function) for a in actions(s)}
    assert granted == FUNCTIONS[function]()


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_wildcards_and_resources_scoped(template: dict[str, Any], function: str) -> None:
    for statement in statements(template, function):
        assert statement["Effect"] == "Allow"
        assert not any("*" in a for a in actions(statement)), statement
        if statement["Resource"] == "*":
            assert set(actions(statement)) <= UNSCOPABLE, statement
            assert "aws:RequestedRegion" in str(statement.get("Condition")), statement


@pytest.mark.parametrize("function", FUNCTIONS)
def test_groups_are_changed_only_when_guarded(template: dict[str, Any], function: str) -> None:
    mutating = [s for s in statements(template, function) if set(actions(s)) & MUTATING_EC2]
    assert mutating
    for statement in mutating:
        assert statement["Condition"]["StringEquals"] == {
            "aws:ResourceTag/training-guard:guarded": "true"
        }
    (tagging,) = [s for s in statements(template, function) if "ec2:CreateTags" in actions(s)]
    assert tagging["Condition"]["StringEquals"] == {"aws:RequestTag/training-guard:guarded": "true"}
    # An exempt group, or one marked guarded=false, cannot be taken under guard.
    assert tagging["Condition"]["StringNotEquals"] == {
        "aws:ResourceTag/training-guard:exempt": "true",
        "aws:ResourceTag/training-guard:guarded": "false",
    }


def test_public_control_ids() -> None:
    # DESIGN.md's contract: dashboards and subscriptions filter on these ids.
    assert [c.id for c in GROUP_CONTROLS] == [
        "sg-no-public-ingress",
        "sg-ipsec-self-rules",
        "sg-efa-self-rules",
    ]
    assert [c.id for c in JOB_CONTROLS] == [
        "inter-container-encryption",
        "vpc-config",
        "sg-ipsec-self-rules",
        "sg-efa-self-rules",
        "sg-no-public-ingress",
        "subnet-capacity",
        "s3-private-endpoint",
        "output-kms",
        "volume-kms",
        "kms-customer-managed",
        "kms-deploy-accounts",
        "network-isolation",
    ]
