"""Every control, table-driven, with the edge cases that would be false alarms."""

from __future__ import annotations

from dataclasses import replace

import pytest

from training_guard.config import Policy
from training_guard.controls import JOB_CONTROLS, evaluate_job
from training_guard.facts.evidence import Evidence
from training_guard.facts.jobs import InstanceGroup, JobFacts, JobKind, TrainingSpec
from training_guard.facts.keys import KeyFacts
from training_guard.facts.network import Rule, SecurityGroup, Subnet

SG_A, SG_B = "sg-aaaa", "sg-bbbb"
SUBNET_1, SUBNET_2 = "subnet-1111", "subnet-2222"
VPC = "vpc-1"
KEY = "arn:aws:kms:us-east-1:123456789012:key/k-1"
DEPLOY = "210987654321"
ALLOW_ALL_EGRESS = Rule("-1", cidrs=("0.0.0.0/0",))
IPSEC_IN = (
    Rule("17", 500, 500, frozenset({SG_A})),
    Rule("50", peer_groups=frozenset({SG_A})),
)


def spec(**changes: object) -> TrainingSpec:
    base = TrainingSpec(
        label="job",
        instance_groups=(InstanceGroup("ml.m5.xlarge", 2),),
        inter_container_encryption=True,
        subnets=(SUBNET_1,),
        security_groups=(SG_A,),
        output_kms_key=KEY,
        volume_kms_key=KEY,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def group(group_id: str = SG_A, ingress: tuple[Rule, ...] = IPSEC_IN,
          egress: tuple[Rule, ...] = (ALLOW_ALL_EGRESS,)) -> SecurityGroup:  # fmt: skip
    return SecurityGroup(group_id, VPC, ingress, egress)


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


def evidence(**changes: object) -> Evidence:
    base = Evidence(
        security_groups={SG_A: group()},
        subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/24", 200)},
        vpcs_with_s3_endpoint=frozenset({VPC}),
        keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy_document(DEPLOY))},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def controls_found(
    job_spec: TrainingSpec, facts: Evidence | None = None, policy: Policy | None = None
) -> list[str]:
    job = JobFacts(
        JobKind.TRAINING, "j", "arn:aws:sagemaker:us-east-1:1:training-job/j", (job_spec,)
    )
    findings = evaluate_job(
        job, facts or evidence(), policy or Policy(deploy_account_ids=(DEPLOY,))
    )
    return [f.control for f in findings]


def test_a_compliant_job_has_no_findings() -> None:
    assert controls_found(spec()) == []


