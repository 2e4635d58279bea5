"""What the first event does not need is not imported: with tracing off, the X-Ray SDK
(about a fifth of a second of CPU, a second at 256 MB) stays out of every handler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from training_guard.observability import tracing_enabled

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = ["job_guard", "sg_guard", "sweeper", "slack_notifier"]


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_handler_without_tracing_never_imports_the_xray_sdk(handler: str) -> None:
    probe = (
        f"import functions.{handler}.app, sys; "
        "print(any(m.startswith('aws_xray_sdk') for m in sys.modules))"
    )
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def test_tracing_follows_powertools_switch() -> None:
    assert tracing_enabled({}) is True
    assert tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "true"}) is False
    assert tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "1"}) is False
    assert tracing_enabled({"POWERTOOLS_TRACE_DISABLED": "false"}) is True
