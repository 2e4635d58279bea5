"""template.yaml passes cfn-lint (the same rules `sam validate --lint` applies), and the
slack_notifier function is granted exactly what its code declares, on its own secret and
table only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cfnlint.api
from cfnlint.decode import decode_str

from training_guard.permissions import slack_notifier_permissions

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


def test_template_passes_cfn_lint() -> None:
    matches = cfnlint.api.lint_file(TEMPLATE_PATH)
    assert [str(m) for m in matches] == []


def test_slack_notifier_granted_exactly_what_its_code_declares() -> None:
    template, problems = decode_str(TEMPLATE_PATH.read_text())
    assert not problems
    policies: list[dict[str, Any]] = template["Resources"]["SlackNotifierFunction"]["Properties"][
        "Policies"
    ]
    statements = [s for policy in policies for s in policy["Statement"]]
    granted = {s["Action"]: s["Resource"] for s in statements}
    assert set(granted) == slack_notifier_permissions()
    assert granted["secretsmanager:GetSecretValue"] == {"Ref": "SlackWebhookSecretArn"}
    assert granted["dynamodb:UpdateItem"] == {"Fn::GetAtt": ["StateTable", "Arn"]}
