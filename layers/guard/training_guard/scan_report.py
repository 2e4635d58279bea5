"""What `training-guard scan` prints: its findings and the formats it prints them in
(a table for people, JSON, CSV, and AWS Security Finding Format for Security Hub).
Pure: no AWS call, nothing but the findings and the control table."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from training_guard.controls import CONTROLS_BY_ID
from training_guard.facts.identifiers import arn_field
from training_guard.model import Severity

FIELDS = ("control", "resource", "severity", "message")


@dataclass(frozen=True)
class ScanFinding:
    """One finding of the audit, as --format json prints it."""

    control: str
    resource: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "control": self.control,
            "resource": self.resource,
            "severity": self.severity.name,
            "message": self.message,
        }


@dataclass(frozen=True)
class Audit:
    findings: tuple[ScanFinding, ...]
    jobs: int  # running jobs judged
    groups: int  # guarded groups judged
    with_record: bool  # groups judged with the guard's record of the jobs using them


def ordered(findings: Iterable[ScanFinding]) -> list[ScanFinding]:
    """Worst first, then by resource and control: the order every format prints."""
    return sorted(findings, key=lambda f: (-f.severity.value, f.resource, f.control, f.message))


# --- formats ------------------------------------------------------------------------


def render(
    result: Audit, fmt: str, *, width: int | None = None, now: datetime | None = None
) -> str:
    if fmt == "json":
        return as_json(result.findings)
    if fmt == "csv":
        return as_csv(result.findings)
    if fmt == "asff":
        return json.dumps(as_asff(result.findings, now or datetime.now(UTC)), indent=2) + "\n"
    return as_table(result, width or terminal_width())


def as_json(findings: Iterable[ScanFinding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2) + "\n"


def as_csv(findings: Iterable[ScanFinding]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(f.to_dict() for f in findings)
    return out.getvalue()


# Narrower than this, a message is printed under its finding rather than beside it.
_MIN_MESSAGE_WIDTH = 32
_MAX_RESOURCE_WIDTH = 48
_GAP = "  "
_HEADERS = ("SEVERITY", "CONTROL", "RESOURCE", "MESSAGE")


def as_table(result: Audit, width: int) -> str:
    """Worst first; each message wrapped beside its finding, or under it on a narrow
    terminal; then a summary line."""
    lines = _rows(result.findings, width) if result.findings else []
    if lines:
        lines.append("")
    for paragraph in (summary(result), note(result)):
        lines.extend(textwrap.wrap(paragraph, max(width, _MIN_MESSAGE_WIDTH)))
    return "\n".join(lines) + "\n"


def _rows(findings: Sequence[ScanFinding], width: int) -> list[str]:
    cells = [(f.severity.name, f.control, _short(f.resource), f.message) for f in findings]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(_HEADERS[:3])]
    narrow = [*widths[:2], min(widths[2], _MAX_RESOURCE_WIDTH)]
    indent = sum(narrow) + len(_GAP) * 3
    if width - indent >= _MIN_MESSAGE_WIDTH:
        return _beside(cells, narrow, width - indent)
    return _stacked(cells, widths, width)


def _beside(cells: Sequence[Sequence[str]], widths: Sequence[int], room: int) -> list[str]:
    indent = " " * (sum(widths) + len(_GAP) * 3)
    lines = [_columns(_HEADERS, widths)]
    for *first, message in cells:
        wrapped = textwrap.wrap(message, room) or [""]
        lines.append(_columns([*first, wrapped[0]], widths))
        lines.extend(indent + more for more in wrapped[1:])
    return lines


def _stacked(cells: Sequence[Sequence[str]], widths: Sequence[int], width: int) -> list[str]:
    indent = " " * 4
    lines = [_columns(_HEADERS[:3], widths)]
    for *first, message in cells:
        lines.append(_columns(first, widths))
        lines.extend(
            textwrap.wrap(
                message,
                max(width, _MIN_MESSAGE_WIDTH),
                initial_indent=indent,
                subsequent_indent=indent,
            )
        )
    return lines


def _columns(values: Sequence[str], widths: Sequence[int]) -> str:
    """Fixed-width cells (too long ones cut), and the last cell as it is."""
    fixed = [_fit(v, w).ljust(w) for v, w in zip(values, widths, strict=False)]
    return _GAP.join(fixed + list(values[len(widths) :])).rstrip()


def summary(result: Audit) -> str:
    scope = (
        f"{_count(result.jobs, 'running job')} and "
        f"{_count(result.groups, 'guarded security group')}"
    )
    if not result.findings:
        line = f"No findings in {scope}."
    else:
        by_severity = Counter(f.severity for f in result.findings)
        counts = ", ".join(f"{by_severity[s]} {s.name}" for s in sorted(by_severity, reverse=True))
        line = f"{_count(len(result.findings), 'finding')} ({counts}) in {scope}."
    return line


def note(result: Audit) -> str:
    """What the audit could not judge, or ""."""
    if result.groups and not result.with_record:
        return (
            "Guarded groups were judged without the guard's record (no --table or "
            "STATE_TABLE_NAME): for public ingress only."
        )
    return ""


# AWS Security Finding Format (Security Hub API reference, AwsSecurityFinding).
ASFF_SCHEMA_VERSION = "2018-10-08"
ASFF_TYPES = ("Software and Configuration Checks/AWS Security Best Practices",)
ASFF_LIMITS = {"Id": 512, "GeneratorId": 512, "Title": 256, "Description": 1024, "Text": 512}
# The partitions ASFF's Resource.Partition takes; others leave it out.
ASFF_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov"})
# ASFF has resource types with details for EC2 security groups, none for SageMaker jobs.
_ASFF_RESOURCE_TYPES = {("ec2", "security-group"): "AwsEc2SecurityGroup"}


def as_asff(findings: Iterable[ScanFinding], now: datetime) -> list[dict[str, Any]]:
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return [_asff(f, stamp) for f in findings]


def _asff(found: ScanFinding, stamp: str) -> dict[str, Any]:
    partition = arn_field(found.resource, 1) or "aws"
    region = arn_field(found.resource, 3) or ""
    account = arn_field(found.resource, 4) or ""
    control = CONTROLS_BY_ID.get(found.control)
    resource: dict[str, Any] = {"Type": asff_resource_type(found.resource), "Id": found.resource}
    if partition in ASFF_PARTITIONS:
        resource["Partition"] = partition
    if region:
        resource["Region"] = region
    document: dict[str, Any] = {
        "SchemaVersion": ASFF_SCHEMA_VERSION,
        "Id": _asff_id(found),
        "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": _clip(f"training-guard/{found.control}", ASFF_LIMITS["GeneratorId"]),
        "AwsAccountId": account,
        "Types": list(ASFF_TYPES),
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": found.severity.name},
        "Title": _clip(f"Training Guard {found.control}: {_short(found.resource)}", 256),
        "Description": _clip(found.message, ASFF_LIMITS["Description"]),
        "Resources": [resource],
    }
    if control is not None:
        document["Remediation"] = {
            "Recommendation": {"Text": _clip(control.fix, ASFF_LIMITS["Text"]), "Url": control.docs}
        }
    return document


def asff_resource_type(resource: str) -> str:
    service = arn_field(resource, 2) or ""
    kind = (arn_field(resource, 5) or "").split("/", 1)[0]
    return _ASFF_RESOURCE_TYPES.get((service, kind), "Other")


def _asff_id(found: ScanFinding) -> str:
    """Stable while the problem is the same, so Security Hub updates rather than adds."""
    digest = hashlib.sha256(found.message.encode()).hexdigest()[:16]
    whole = f"training-guard/{found.control}/{found.resource}/{digest}"
    if len(whole) <= ASFF_LIMITS["Id"]:
        return whole
    return f"training-guard/{found.control}/{hashlib.sha256(whole.encode()).hexdigest()}"


# --- text helpers -------------------------------------------------------------------


def _short(resource: str) -> str:
    """`training-job/name`, `security-group/sg-...`: the ARN's resource part."""
    return arn_field(resource, 5) or resource


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def _clip(text: str, limit: int) -> str:
    return _fit(text, limit)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


__all__ = [
    "FIELDS",
    "Audit",
    "ScanFinding",
    "as_asff",
    "as_csv",
    "as_json",
    "as_table",
    "ordered",
    "render",
    "terminal_width",
]
