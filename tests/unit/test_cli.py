"""The console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import training_guard
from training_guard.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"training-guard {training_guard.__version__}"


def test_installed_console_script() -> None:
    script = Path(sys.executable).parent / "training-guard"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"training-guard {training_guard.__version__}"


def test_public_surface() -> None:
    assert sorted(training_guard.__all__) == [
        "Action", "ActionKind", "Finding", "GuardMode", "Policy", "Severity", "Summary", "__version__",
    ]  # fmt: skip
    for name in training_guard.__all__:
        assert hasattr(training_guard, name)
