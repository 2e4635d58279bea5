"""template.yaml grants each function exactly what its code declares, scoped tightly,
and in notify mode nothing that writes to a job or a security group."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from training_guard.config import GuardMode
from training_guard.controls import CONTROLS, Remediation
from training_guard.permissions import (
    job_guard_permissions,
    sg_guard_permissions,
    sweeper_permissions,
)

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
# EC2's Describe* calls support no resource-level permissions.
UNSCOPABLE = {
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeNetworkInterfaces",
    # List calls name no resource.
    "sagemaker:ListTrainingJobs",
    "sagemaker:ListHyperParameterTuningJobs",
}
MUTATING_EC2 = {
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
}
# What only enforce mode needs: writes, and the read that precedes a group change.
WRITES = MUTATING_EC2 | {
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "sagemaker:StopTrainingJob",
    "sagemaker:StopHyperParameterTuningJob",
}
FUNCTIONS = {
    "JobGuardFunction": job_guard_permissions,
    "SgGuardFunction": sg_guard_permissions,
    "SweeperFunction": sweeper_permissions,
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    document, problems = decode_str(TEMPLATE_PATH.read_text())
    assert not problems
    return document  # type: ignore[no-any-return]


def resolve(value: Any, conditions: dict[str, bool]) -> Any:
    """Fn::If and AWS::NoValue as CloudFormation resolves them for these conditions."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        return resolve(when_true if conditions[name] else when_false, conditions)
    if isinstance(value, dict) and value == {"Ref": "AWS::NoValue"}:
        return None
    if isinstance(value, dict):
        return {
            k: v
            for k, v in ((k, resolve(v, conditions)) for k, v in value.items())
            if v is not None
        }
    if isinstance(value, list):
        return [v for v in (resolve(v, conditions) for v in value) if v is not None]
    return value


def statements(template: dict[str, Any], function: str, mode: GuardMode) -> list[dict[str, Any]]:
    conditions = {"IsEnforce": mode is GuardMode.ENFORCE}
    policies = resolve(template["Resources"][function]["Properties"]["Policies"], conditions)
    documents = [
        # A managed policy of the template's own, attached by Ref.
        resolve(template["Resources"][p["Ref"]]["Properties"]["PolicyDocument"], conditions)
        if set(p) == {"Ref"}
        else p
        for p in policies
    ]
    return [s for document in documents for s in document["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_every_control_declares_its_permissions() -> None:
    for control in CONTROLS:
        assert all(fact.permissions for fact in control.needs), control.id
        assert bool(control.write_permissions) is (control.remediation is not Remediation.REPORT), (
            control.id
        )
        assert control.write_permissions <= WRITES, control.id


@pytest.mark.parametrize("mode", list(GuardMode))
@pytest.mark.parametrize("function", FUNCTIONS)
def test_granted_exactly_what_the_code_declares(
    template: dict[str, Any], function: str, mode: GuardMode
) -> None:
    granted = {a for s in statements(template, function, mode) for a in actions(s)}
    assert granted == FUNCTIONS[function](mode)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_notify_mode_grants_no_write(template: dict[str, Any], function: str) -> None:
    granted = {a for s in statements(template, function, GuardMode.NOTIFY) for a in actions(s)}
    assert not granted & WRITES
    enforcing = {a for s in statements(template, function, GuardMode.ENFORCE) for a in actions(s)}
    assert enforcing & WRITES


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_wildcards_and_resources_scoped(template: dict[str, Any], function: str) -> None:
    for statement in statements(template, function, GuardMode.ENFORCE):
        assert statement["Effect"] == "Allow"
        assert not any("*" in a for a in actions(statement)), statement
        if statement["Resource"] == "*":
            assert set(actions(statement)) <= UNSCOPABLE, statement
            assert "aws:RequestedRegion" in str(statement.get("Condition")), statement


@pytest.mark.parametrize("function", FUNCTIONS)
def test_groups_are_changed_only_when_guarded(template: dict[str, Any], function: str) -> None:
    all_statements = statements(template, function, GuardMode.ENFORCE)
    mutating = [s for s in all_statements if set(actions(s)) & MUTATING_EC2]
    assert mutating
    for statement in mutating:
        assert statement["Condition"]["StringEquals"] == {
            "aws:ResourceTag/training-guard:guarded": "true"
        }
    (tagging,) = [s for s in all_statements if "ec2:CreateTags" in actions(s)]
    assert tagging["Condition"]["StringEquals"] == {"aws:RequestTag/training-guard:guarded": "true"}
    # An exempt group, or one marked guarded=false, cannot be taken under guard, and the
    # guard writes its one marker tag and nothing else.
    assert tagging["Condition"]["StringNotEquals"] == {
        "aws:ResourceTag/training-guard:exempt": "true",
        "aws:ResourceTag/training-guard:guarded": "false",
    }
    assert tagging["Condition"]["ForAllValues:StringEquals"] == {
        "aws:TagKeys": ["training-guard:guarded"]
    }


def test_public_control_ids() -> None:
    # DESIGN.md's contract: dashboards and subscriptions filter on these ids.
    assert [c.id for c in CONTROLS] == [
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


def test_state_change_rules_see_jobs_end(template: dict[str, Any]) -> None:
    events = template["Resources"]["JobGuardFunction"]["Properties"]["Events"]
    training = events["TrainingJobStateChange"]["Properties"]["Pattern"]["detail"][
        "TrainingJobStatus"
    ]
    tuning = events["TuningJobStateChange"]["Properties"]["Pattern"]["detail"][
        "HyperParameterTuningJobStatus"
    ]
    for statuses in (training, tuning):
        assert set(statuses) == {"InProgress", "Completed", "Failed", "Stopped"}