CASES = {
    # inter-container-encryption
    "distributed without encryption": (spec(inter_container_encryption=False), None, None,
                                       ["inter-container-encryption"]),
    "single instance without encryption is fine": (
        spec(inter_container_encryption=False, instance_groups=(InstanceGroup("ml.m5.xlarge", 1),)),
        None, None, []),
    "heterogeneous groups of one instance each are distributed": (
        spec(inter_container_encryption=False,
             instance_groups=(InstanceGroup("ml.c5.xlarge", 1), InstanceGroup("ml.m5.xlarge", 1))),
        None, None, ["inter-container-encryption"]),
    # vpc-config
    "no vpc": (spec(subnets=(), security_groups=()), None, None, ["vpc-config"]),
    "subnets without security group": (spec(security_groups=()), None, None, ["vpc-config"]),
    "vpc naming a group that does not exist": (spec(security_groups=("sg-gone",)), None, None,
                                               ["vpc-config"]),
    # sg-ipsec-self-rules
    "group without ipsec rules": (spec(), evidence(security_groups={SG_A: group(ingress=())}),
                                  None, ["sg-ipsec-self-rules"]),
    "single instance needs no ipsec rules": (
        spec(instance_groups=(InstanceGroup("ml.m5.xlarge", 1),)),
        evidence(security_groups={SG_A: group(ingress=())}), None, []),
    "ipsec rules split across two groups count together": (
        spec(security_groups=(SG_A, SG_B)),
        evidence(security_groups={
            SG_A: group(ingress=(Rule("17", 500, 500, frozenset({SG_B})),)),
            SG_B: group(SG_B, ingress=(Rule("50", peer_groups=frozenset({SG_A})),)),
        }), None, []),
    "udp range containing 500 and all-protocol rule": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("17", 0, 65535, frozenset({SG_A})),
                                                               Rule("-1", peer_groups=frozenset({SG_A}))))}),
        None, []),
    "vpc cidr holding the subnets admits the traffic": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.0.0/16",)),))}),
        None, []),
    "two ranges holding one subnet each admit the traffic together": (
        spec(subnets=(SUBNET_1, SUBNET_2)),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.1.0/24",)), Rule("-1", cidrs=("10.0.2.0/24",))))},
                 subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/24", 200), SUBNET_2: Subnet(SUBNET_2, VPC, "10.0.2.0/24", 200)}),
        None, []),
    "a range holding only one of two subnets does not": (
        spec(subnets=(SUBNET_1, SUBNET_2)),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.1.0/24",)),))},
                 subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/24", 200), SUBNET_2: Subnet(SUBNET_2, VPC, "10.0.2.0/24", 200)}),
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
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("6", 500, 500, frozenset({SG_A})),
                                                               IPSEC_IN[1]))}),
        None, ["sg-ipsec-self-rules"]),
    # sg-efa-self-rules
    "efa instances with a cidr-only all-traffic rule": (
        spec(instance_groups=(InstanceGroup("ml.p4d.24xlarge", 2),), volume_kms_key=None),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("10.0.0.0/16",)),))},
                 subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/24", 200)}),
        None, ["sg-efa-self-rules"]),
    "efa instances with self all-traffic rules both ways": (
        spec(instance_groups=(InstanceGroup("ml.p4d.24xlarge", 2),), volume_kms_key=None),
        evidence(security_groups={SG_A: group(ingress=(Rule("-1", peer_groups=frozenset({SG_A})),),
                                              egress=(Rule("-1", peer_groups=frozenset({SG_A})),))}),
        None, []),
    "a single efa instance needs no efa rules": (
        spec(instance_groups=(InstanceGroup("ml.p4d.24xlarge", 1),), volume_kms_key=None),
        evidence(security_groups={SG_A: group(ingress=())}), None, []),
    # sg-no-public-ingress
    "job group open to the internet": (
        spec(), evidence(security_groups={SG_A: group(ingress=(*IPSEC_IN, Rule("6", 22, 22, cidrs=("0.0.0.0/0",))))}),
        None, ["sg-no-public-ingress"]),
    "public all-traffic ingress does not count as ipsec self traffic": (
        spec(), evidence(security_groups={SG_A: group(ingress=(Rule("-1", cidrs=("0.0.0.0/0",)),))}),
        None, ["sg-ipsec-self-rules", "sg-no-public-ingress"]),
    # subnet-capacity
    "subnet too small": (spec(), evidence(subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/28", 3)}),
                         None, ["subnet-capacity"]),
    "exactly enough addresses": (spec(), evidence(subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/28", 4)}),
                                 None, []),
    "efa needs five per instance": (
        spec(instance_groups=(InstanceGroup("ml.p4d.24xlarge", 2),), volume_kms_key=None),
        evidence(subnets={SUBNET_1: Subnet(SUBNET_1, VPC, "10.0.1.0/24", 9)},
                 security_groups={SG_A: group(ingress=(Rule("-1", peer_groups=frozenset({SG_A})),),
                                              egress=(Rule("-1", peer_groups=frozenset({SG_A})),))}),
        None, ["subnet-capacity"]),
    # s3-private-endpoint
    "vpc without s3 endpoint": (spec(), evidence(vpcs_with_s3_endpoint=frozenset()), None,
                                ["s3-private-endpoint"]),
    # output-kms, volume-kms
    "no output key": (spec(output_kms_key=None), None, None, ["output-kms"]),
    "no volume key on ebs instance": (spec(volume_kms_key=None), None, None, ["volume-kms"]),
    "no volume key on local nvme instance is right": (
        spec(volume_kms_key=None, instance_groups=(InstanceGroup("ml.g5.2xlarge", 1),)), None, None, []),
    "nvme and ebs mixed still needs the volume key": (
        spec(volume_kms_key=None,
             instance_groups=(InstanceGroup("ml.g5.2xlarge", 1), InstanceGroup("ml.m5.xlarge", 1))),
        None, None, ["volume-kms"]),
    # kms-customer-managed
    "aws managed alias for output": (spec(output_kms_key="alias/aws/s3"), None, None,
                                     ["kms-customer-managed"]),
    "aws managed key found by lookup": (
        spec(volume_kms_key="k-aws"),
        evidence(keys={KEY: KeyFacts(KEY, KEY, "CUSTOMER", policy_document(DEPLOY)),
                       "k-aws": KeyFacts("k-aws", "arn:aws:kms:us-east-1:1:key/k-aws", "AWS")}),
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
    # network-isolation
    "network isolation required and missing": (spec(), None, Policy(require_network_isolation=True),
                                               ["network-isolation"]),
    "network isolation not required": (spec(), None, Policy(), []),
    "network isolation required and set": (spec(network_isolation=True), None,
                                           Policy(require_network_isolation=True), []),
}  # fmt: skip


@pytest.mark.parametrize(
    ("job_spec", "facts", "policy", "expected"), CASES.values(), ids=CASES.keys()
)
def test_control(
    job_spec: TrainingSpec, facts: Evidence | None, policy: Policy | None, expected: list[str]
) -> None:
    assert controls_found(job_spec, facts, policy) == expected


def test_every_control_has_a_case_that_finds_it() -> None:
    found = {c for case in CASES.values() for c in case[3]}
    assert found == {c.id for c in JOB_CONTROLS}


def test_tuning_definitions_are_named_in_messages() -> None:
    job = JobFacts(
        JobKind.TUNING,
        "t",
        "arn:aws:sagemaker:us-east-1:1:hyper-parameter-tuning-job/t",
        (spec(label="small"), spec(label="large", inter_container_encryption=False)),
    )
    (finding,) = evaluate_job(job, evidence(), Policy(deploy_account_ids=(DEPLOY,)))
    assert finding.message.startswith("Definition large: ")


def test_messages_say_what_to_do() -> None:
    job_spec = spec(
        inter_container_encryption=False, output_kms_key="alias/aws/s3", volume_kms_key=None
    )
    job = JobFacts(
        JobKind.TRAINING, "j", "arn:aws:sagemaker:us-east-1:1:training-job/j", (job_spec,)
    )
    findings = evaluate_job(job, evidence(security_groups={SG_A: group(ingress=())}), Policy())
    assert [f.control for f in findings] == [
        "inter-container-encryption",
        "sg-ipsec-self-rules",
        "volume-kms",
        "kms-customer-managed",
    ]
    for finding in findings:
        assert any(verb in finding.message for verb in ("Resubmit", "Add", "Use")), finding
