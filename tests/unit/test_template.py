"""template.yaml passes cfn-lint (the same rules `sam validate --lint` applies)."""

from __future__ import annotations

from pathlib import Path

import cfnlint.api

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"


def test_template_passes_cfn_lint() -> None:
    matches = cfnlint.api.lint_file(TEMPLATE_PATH)
    assert [str(m) for m in matches] == []
