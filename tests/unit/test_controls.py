"""Every control on a whole job, table-driven, with the edge cases that would be false
alarms or wrongful stops; and the registry every control is declared in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from training_guard.config import Policy
from training_guard.controls import (
    CONTROLS,
    CONTROLS_BY_ID,
    GROUP_CONTROLS,
    JOB_CONTROLS,
    MissingRules,
    Remediation,
    evaluate_job,
    facts_needed,
    remediation_of,
)
from training_guard.facts.evidence import Evidence, Fact
from training_guard.facts.instances import TRAINING_INSTANCES, profile_from_table
from training_guard.facts.jobs import Cluster, InstanceGroup, JobFacts, JobKind, TrainingSpec
from training_guard.facts.keys import KeyFacts
from training_guard.facts.network import ALL_TRAFFIC, GroupPeer, Rule, SecurityGroup, Subnet
from training_guard.model import Finding

SG_A, SG_B = "sg-aaaa", "sg-bbbb"
SUBNET_1, SUBNET_2 = "subnet-1111", "subnet-2222"
VPC = "vpc-1"
ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1"
DEPLOY, DEPLOY_2 = "210987654321", "333333333333"
ALLOW_ALL_EGRESS = Rule("-1", cidrs=("0.0.0.0/0",))
IPSEC_IN = (
    Rule("17", 500, 500, groups=(GroupPeer(SG_A),)),
    Rule("50", groups=(GroupPeer(SG_A),)),
)
SELF_ALL = Rule("-1", groups=(GroupPeer(SG_A),))
# What EC2 or the table says of every training type, as the loader gives it.
PROFILES = {t: profile_from_table(t) for t in TRAINING_INSTANCES}
UNKNOWN_TYPE = "ml.zz9.4xlarge"


def cluster(*groups: tuple[str, int]) -> Cluster:
    return tuple(InstanceGroup(t, n) for t, n in groups)


def on(instance_type: str, count: int = 1) -> tuple[Cluster, ...]:
    return (cluster((instance_type, count)),)


def spec(**changes: Any) -> TrainingSpec:
    base = TrainingSpec(
        label="job",
        clusters=on("ml.m5.xlarge", 2),
        inter_container_encryption=True,
        network_isolation=False,
        subnets=(SUBNET_1,),
        security_groups=(SG_A,),
        output_kms_key=KEY,
        volume_kms_key=KEY,
    )
    return replace(base, **changes)


def serverless(**changes: Any) -> TrainingSpec:
    """A serverless job as a request gives it: no instances, no VpcConfig, no volume key."""
    base = TrainingSpec(
        label="fine-tune",
        clusters=(),
        inter_container_encryption=False,
        output_kms_key=KEY,
        serverless=True,
    )
    return replace(base, **changes)


def group(group_id: str = SG_A, ingress: tuple[Rule, ...] = IPSEC_IN,
          egress: tuple[Rule, ...] = (ALLOW_ALL_EGRESS,)) -> SecurityGroup:  # fmt: skip
    return SecurityGroup(group_id, VPC, ingress, egress, owner_id=ACCOUNT)


EFA_READY = group(ingress=(SELF_ALL,), egress=(SELF_ALL,))


def policy_document(*accounts: str) -> dict[str, object]:
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        ]
    }


def subnet(subnet_id: str = SUBNET_1, cidr: str = "10.0.1.0/24", free: int = 200) -> Subnet:
    return Subnet(subnet_id, VPC, cidr, free)


def evidence(**changes: Any) -> Evidence:
    base = Evidence(
        security_groups={SG_A: group()},
        subnets={SUBNET_1: subnet()},
        vpcs_with_s3_endpoint=frozenset({VPC}),
        instances=PROFILES,
        keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy_document(DEPLOY))},
    )
    return replace(base, **changes)


def job_of(*specs: TrainingSpec, kind: JobKind = JobKind.TRAINING) -> JobFacts:
    return JobFacts(kind, "j", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{kind.value}/j", specs)


def evaluate(
    job_spec: TrainingSpec, facts: Evidence | None = None, policy: Policy | None = None
) -> tuple[Finding, ...]:
    return evaluate_job(
        job_of(job_spec), facts or evidence(), policy or Policy(deploy_account_ids=(DEPLOY,))
    )


def label(finding: Finding) -> str:
    """The control id, marked where the evidence allowed only a report."""
    own = CONTROLS_BY_ID[finding.control].remediation
    return finding.control + (" (report)" if remediation_of(finding) is not own else "")


def controls_found(
    job_spec: TrainingSpec, facts: Evidence | None = None, policy: Policy | None = None
) -> list[str]:
    return sorted(label(f) for f in evaluate(job_spec, facts, policy))


def test_a_compliant_job_has_no_findings() -> None:
    assert controls_found(spec()) == []


CASES = {
    # inter-container-encryption
    "distributed without encryption": (spec(inter_container_encryption=False), None, None,
                                       ["inter-container-encryption"]),
    "single instance without encryption is fine": (
        spec(inter_container_encryption=False, clusters=on("ml.m5.xlarge")), None, None, []),
    "heterogeneous groups of one instance each are distributed": (
        spec(inter_container_encryption=False, clusters=(cluster(("ml.c5.xlarge", 1), ("ml.m5.xlarge", 1)),)),
        None, None, ["inter-container-encryption"]),
    "encryption unknown on a distributed job is only reported": (
        spec(inter_container_encryption=None), None, None, ["inter-container-encryption (report)"]),
    "encryption unknown on a single instance is fine": (
        spec(inter_container_encryption=None, clusters=on("ml.m5.xlarge")), None, None, []),
    "one distributed alternative of a tuning job needs encryption": (
        spec(inter_container_encryption=False, clusters=(cluster(("ml.m5.xlarge", 1)), cluster(("ml.c5.xlarge", 2)))),
        None, None, ["inter-container-encryption"]),
    # vpc-config
    "no vpc": (spec(subnets=(), security_groups=()), None, None, ["vpc-config"]),
    "subnets without security group": (spec(security_groups=()), None, None, ["vpc-config"]),
    "security group without subnets": (spec(subnets=()), None, None, ["vpc-config"]),
    "vpc naming a group that does not exist": (spec(security_groups=("sg-gone",)), None, None, ["vpc-config"]),
    "vpc naming a subnet that does not exist": (spec(subnets=("subnet-gone",)), None, None, ["vpc-config"]),
    # sg-ipsec-self-rules
    "group without ipsec rules": (spec(), evidence(security_groups={SG_A: group(ingress=())}),
                                  None, ["sg-ipsec-self-rules"]),
    "single instance needs no ipsec rules": (
        spec(clusters=on("ml.m5.xlarge")), evidence(security_groups={SG_A: group(ingress=())}), None, []),
    "ipsec rules split across two groups count together": (
        spec(security_groups=(SG_A, SG_B)),
        evidence(security_groups={
            SG_A: group(ingress=(Rule("17", 500, 500, groups=(GroupPeer(SG_B),)),)),
            SG_B: group(SG_B, ingress=(Rule("50", groups=(GroupPeer(SG_A),)),)),
        }), None, []),
    "udp range containing 500 and all-protocol rule": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("17", 0, 65535, groups=(GroupPeer(SG_A),)), SELF_ALL))}),
        None, []),
    "vpc cidr holding the subnets admits the traffic": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.0.0/16",)),))}),
        None, []),
    "prefix list holding the subnets admits the traffic": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", prefix_lists=("pl-vpc",)),))},
                         prefix_lists={"pl-vpc": ("10.0.0.0/16",)}),
        None, []),
    "prefix list that could not be read admits nothing": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", prefix_lists=("pl-vpc",)),))},
                         prefix_lists={"pl-vpc": None}),
        None, ["sg-ipsec-self-rules"]),
    "two ranges holding one subnet each admit the traffic together": (
        spec(subnets=(SUBNET_1, SUBNET_2)),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.1.0/24",)), Rule("-1", cidrs=("10.0.2.0/24",))))},
                 subnets={SUBNET_1: subnet(), SUBNET_2: subnet(SUBNET_2, "10.0.2.0/24")}),
        None, []),
    "a range holding only one of two subnets does not": (
        spec(subnets=(SUBNET_1, SUBNET_2)),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.1.0/24",)),))},
                 subnets={SUBNET_1: subnet(), SUBNET_2: subnet(SUBNET_2, "10.0.2.0/24")}),
        None, ["sg-ipsec-self-rules"]),
    "cidr not holding the subnets does not": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("192.168.0.0/16",)),))}),
        None, ["sg-ipsec-self-rules"]),
    "udp 500 without esp is not enough": (
        spec(), evidence(security_groups={SG_A: group(ingress=IPSEC_IN[:1])}), None,
        ["sg-ipsec-self-rules"]),
    "egress restricted to https blocks ipsec outbound": (
        spec(), evidence(security_groups={SG_A: group(egress=(Rule("6", 443, 443, cidrs=("0.0.0.0/0",)),))}),
        None, ["sg-ipsec-self-rules"]),
    "tcp 500 is not udp 500": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("6", 500, 500, groups=(GroupPeer(SG_A),)),
                                                               IPSEC_IN[1]))}),
        None, ["sg-ipsec-self-rules"]),
    "the same group id in another account is not the job's group": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", groups=(GroupPeer(SG_A, DEPLOY),)),))}),
        None, ["sg-ipsec-self-rules"]),
    # sg-efa-self-rules
    "efa instances with a cidr-only all-traffic rule": (
        spec(clusters=on("ml.p4d.24xlarge", 2), volume_kms_key=None),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.0.0/16",)),))}),
        None, ["sg-efa-self-rules"]),
    "efa instances with self all-traffic rules both ways": (
        spec(clusters=on("ml.p4d.24xlarge", 2), volume_kms_key=None),
        evidence(security_groups={SG_A: EFA_READY}), None, []),
    "a single efa instance needs no efa rules": (
        spec(clusters=on("ml.p4d.24xlarge"), volume_kms_key=None),
        evidence(security_groups={SG_A: group(ingress=())}), None, []),
    "p6-b300 pair is efa traffic": (
        spec(clusters=on("ml.p6-b300.48xlarge", 2), volume_kms_key=None), None, None, ["sg-efa-self-rules"]),
    "p6-b300 pair with efa rules": (
        spec(clusters=on("ml.p6-b300.48xlarge", 2), volume_kms_key=None),
        evidence(security_groups={SG_A: EFA_READY}), None, []),
    "an unknown type is not taken for efa": (
        spec(clusters=on(UNKNOWN_TYPE, 2), volume_kms_key=KEY), None, None, []),
    # sg-no-public-ingress
    "job group open to the internet": (
        spec(), evidence(security_groups={SG_A: group(ingress=(*IPSEC_IN, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))))}),
        None, ["sg-no-public-ingress"]),
    "job group open through a prefix list": (
        spec(), evidence(security_groups={SG_A: group(ingress=(*IPSEC_IN, Rule("6", 22, 22, prefix_lists=("pl-any",))))},
                         prefix_lists={"pl-any": ("0.0.0.0/0",)}),
        None, ["sg-no-public-ingress"]),
    "public all-traffic ingress does not count as ipsec self traffic": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("0.0.0.0/0",)),))}),
        None, ["sg-ipsec-self-rules", "sg-no-public-ingress"]),
    # subnet-capacity
    "subnet too small": (spec(), evidence(subnets={SUBNET_1: subnet(cidr="10.0.1.0/28", free=3)}),
                         None, ["subnet-capacity"]),
    "exactly enough addresses": (spec(), evidence(subnets={SUBNET_1: subnet(cidr="10.0.1.0/28", free=4)}),
                                 None, []),
    "efa needs five per instance": (
        spec(clusters=on("ml.p4d.24xlarge", 2), volume_kms_key=None),
        evidence(subnets={SUBNET_1: subnet(free=9)}, security_groups={SG_A: EFA_READY}),
        None, ["subnet-capacity"]),
    "the largest alternative decides the addresses": (
        spec(clusters=(cluster(("ml.m5.xlarge", 1)), cluster(("ml.m5.xlarge", 4)))),
        evidence(subnets={SUBNET_1: subnet(free=7)}), None, ["subnet-capacity"]),
    # s3-private-endpoint
    "vpc without s3 endpoint": (spec(), evidence(vpcs_with_s3_endpoint=frozenset()), None,
                                ["s3-private-endpoint"]),
    # output-kms
    "no output key": (spec(output_kms_key=None), None, None, ["output-kms"]),
    # volume-kms
    "no volume key on ebs instance": (spec(volume_kms_key=None), None, None, ["volume-kms"]),
    "no volume key on local nvme instance is right": (
        spec(volume_kms_key=None, clusters=on("ml.g5.2xlarge")), None, None, []),
    "no volume key on ml.g7e.2xlarge is right": (
        spec(volume_kms_key=None, clusters=on("ml.g7e.2xlarge")), None, None, []),
    "no volume key on ml.p6-b300.48xlarge is right": (
        spec(volume_kms_key=None, clusters=on("ml.p6-b300.48xlarge")), None, None, []),
    "no volume key on ml.p6e-gb200.36xlarge is right": (
        spec(volume_kms_key=None, clusters=on("ml.p6e-gb200.36xlarge")), None, None, []),
    "a cluster mixing local and ebs storage can only be reported": (
        spec(volume_kms_key=None, clusters=(cluster(("ml.p4d.24xlarge", 1), ("ml.m5.xlarge", 1)),)),
        evidence(security_groups={SG_A: EFA_READY}), None, ["volume-kms (report)"]),
    "nvme and ebs mixed in one cluster, reported": (
        spec(volume_kms_key=None, clusters=(cluster(("ml.g5.2xlarge", 1), ("ml.m5.xlarge", 1)),)),
        None, None, ["volume-kms (report)"]),
    "tuning alternatives mixing local and ebs storage can only be reported": (
        spec(volume_kms_key=None, clusters=(cluster(("ml.p4d.24xlarge", 1)), cluster(("ml.m5.xlarge", 1)))),
        None, None, ["volume-kms (report)"]),
    "an instance type nobody could classify is only reported": (
        spec(volume_kms_key=None, clusters=on(UNKNOWN_TYPE)), None, None, ["volume-kms (report)"]),
    "an unclassified type beside an ebs type is only reported": (
        spec(volume_kms_key=None, clusters=(cluster((UNKNOWN_TYPE, 1)), cluster(("ml.m5.xlarge", 1)))),
        None, None, ["volume-kms (report)"]),
    "ebs types only in every alternative stop the job": (
        spec(volume_kms_key=None, clusters=(cluster(("ml.m5.xlarge", 1)), cluster(("ml.c5.xlarge", 1)))),
        None, None, ["volume-kms"]),
    # kms-customer-managed
    "aws managed alias for output": (spec(output_kms_key="alias/aws/s3"), None, None,
                                     ["kms-customer-managed"]),
    "aws managed alias arn for the volume": (
        spec(volume_kms_key=f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/sagemaker"), None, None, ["kms-customer-managed"]),
    "aws managed key found by lookup": (
        spec(volume_kms_key="k-aws"),
        evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy_document(DEPLOY)),
                       "k-aws": KeyFacts("k-aws", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-aws", "AWS")}),
        None, ["kms-customer-managed"]),
    # kms-deploy-accounts
    "deploy account missing from key policy": (
        spec(), evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy_document("111111111111"))}),
        None, ["kms-deploy-accounts"]),
    "key policy unreadable": (
        spec(), evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", None, "AccessDeniedException: no")}),
        None, ["kms-deploy-accounts"]),
    "no deploy accounts configured, no check": (
        spec(), evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy_document())}),
        Policy(), []),
    "an aws managed output key is not also a deploy-accounts finding": (
        spec(output_kms_key="alias/aws/s3"), None, None, ["kms-customer-managed"]),
    # network-isolation
    "network isolation required and missing": (spec(), None, Policy(require_network_isolation=True),
                                               ["network-isolation"]),
    "network isolation required and unknown": (spec(network_isolation=None), None, Policy(require_network_isolation=True),
                                               ["network-isolation (report)"]),
    "network isolation not required": (spec(), None, Policy(), []),
    "network isolation required and set": (spec(network_isolation=True), None,
                                           Policy(require_network_isolation=True), []),
    # serverless: no instances, no VPC, no volumes of its own
    "serverless job with an output key": (serverless(), None, None, []),
    "serverless job without an output key": (serverless(output_kms_key=None), None, None, ["output-kms"]),
    "serverless job with encryption unknown": (serverless(inter_container_encryption=None), None, None, []),
}  # fmt: skip


@pytest.mark.parametrize(
    ("job_spec", "facts", "policy", "expected"), CASES.values(), ids=CASES.keys()
)
def test_control(
    job_spec: TrainingSpec, facts: Evidence | None, policy: Policy | None, expected: list[str]
) -> None:
    assert controls_found(job_spec, facts, policy) == sorted(expected)


def test_every_control_has_a_case_that_finds_it() -> None:
    found = {c.removesuffix(" (report)") for case in CASES.values() for c in case[3]}
    assert found == {c.id for c in CONTROLS}


def test_the_table_types_are_classified() -> None:
    for instance_type in ("ml.g7e.2xlarge", "ml.p6-b300.48xlarge", "ml.p6e-gb200.36xlarge"):
        profile = PROFILES[instance_type]
        assert profile is not None, instance_type
        assert profile.local_storage, instance_type
    assert UNKNOWN_TYPE not in PROFILES


# --- remediation and evidence -----------------------------------------------------------


def only(
    job_spec: TrainingSpec, facts: Evidence | None = None, policy: Policy | None = None
) -> Finding:
    (finding,) = evaluate(job_spec, facts, policy)
    return finding


def test_a_stop_rests_on_what_aws_said() -> None:
    assert only(spec(inter_container_encryption=False)).remediation == Remediation.STOP_JOB.value
    assert only(spec(inter_container_encryption=None)).remediation == Remediation.REPORT.value


def test_mixed_storage_is_reported_not_stopped_and_says_why() -> None:
    finding = only(
        spec(volume_kms_key=None, clusters=(cluster(("ml.p4d.24xlarge", 1), ("ml.m5.xlarge", 1)),)),
        evidence(security_groups={SG_A: EFA_READY}),
    )
    assert finding.control == "volume-kms"
    assert remediation_of(finding) is Remediation.REPORT
    assert "ml.p4d.24xlarge" in finding.message
    assert "ml.m5.xlarge" in finding.message


def test_an_unknown_type_is_named_in_the_report() -> None:
    finding = only(spec(volume_kms_key=None, clusters=on(UNKNOWN_TYPE)))
    assert remediation_of(finding) is Remediation.REPORT
    assert UNKNOWN_TYPE in finding.message


def test_a_job_group_finding_carries_its_missing_rules() -> None:
    finding = only(spec(security_groups=(SG_B, SG_A)), evidence(security_groups={
        SG_A: group(ingress=()), SG_B: group(SG_B, ingress=()),
    }))  # fmt: skip
    assert finding.control == "sg-ipsec-self-rules"
    assert remediation_of(finding) is Remediation.ADD_RULES
    assert isinstance(finding.evidence, MissingRules)
    assert finding.evidence.group_id == SG_B  # the job's first group
    assert "training job j" in finding.message


def test_efa_finding_names_the_efa_type() -> None:
    finding = only(spec(clusters=on("ml.p6-b300.48xlarge", 2), volume_kms_key=None))
    assert finding.control == "sg-efa-self-rules"
    assert "ml.p6-b300.48xlarge" in finding.message
    assert isinstance(finding.evidence, MissingRules)
    assert {traffic for _, traffic in finding.evidence.gaps} == {ALL_TRAFFIC}


def test_job_findings_carry_no_group_evidence() -> None:
    for finding in evaluate(
        spec(inter_container_encryption=False, output_kms_key=None, volume_kms_key=None)
    ):
        assert finding.evidence is None, finding


def test_serverless_spec_needs_no_vpc_nor_volume_key() -> None:
    job_spec = serverless(output_kms_key=None, volume_kms_key=None)
    assert [f.control for f in evaluate(job_spec, Evidence(), Policy())] == ["output-kms"]


# --- keys -------------------------------------------------------------------------------


def test_deploy_account_restricted_away_by_caller_account_is_named() -> None:
    policy = {
        "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": DEPLOY}},
        }]
    }  # fmt: skip
    finding = only(
        spec(),
        evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy)}),
        Policy(deploy_account_ids=(DEPLOY, DEPLOY_2)),
    )
    assert finding.control == "kms-deploy-accounts"
    assert remediation_of(finding) is Remediation.REPORT
    assert f"deploy account(s) {DEPLOY_2} call kms:Decrypt" in finding.message


def test_both_deploy_accounts_allowed_through_caller_account() -> None:
    policy = {
        "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": [DEPLOY, DEPLOY_2]}},
        }]
    }  # fmt: skip
    facts = evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy)})
    assert evaluate(spec(), facts, Policy(deploy_account_ids=(DEPLOY, DEPLOY_2))) == ()


def test_a_key_of_another_account_names_its_owner() -> None:
    owner = "444455556666"
    foreign = f"arn:aws:kms:us-east-1:{owner}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    facts = evidence(
        keys={foreign: KeyFacts(foreign, foreign, "CUSTOMER", None, "AccessDeniedException")}
    )
    finding = only(spec(output_kms_key=foreign), facts)
    assert finding.control == "kms-deploy-accounts"
    assert f"owned by account {owner}" in finding.message
    assert "AccessDeniedException" in finding.message
    assert DEPLOY in finding.message


def test_an_alias_resolved_to_another_account_names_the_owner_of_the_key() -> None:
    owner = "444455556666"
    foreign = f"arn:aws:kms:us-east-1:{owner}:key/k-2"
    facts = evidence(
        keys={
            "alias/shared": KeyFacts(
                "alias/shared", foreign, "CUSTOMER", None, "AccessDeniedException"
            )
        }
    )
    finding = only(spec(output_kms_key="alias/shared"), facts)
    assert f"owned by account {owner}" in finding.message


@pytest.mark.parametrize(
    ("reference", "manager", "aws_managed"),
    [
        ("alias/aws/s3", None, True),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/sagemaker", None, True),
        (f"arn:aws-cn:kms:cn-north-1:{ACCOUNT}:alias/aws/s3", None, True),
        ("alias/training-artifacts", "CUSTOMER", False),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", "AWS", True),
        ("1234abcd-12ab-34cd-56ef-1234567890ab", None, False),
        ("alias/awesome", None, False),
        ("alias/aws-team/key", None, False),
    ],
)
def test_aws_managed_keys(reference: str, manager: str | None, aws_managed: bool) -> None:
    assert KeyFacts(reference, manager=manager).is_aws_managed is aws_managed


# --- tuning jobs and messages ------------------------------------------------------------


def test_tuning_definitions_are_named_in_messages() -> None:
    job = job_of(
        spec(label="small"),
        spec(label="large", inter_container_encryption=False),
        kind=JobKind.TUNING,
    )
    (finding,) = evaluate_job(job, evidence(), Policy(deploy_account_ids=(DEPLOY,)))
    assert finding.message.startswith("Definition large: ")


def test_one_definition_is_not_labelled() -> None:
    job = job_of(spec(label="only", inter_container_encryption=False), kind=JobKind.TUNING)
    (finding,) = evaluate_job(job, evidence(), Policy(deploy_account_ids=(DEPLOY,)))
    assert not finding.message.startswith("Definition")


def test_the_same_finding_of_two_definitions_is_kept_per_definition() -> None:
    job = job_of(
        spec(label="a", output_kms_key=None),
        spec(label="b", output_kms_key=None),
        kind=JobKind.TUNING,
    )
    result = evaluate_job(job, evidence(), Policy(deploy_account_ids=(DEPLOY,)))
    assert [f.message.split(":")[0] for f in result] == ["Definition a", "Definition b"]


def test_messages_say_what_to_do() -> None:
    job_spec = spec(
        inter_container_encryption=False, output_kms_key="alias/aws/s3", volume_kms_key=None
    )
    findings = evaluate(job_spec, evidence(security_groups={SG_A: group(ingress=())}), Policy())
    assert sorted(f.control for f in findings) == [
        "inter-container-encryption",
        "kms-customer-managed",
        "sg-ipsec-self-rules",
        "volume-kms",
    ]
    for finding in findings:
        assert any(verb in finding.message for verb in ("Resubmit", "Add", "Use")), finding


# --- the registry -------------------------------------------------------------------------

# DESIGN.md, Contract: the control ids and what each does about a finding.
DESIGN_CONTROLS = {
    "inter-container-encryption": "stop the job",
    "vpc-config": "stop the job",
    "sg-ipsec-self-rules": "add the missing rules",
    "sg-efa-self-rules": "add the missing rules",
    "sg-no-public-ingress": "revoke those rules",
    "subnet-capacity": "report",
    "s3-private-endpoint": "report",
    "output-kms": "stop the job",
    "volume-kms": "stop the job",
    "kms-customer-managed": "stop the job",
    "kms-deploy-accounts": "report",
    "network-isolation": "stop the job",
}


def test_the_ids_are_those_of_the_design() -> None:
    ids = [c.id for c in CONTROLS]
    assert len(ids) == len(set(ids))
    assert len(ids) == 12
    assert set(ids) == set(DESIGN_CONTROLS)
    assert set(CONTROLS_BY_ID) == set(DESIGN_CONTROLS)


@pytest.mark.parametrize("control", CONTROLS, ids=[c.id for c in CONTROLS])
def test_every_control_is_fully_declared(control: Any) -> None:
    assert control.remediation.value == DESIGN_CONTROLS[control.id]
    assert control.why.strip()
    assert control.fix.strip()
    assert control.docs.startswith("https://docs.aws.amazon.com/")
    assert " " not in control.docs
    assert callable(control.check)
    assert CONTROLS_BY_ID[control.id] is control


def test_job_and_group_controls_split_the_registry() -> None:
    assert {c.id for c in GROUP_CONTROLS} == {
        "sg-ipsec-self-rules",
        "sg-efa-self-rules",
        "sg-no-public-ingress",
    }
    assert set(JOB_CONTROLS) | set(GROUP_CONTROLS) == set(CONTROLS)
    assert not set(JOB_CONTROLS) & set(GROUP_CONTROLS)


def test_key_policies_are_read_only_where_deploy_accounts_are_configured() -> None:
    assert Fact.KEY_POLICIES not in facts_needed(Policy())
    assert Fact.KEY_POLICIES in facts_needed(Policy(deploy_account_ids=(DEPLOY,)))
    assert {
        Fact.SECURITY_GROUPS,
        Fact.PREFIX_LISTS,
        Fact.INSTANCE_TYPES,
        Fact.KEYS,
    } <= facts_needed(Policy())
