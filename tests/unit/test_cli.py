"""The console script: `--version`, `explain` and `policy`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import training_guard
from training_guard.cli import main
from training_guard.controls import CONTROLS, Control
from training_guard.preventive import PolicyKind, minified, preventive_policy


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


# --- no command ------------------------------------------------------------------------


def test_without_a_command_it_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: training-guard")
    assert "explain" in out
    assert "policy" in out


def test_the_module_imports_no_aws_sdk() -> None:
    # The Lambda layer ships the package: the command's imports must not cost a handler
    # the SDK's import time.
    probe = "import sys, training_guard.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- explain ---------------------------------------------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c.id)
def test_explain_reads_everything_from_the_control(
    control: Control, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", control.id]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{control.id} (severity {control.severity.name})"
    for section in ("Checks", "Why", "Fix for good", "Prevent it", "The guard"):
        assert section in out.splitlines()
    assert flat(control.why) in flat(out)
    assert flat(control.fix) in flat(out)
    assert control.docs in out.split()
    for fact in control.needs:
        assert fact.value in out
        for permission in fact.permissions:
            assert permission in out


@pytest.mark.parametrize(
    ("control_id", "does"),
    [
        ("inter-container-encryption", "In enforce mode it stops the job"),
        ("sg-ipsec-self-rules", "In enforce mode it adds the missing self-referencing rules"),
        ("sg-no-public-ingress", "In enforce mode it revokes exactly the public ingress rules"),
        ("subnet-capacity", "Reports a finding of severity MEDIUM; it never acts on it."),
    ],
)
def test_explain_says_what_the_guard_does(
    control_id: str, does: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["explain", control_id])
    assert does in flat(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("control_id", "prevention"),
    [
        ("output-kms", "`training-guard policy` denies it at the API: DenyMissingOutputKmsKey."),
        (
            "vpc-config",
            "denies it at the API: DenyMissingVpcSubnets, DenyMissingVpcSecurityGroups.",
        ),
        (
            "kms-customer-managed",
            "`training-guard policy --kms-key ARN` (your customer managed keys) denies it",
        ),
        ("sg-no-public-ingress", "`training-guard policy` does not cover it."),
    ],
)
def test_explain_names_the_policy_statements_that_prevent_it(
    control_id: str, prevention: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["explain", control_id])
    assert prevention in flat(capsys.readouterr().out)


@pytest.mark.parametrize("argv", [["explain"], ["explain", "--list"]])
def test_explain_lists_every_control_one_line_each(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [[c.id, c.severity.name] for c in CONTROLS]


def test_explain_an_unknown_control_lists_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "no-such-control"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown control 'no-such-control'" in captured.err
    for control in CONTROLS:
        assert control.id in captured.err


@pytest.mark.parametrize("columns", [50, 72, 120])
def test_explain_wraps_to_the_terminal_width(
    columns: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    for argv in (["explain", "kms-deploy-accounts"], ["explain", "--list"]):
        main(argv)
        for line in capsys.readouterr().out.splitlines():
            # A link stays whole, on a line of its own.
            assert len(line) <= columns or line.split() == [line.strip()], line


# --- policy ----------------------------------------------------------------------------

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_policy_prints_the_service_control_policy_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["policy"]) == 0
    out = capsys.readouterr().out
    assert out == json.dumps(preventive_policy(PolicyKind.SCP), indent=2) + "\n"


@pytest.mark.parametrize(
    ("argv", "kind", "keys", "regions"),
    [
        (["--scp"], PolicyKind.SCP, [], []),
        (["--iam"], PolicyKind.IAM, [], []),
        (["--kms-key", KEY], PolicyKind.SCP, [KEY], []),
        (
            ["--iam", "--kms-key", KEY, "--kms-key", "arn:*:kms:*:111122223333:key/*"],
            PolicyKind.IAM,
            [KEY, "arn:*:kms:*:111122223333:key/*"],
            [],
        ),
        (
            ["--region", "eu-west-1", "--region", "us-east-1"],
            PolicyKind.SCP,
            [],
            ["eu-west-1", "us-east-1"],
        ),
    ],
)
def test_policy_options(
    argv: list[str],
    kind: PolicyKind,
    keys: list[str],
    regions: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["policy", *argv]) == 0
    assert json.loads(capsys.readouterr().out) == preventive_policy(kind, keys, regions)


def test_policy_compact_prints_the_minified_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--compact", "--kms-key", KEY]) == 0
    out = capsys.readouterr().out
    assert out == minified(preventive_policy(kms_keys=[KEY])) + "\n"


def test_policy_refuses_a_key_alias(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "--kms-key", "alias/training"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "'alias/training' is not a KMS key ARN" in captured.err


def test_policy_takes_one_kind(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["policy", "--scp", "--iam"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_policy_help_says_an_identity_policy_needs_an_allow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["policy", "--help"])
    help_text = flat(capsys.readouterr().out)
    assert "must be combined with a policy that allows creating jobs" in help_text
    assert "combine it with an Allow" in help_text


def test_installed_console_script_prints_a_policy() -> None:
    script = Path(sys.executable).parent / "training-guard"
    result = subprocess.run([script, "policy", "--iam"], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == preventive_policy(PolicyKind.IAM)
