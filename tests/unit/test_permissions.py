"""template.yaml grants each function exactly what its code declares, scoped tightly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from training_guard.controls import GROUP_CONTROLS, JOB_CONTROLS
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


def test_every_fact_and_remediation_declares_permissions() -> None:
    assert all(FACT_PERMISSIONS[f] for c in JOB_CONTROLS for f in c.needs)
    assert all(
        REMEDIATION_PERMISSIONS[c.remediation] or c.remediation.value == "report"
        for c in JOB_CONTROLS
    )


def test_job_guard_is_granted_exactly_what_its_code_declares(template: dict[str, Any]) -> None:
    granted = {a for s in statements(template, "JobGuardFunction") for a in actions(s)}
    assert granted == job_guard_permissions()


def test_no_wildcards_and_resources_scoped(template: dict[str, Any]) -> None:
    for statement in statements(template, "JobGuardFunction"):
        assert statement["Effect"] == "Allow"
        assert not any("*" in a for a in actions(statement)), statement
        if statement["Resource"] == "*":
            assert set(actions(statement)) <= UNSCOPABLE, statement
            assert "aws:RequestedRegion" in str(statement.get("Condition")), statement


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
        "subnet-capacity",
        "s3-private-endpoint",
        "output-kms",
        "volume-kms",
        "kms-customer-managed",
        "kms-deploy-accounts",
        "network-isolation",
    ]
