"""The `training-guard` command: one subcommand per verb, one small handler each.

A handler takes the parsed arguments and returns the exit status; a new verb is one more
`add_parser` and its handler. The Lambda layer ships this module, so nothing imported
here at module level may pull in boto3: a verb that calls AWS imports it in its handler.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence

from training_guard import __version__
from training_guard.config import Policy as GuardPolicy
from training_guard.controls import CONTROLS, CONTROLS_BY_ID, Control, Remediation, Scope
from training_guard.preventive import (
    SIZE_LIMITS,
    PolicyError,
    PolicyKind,
    denying,
    minified,
    preventive_policy,
)
from training_guard.scan import add_scan_arguments, run_scan

Handler = Callable[[argparse.Namespace], int]

USAGE_ERROR = 2  # argparse's own status for a command it cannot run as given


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="training-guard",
        description="Keep SageMaker training jobs encrypted, private and on customer managed keys.",
    )
    command.add_argument("--version", action="version", version=f"training-guard {__version__}")
    verbs = command.add_subparsers(title="commands", metavar="COMMAND")
    _add_scan(verbs)
    _add_explain(verbs)
    _add_policy(verbs)
    return command


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    handler: Handler | None = getattr(arguments, "handler", None)
    if handler is None:
        parser().print_help()
        return 0
    return handler(arguments)


# scan ---------------------------------------------------------------------------------


def _add_scan(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan_parser = verbs.add_parser(
        "scan",
        help="audit the running jobs and guarded security groups of one account and region, "
        "read-only",
    )
    add_scan_arguments(scan_parser)
    scan_parser.set_defaults(handler=scan)


def scan(arguments: argparse.Namespace) -> int:
    return run_scan(arguments, sys.stdout, sys.stderr)


# explain ------------------------------------------------------------------------------


def _add_explain(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explain_parser = verbs.add_parser(
        "explain",
        help="what a control checks, why, how to fix it for good, and what the guard does",
        description="Explain a control: what it checks, why (with the AWS documentation), "
        "how to fix it for good, and what the guard does about it. Without CONTROL, or "
        "with --list, list every control.",
    )
    explain_parser.add_argument("control", nargs="?", metavar="CONTROL", help="a control id")
    explain_parser.add_argument("--list", action="store_true", help="list every control")
    explain_parser.set_defaults(handler=explain)


def explain(arguments: argparse.Namespace) -> int:
    if arguments.list or not arguments.control:
        print(control_list(CONTROLS, _width()))
        return 0
    found = CONTROLS_BY_ID.get(arguments.control)
    if found is None:
        known = ", ".join(CONTROLS_BY_ID)
        _error(f"unknown control {arguments.control!r}. Known controls: {known}")
        return USAGE_ERROR
    print(explanation(found, _width()))
    return 0


def control_list(controls: Iterable[Control], width: int) -> str:
    """One line per control: id, severity, and as much of what it is about as fits."""
    controls = tuple(controls)
    id_width = max(len(c.id) for c in controls)
    severity_width = max(len(c.severity.name) for c in controls)
    lines = []
    for c in controls:
        head = f"{c.id:<{id_width}}  {c.severity.name:<{severity_width}}"
        room = width - len(head) - 2
        about = _what_must_hold(c) or c.why
        # Too narrow a terminal for a useful summary: the id and severity alone.
        summary = textwrap.shorten(about, room, placeholder=" ...") if room >= 16 else ""
        lines.append(f"{head}  {summary}".rstrip())
    return "\n".join(lines)


def explanation(control: Control, width: int) -> str:
    sections = (
        ("Checks", [_what_must_hold(control), _JUDGED[control.scope]]),
        ("Why", [control.why, control.docs]),
        ("Fix for good", [control.fix]),
        ("Prevent it", [_prevention(control)]),
        ("The guard", [_guard_does(control), _reads(control)]),
    )
    lines = [f"{control.id} (severity {control.severity.name})"]
    for title, paragraphs in sections:
        lines += ["", title]
        lines += [_indented(p, width) for p in paragraphs if p]
    return "\n".join(lines)


def _what_must_hold(control: Control) -> str:
    # The check's docstring, where it has one, says what must hold.
    return " ".join((control.check.__doc__ or "").split())


_JUDGED = {
    Scope.JOB: "Judged on each training and hyperparameter tuning job, when it is created "
    "and while it runs.",
    Scope.GROUPS: "Judged on the security groups of a job, all together, when the job starts "
    "and after every change to them.",
}


def _prevention(control: Control) -> str:
    always, with_keys = denying(control.id)
    if always:
        return f"`training-guard policy` denies it at the API: {', '.join(always)}."
    if with_keys:
        return (
            "`training-guard policy --kms-key ARN` (your customer managed keys) denies it at "
            f"the API: {', '.join(with_keys)}."
        )
    return "`training-guard policy` does not cover it."


# Groups are changed only where training alone uses them (effects/interfaces.py).
_SHARED_GROUPS = "a group other resources also use is reported, not changed"
_ACTS = {
    Remediation.STOP_JOB: "stops the job",
    Remediation.ADD_RULES: "adds the missing self-referencing rules to the job's first group "
    f"({_SHARED_GROUPS})",
    Remediation.REVOKE_RULES: f"revokes exactly the public ingress rules ({_SHARED_GROUPS})",
}


def _guard_does(control: Control) -> str:
    severity = control.severity.name
    if control.remediation is Remediation.REPORT:
        return f"Reports a finding of severity {severity}; it never acts on it."
    return (
        f"In enforce mode it {_ACTS[control.remediation]} and notifies; in notify mode it "
        f"only notifies. Severity {severity}. A job or group tagged "
        f"{GuardPolicy.exempt_tag_key}=true (EXEMPT_TAG_KEY) is reported, never touched."
    )


def _reads(control: Control) -> str:
    if not control.needs:
        return "Reads nothing beyond the job's own configuration."
    facts = ", ".join(
        f"{fact.value} ({', '.join(fact.permissions)})"
        for fact in sorted(control.needs, key=lambda f: f.value)
    )
    return f"Reads {facts}."


def _indented(paragraph: str, width: int) -> str:
    # URLs stay whole: a broken link cannot be clicked.
    return textwrap.fill(
        paragraph,
        width=width,
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _width() -> int:
    return max(shutil.get_terminal_size().columns, 40)


# policy -------------------------------------------------------------------------------


def _add_policy(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy_parser = verbs.add_parser(
        "policy",
        help="print the preventive policy that denies what can be denied at the API",
        description="Print a policy that denies sagemaker:CreateTrainingJob and "
        "sagemaker:CreateHyperParameterTuningJob without inter-container traffic "
        "encryption, VPC subnets and security groups, and output and volume KMS keys. "
        "It only denies: an SCP caps what accounts may do, and an identity policy "
        "(--iam) must be combined with a policy that allows creating jobs.",
        epilog="Instance types with local NVMe storage are spared the volume-key denials: "
        "AWS refuses a volume key for them. What no policy can check is the guard's "
        "work (README, Command line).",
    )
    kinds = policy_parser.add_mutually_exclusive_group()
    kinds.add_argument(
        "--scp",
        dest="kind",
        action="store_const",
        const=PolicyKind.SCP,
        help="an AWS Organizations service control policy (the default)",
    )
    kinds.add_argument(
        "--iam",
        dest="kind",
        action="store_const",
        const=PolicyKind.IAM,
        help="an identity policy to attach to the roles that create jobs; it holds only "
        "Deny statements, so combine it with an Allow",
    )
    policy_parser.add_argument(
        "--kms-key",
        dest="kms_keys",
        action="append",
        default=[],
        metavar="ARN",
        help="deny every output and volume key but this KMS key ARN (repeatable; "
        "wildcards as in arn:*:kms:*:111122223333:key/*)",
    )
    policy_parser.add_argument(
        "--region",
        dest="regions",
        action="append",
        default=[],
        metavar="R",
        help="deny only requests made in this region (aws:RequestedRegion; repeatable); "
        "every region by default",
    )
    policy_parser.add_argument(
        "--compact",
        action="store_true",
        help="print the JSON minified: the AWS CLI and SDKs count white space against "
        f"the {SIZE_LIMITS[PolicyKind.SCP]:,}-character SCP limit",
    )
    policy_parser.set_defaults(handler=policy, kind=PolicyKind.SCP)


def policy(arguments: argparse.Namespace) -> int:
    try:
        document = preventive_policy(arguments.kind, arguments.kms_keys, arguments.regions)
    except PolicyError as refused:
        _error(str(refused))
        return USAGE_ERROR
    if arguments.compact:
        print(minified(document))
    else:
        print(json.dumps(document, indent=2))
    return 0


def _error(message: str) -> None:
    print(f"training-guard: {message}", file=sys.stderr)
