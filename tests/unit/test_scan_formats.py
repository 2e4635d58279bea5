"""What `training-guard scan` prints: the table, JSON, CSV and ASFF, and its options.

ASFF is held to Security Hub's own definitions: botocore's model of BatchImportFindings
(the shapes, types and required members, as the client validates them before sending),
and the AWS Security Hub user guide, "Required top-level ASFF attributes": AwsAccountId,
CreatedAt, Description, GeneratorId, Id, ProductArn, Resources, SchemaVersion, Severity,
Title, Types and UpdatedAt; with the API reference's limits (AwsSecurityFinding): Id and
GeneratorId at most 512 characters, Title 256, Description 1,024, AwsAccountId 12,
ProductArn 12 to 2,048, Resources 1 to 32 items (Type at most 256, Region at most 16),
Types at most 50 in the form namespace/category/classifier with namespace one of
"Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors" or
"Sensitive Data Identifications"; Recommendation.Text at most 512; timestamps such as
2019-01-31T23:00:00.123Z; Severity.Label one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL;
Resource.Partition one of aws, aws-cn, aws-us-gov.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from training_guard.controls import CONTROLS
from training_guard.model import Severity
from training_guard.scan import EXIT_USAGE, Progress, add_scan_arguments
from training_guard.scan_report import (
    FIELDS,
    Audit,
    ScanFinding,
    as_asff,
    as_csv,
    as_json,
    as_table,
    ordered,
)

JOB = "arn:aws:sagemaker:us-east-1:123456789012:training-job/fraud-model-unencrypted"
TUNING = "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/xgb-tuning"
GROUP = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0e1e2e3e4e5e6e7e8"
NOW = datetime(2026, 11, 30, 12, 0, 0, 123000, tzinfo=UTC)
LONG = "word " * 400  # 2,000 characters

FINDINGS = (
    ScanFinding(
        "inter-container-encryption",
        JOB,
        Severity.HIGH,
        "Distributed training on 2 x ml.m5.xlarge without EnableInterContainerTrafficEncryption: "
        "data and model parameters cross the network between instances in clear text.",
    ),
    ScanFinding(
        "sg-no-public-ingress",
        GROUP,
        Severity.CRITICAL,
        'sg-0e1e2e3e4e5e6e7e8 admits traffic from the whole internet: tcp 22 with 0.0.0.0/0, "ssh".',
    ),
    ScanFinding("s3-private-endpoint", TUNING, Severity.LOW, "VPC vpc-1 has no S3 VPC endpoint."),
)

ASFF_REQUIRED = {
    "AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources",
    "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
}  # fmt: skip
ASFF_NAMESPACES = {
    "Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
    "Sensitive Data Identifications",
}  # fmt: skip
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")


def audit(*findings: ScanFinding, groups: int = 1, with_record: bool = True) -> Audit:
    return Audit(tuple(ordered(findings)), 3, groups, with_record)


# --- table -------------------------------------------------------------------------------


def test_wide_table_wraps_messages_beside_their_finding() -> None:
    lines = as_table(audit(*FINDINGS), 120).splitlines()
    assert lines[0].split() == ["SEVERITY", "CONTROL", "RESOURCE", "MESSAGE"]
    assert all(len(line) <= 120 for line in lines)
    assert lines[1].startswith("CRITICAL  sg-no-public-ingress")
    assert "security-group/sg-0e1e2e3e4e5e6e7e8" in lines[1]
    message_column = lines[0].index("MESSAGE")
    continued = [line for line in lines[1:] if line.startswith(" ")]
    assert continued
    assert all(line[:message_column].strip() == "" for line in continued)
    assert (
        lines[-1]
        == "3 findings (1 CRITICAL, 1 HIGH, 1 LOW) in 3 running jobs and 1 guarded security group."
    )


def test_narrow_table_puts_messages_under_their_finding() -> None:
    lines = as_table(audit(*FINDINGS), 60).splitlines()
    assert lines[0].split() == ["SEVERITY", "CONTROL", "RESOURCE"]
    messages = [line for line in lines[1:] if line.startswith("    ")]
    assert messages
    assert all(len(line) <= 60 for line in messages)
    text = " ".join(" ".join(messages).split())
    assert all(" ".join(f.message.split()) in text for f in FINDINGS)


def test_a_long_resource_is_cut_in_the_table_only() -> None:
    long_job = JOB.rsplit("/", 1)[0] + "/" + "a-very-long-training-job-name-" * 2
    found = ScanFinding("vpc-config", long_job, Severity.HIGH, "VpcConfig has no subnets.")
    table = as_table(audit(found), 160)
    cut = "training-job/a-very-long-training-job-name-a-..."  # 48 characters
    assert len(cut) == 48
    assert f"  {cut}  VpcConfig has no subnets." in table
    assert json.loads(as_json([found]))[0]["resource"] == long_job


def test_table_without_findings_and_without_the_record() -> None:
    lines = as_table(audit(groups=2, with_record=False), 200).splitlines()
    assert lines == [
        "No findings in 3 running jobs and 2 guarded security groups.",
        "Guarded groups were judged without the guard's record (no --table or "
        "STATE_TABLE_NAME): for public ingress only.",
    ]


# --- json and csv ------------------------------------------------------------------------


def test_json_is_the_findings_worst_first_with_four_keys() -> None:
    found = json.loads(as_json(ordered(FINDINGS)))
    assert [list(f) for f in found] == [list(FIELDS)] * 3
    assert [f["severity"] for f in found] == ["CRITICAL", "HIGH", "LOW"]


def test_json_of_nothing_is_an_empty_list() -> None:
    assert json.loads(as_json([])) == []


def test_csv_has_a_header_and_quotes_what_needs_it() -> None:
    text = as_csv(ordered(FINDINGS))
    assert text.splitlines()[0] == "control,resource,severity,message"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == json.loads(as_json(ordered(FINDINGS)))


# --- asff --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def import_findings_shape() -> Any:
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def test_asff_is_valid_for_batch_import_findings(import_findings_shape: Any) -> None:
    documents = as_asff(FINDINGS, NOW)
    report = ParamValidator().validate({"Findings": documents}, import_findings_shape)
    assert not report.has_errors(), report.generate_report()


@pytest.mark.parametrize("found", FINDINGS, ids=lambda f: f.control)
def test_asff_required_attributes_and_limits(found: ScanFinding) -> None:
    (document,) = as_asff([found], NOW)
    assert set(document) >= ASFF_REQUIRED
    assert document["SchemaVersion"] == "2018-10-08"
    assert re.fullmatch(r"\d{12}", document["AwsAccountId"])
    assert document["ProductArn"] == (
        "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    )
    assert 12 <= len(document["ProductArn"]) <= 2048
    assert 1 <= len(document["Id"]) <= 512
    assert document["GeneratorId"] == f"training-guard/{found.control}"
    assert 1 <= len(document["Title"]) <= 256
    assert document["Description"] == found.message
    assert document["Severity"] == {"Label": found.severity.name}
    assert TIMESTAMP.fullmatch(document["CreatedAt"])
    assert document["CreatedAt"] == document["UpdatedAt"] == "2026-11-30T12:00:00.123Z"
    assert 1 <= len(document["Types"]) <= 50
    assert all(t.split("/")[0] in ASFF_NAMESPACES for t in document["Types"])
    (resource,) = document["Resources"]
    assert resource["Id"] == found.resource
    assert (resource["Partition"], resource["Region"]) == ("aws", "us-east-1")
    recommendation = document["Remediation"]["Recommendation"]
    assert 1 <= len(recommendation["Text"]) <= 512
    assert recommendation["Url"].startswith("https://docs.aws.amazon.com/")


def test_asff_resource_types() -> None:
    types = [d["Resources"][0]["Type"] for d in as_asff(FINDINGS, NOW)]
    # ASFF has AwsEc2SecurityGroup, and no type for SageMaker training or tuning jobs.
    assert types == ["Other", "AwsEc2SecurityGroup", "Other"]


def test_asff_cuts_a_long_description() -> None:
    (document,) = as_asff([ScanFinding("vpc-config", JOB, Severity.HIGH, LONG)], NOW)
    assert len(document["Description"]) == 1024
    assert document["Description"].endswith("...")


def test_asff_ids_are_stable_and_distinct() -> None:
    first = [d["Id"] for d in as_asff(FINDINGS, NOW)]
    again = [d["Id"] for d in as_asff(FINDINGS, datetime(2027, 1, 1, tzinfo=UTC))]
    assert first == again
    assert len(set(first)) == len(first)
    other = ScanFinding(FINDINGS[0].control, JOB, Severity.HIGH, "Definition b: " + LONG)
    assert as_asff([other], NOW)[0]["Id"] not in first


def test_asff_in_other_partitions() -> None:
    china = "arn:aws-cn:ec2:cn-north-1:123456789012:security-group/sg-1"
    iso = "arn:aws-iso:sagemaker:us-iso-east-1:123456789012:training-job/j"
    china_doc, iso_doc = as_asff(
        [ScanFinding("sg-no-public-ingress", r, Severity.CRITICAL, "m") for r in (china, iso)],
        NOW,
    )
    assert china_doc["ProductArn"].startswith("arn:aws-cn:securityhub:cn-north-1:")
    assert china_doc["Resources"][0]["Partition"] == "aws-cn"
    assert "Partition" not in iso_doc["Resources"][0]  # ASFF's enum has no aws-iso


def test_every_control_has_a_recommendation_within_limits() -> None:
    for control in CONTROLS:
        (document,) = as_asff([ScanFinding(control.id, JOB, control.severity, "m")], NOW)
        assert document["Remediation"]["Recommendation"]["Text"] == control.fix[:512]


# --- options and progress ------------------------------------------------------------


def scan_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="training-guard scan")
    add_scan_arguments(parser)
    return parser


def test_defaults_and_case_insensitive_severity() -> None:
    options = scan_parser().parse_args(["--fail-on", "high"])
    assert (options.format, options.fail_on, options.region, options.table) == (
        "table",
        "HIGH",
        None,
        None,
    )


@pytest.mark.parametrize("argv", [["--fail-on", "SEVERE"], ["--format", "yaml"], ["extra"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        scan_parser().parse_args(argv)
    assert exit_.value.code == EXIT_USAGE


def test_help_says_what_the_record_changes() -> None:
    text = " ".join(scan_parser().format_help().split())
    assert "STATE_TABLE_NAME" in text
    assert "judged as tagged by hand: for public ingress only" in text
    assert "3 AWS refused or could not be reached" in text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_is_one_line_rewritten() -> None:
    stream = Terminal()
    progress = Progress(stream)
    progress.show("Describing jobs", 1, 4)
    progress.show("Describing jobs", 4, 4)
    progress.clear()
    text = stream.getvalue()
    assert "\n" not in text
    assert "[######------------------] 1/4" in text
    assert "[########################] 4/4" in text
    assert text.endswith("\r")


def test_no_progress_when_piped() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.show("Describing jobs", 1, 4)
    progress.clear()
    assert stream.getvalue() == ""
