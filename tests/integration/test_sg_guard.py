"""sg_guard end to end: every EC2 sample against the emulator, rules read back after
each repair, and the guard's own changes fed back until nothing changes.

Which groups the guard keeps comes from its own record of the jobs it let run
(`World.keep_group` writes it as job_guard does); tags alone make no group kept
(tests/integration/test_group_record.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from emulator.replay import apply_change
from emulator.world import World
from support import SG_SAMPLE_NAMES, load_sample
from tests.integration.conftest import Invoke, fresh_session
from tests.integration.ec2_changes import (
    cloudtrail_event,
    ingress_cidr_rules,
    public_ingress,
    self_rules,
)
from tests.integration.faults import HttpFault
from training_guard.config import Policy
from training_guard.effects.aws import Clients, caller_role
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.facts.network import Direction
from training_guard.facts.sg_events import SECURITY_GROUP_CALLS
from training_guard.sg_guard import SgGuard

IPSEC = {("udp", 500), ("50", None)}
SSH_FROM_VPC = ("tcp", 22, "10.0.0.0/16")


@dataclass(frozen=True)
class Expected:
    controls: tuple[str, ...]
    actions: tuple[str, ...]


EXPECTED = {
    "cloudtrail-ec2-authorize-ingress-public-nested": Expected(("sg-no-public-ingress",), ("revoked",)),
    "cloudtrail-ec2-authorize-ingress-public-legacy": Expected(("sg-no-public-ingress",), ("revoked",)),
    "cloudtrail-ec2-authorize-ingress-ipv6-string-ports": Expected(("sg-no-public-ingress",), ("revoked",)),
    "cloudtrail-ec2-modify-rules-public": Expected(("sg-no-public-ingress",), ("revoked",)),
    "cloudtrail-ec2-revoke-ingress-ipsec-nested": Expected(("sg-ipsec-self-rules",), ("repaired",)),
    "cloudtrail-ec2-revoke-ingress-rule-ids": Expected(("sg-ipsec-self-rules",), ("repaired",)),
    "cloudtrail-ec2-revoke-egress-nested": Expected(("sg-ipsec-self-rules",), ("repaired",)),
    "cloudtrail-ec2-authorize-egress-nested": Expected((), ()),
    "cloudtrail-ec2-create-security-group": Expected((), ("skipped",)),
    "cloudtrail-ec2-authorize-ingress-unguarded": Expected((), ("skipped",)),
    "cloudtrail-ec2-authorize-ingress-failed": Expected((), ("skipped",)),
}  # fmt: skip


def test_every_sample_has_an_expectation() -> None:
    assert sorted(EXPECTED) == SG_SAMPLE_NAMES


def prepare(world: World, sample: str) -> dict[str, Any]:
    world.keep_group(world.good_group)  # as the job guard records and tags its jobs' groups
    event = world.event(sample)
    if sample == "cloudtrail-ec2-create-security-group":
        created = world.client("ec2").create_security_group(
            GroupName="training-sg-new", Description="new", VpcId=world.vpc_id
        )["GroupId"]
        event["detail"]["responseElements"]["groupId"] = created
    apply_change(world, event)
    return event


@pytest.mark.parametrize("sample", SG_SAMPLE_NAMES)
def test_sample(sample: str, world: World, invoke_sg: Invoke) -> None:
    expected = EXPECTED[sample]
    summary = invoke_sg(prepare(world, sample))
    assert tuple(f["control"] for f in summary["findings"]) == expected.controls
    assert tuple(a["action"] for a in summary["actions"]) == expected.actions

    # Read back: what the guard must restore is there, what it must never touch stays.
    assert public_ingress(world, world.good_group) == []
    assert self_rules(world, world.good_group, Direction.INGRESS) == IPSEC
    if sample != "cloudtrail-ec2-modify-rules-public":  # that change rewrote the SSH rule
        assert SSH_FROM_VPC in ingress_cidr_rules(world, world.good_group)
    if sample == "cloudtrail-ec2-authorize-ingress-public-nested":
        assert ("tcp", 443, "10.0.0.0/16") in ingress_cidr_rules(world, world.good_group)
    if sample == "cloudtrail-ec2-revoke-egress-nested":
        assert self_rules(world, world.good_group, Direction.EGRESS) == IPSEC

    notifications = world.notifications()
    assert len(notifications) == int(bool(expected.controls))
    for envelope in notifications:
        document = json.loads(envelope["Message"])
        assert document["kind"] == "security group"
        assert document["resource"].endswith(f":security-group/{world.good_group}")
        assert json.loads(envelope["MessageAttributes"]["control"]["Value"]) == list(
            expected.controls
        )
        caller = "arn:aws:sts::123456789012:assumed-role/NetworkAdminRole/bob"
        event_name = load_sample(sample)["detail"]["eventName"]
        assert document["trigger"].startswith(f"{event_name} by {caller}")


def test_an_unguarded_group_is_never_touched(world: World, invoke_sg: Invoke) -> None:
    event = world.event("cloudtrail-ec2-authorize-ingress-unguarded")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert summary["actions"][0]["detail"].startswith(f"{world.web_group} is not guarded")
    assert public_ingress(world, world.web_group) == [("tcp", 22, "0.0.0.0/0")]
    assert world.notifications() == []


def tags_of(world: World, group_id: str) -> dict[str, str]:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return {t["Key"]: t["Value"] for t in group.get("Tags", [])}


def test_a_job_that_started_before_the_guard_does_not_make_its_group_kept(
    world: World, invoke_sg: Invoke
) -> None:
    # The job runs in SageMaker but job_guard never let it run, so it is not in the
    # record: its untagged group is left alone (the sweeper of a later issue records
    # such jobs). There is no running-jobs scan any more.
    world.create_job_for(world.event("cloudtrail-create-training-job-compliant"))
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert summary["findings"] == []
    assert summary["actions"] == [
        {
            "action": "skipped",
            "detail": f"{world.good_group} is not guarded: no running training job the guard "
            "let run uses it. Left alone.",
        }
    ]
    assert public_ingress(world, world.good_group) == [("tcp", 3389, "0.0.0.0/0")]
    assert tags_of(world, world.good_group) == {}
    assert world.notifications() == []


def test_a_kept_group_names_the_job_that_uses_it(world: World, invoke_sg: Invoke) -> None:
    world.keep_group(world.good_group, job="fraud-model-compliant")
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert "training job fraud-model-compliant" in summary["findings"][0]["message"]
    assert public_ingress(world, world.good_group) == []
    assert tags_of(world, world.good_group) == {"training-guard:guarded": "true"}


def test_notify_mode_reports_and_touches_nothing(
    world: World, invoke_sg: Invoke, configure: Callable[..., None]
) -> None:
    configure(GUARD_MODE="notify")
    event = prepare(world, "cloudtrail-ec2-authorize-ingress-public-nested")
    summary = invoke_sg(event)
    assert summary["actions"] == [
        {"action": "skipped", "detail": "notify mode: would revoke those rules."}
    ]
    assert public_ingress(world, world.good_group) == [("tcp", 22, "0.0.0.0/0")]
    assert len(world.notifications()) == 1


def test_exempt_group_is_reported_not_touched(world: World, invoke_sg: Invoke) -> None:
    world.keep_group(world.good_group)
    world.guard_group(world.good_group, **{"training-guard:exempt": "true"})
    event = world.event("cloudtrail-ec2-revoke-ingress-ipsec-nested")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert summary["actions"][0]["detail"].endswith(
        "is tagged training-guard:exempt=true: reported, its rules left as they are."
    )
    assert self_rules(world, world.good_group, Direction.INGRESS) == {("50", None)}


def test_each_change_is_told_once(world: World, invoke_sg: Invoke) -> None:
    event = prepare(world, "cloudtrail-ec2-authorize-ingress-public-legacy")
    invoke_sg(event)
    invoke_sg(event)  # EventBridge delivers at least once
    assert len(world.notifications()) == 1
    again = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    again["detail"]["eventID"] = "a-later-change"
    apply_change(world, again)
    invoke_sg(again)  # someone opens it again: that is news
    assert len(world.notifications()) == 1


def test_job_guard_marks_and_records_the_groups_of_a_job_it_lets_run(
    world: World, invoke: Invoke
) -> None:
    event = world.event("cloudtrail-create-training-job-compliant")
    world.create_job_for(event)
    invoke(event)
    # The tag is only the visible marker and the IAM condition; what the group needs
    # is in the record, which only the guard writes.
    assert tags_of(world, world.good_group) == {"training-guard:guarded": "true"}
    (use,) = GroupRecord(world.client("dynamodb"), world.table_name).uses(world.good_group)
    assert use.job_arn.endswith(":training-job/fraud-model-compliant")
    assert use.groups == (world.good_group,)
    assert use.traffic.label == "ipsec"
    assert use.networks == ("10.0.1.0/24", "10.0.2.0/24")


class RecordedWrites:
    """The security-group calls a guard made, seen through botocore's event hooks."""

    def __init__(self, session: boto3.Session) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._pending: list[tuple[str, dict[str, Any]]] = []
        session.events.register("provide-client-params.ec2", self._before)
        session.events.register("after-call.ec2", self._after)

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._pending.append((model.name, dict(params)))

    def _after(self, http_response: Any, model: Any, **_: Any) -> None:
        name, params = self._pending.pop()
        if http_response.status_code == 200 and name in SECURITY_GROUP_CALLS:
            self.calls.append((name, params))

    def drain(self) -> list[tuple[str, dict[str, Any]]]:
        calls, self.calls = self.calls, []
        return calls


def recording_guard(world: World) -> tuple[SgGuard, RecordedWrites, str]:
    """An sg_guard whose security-group writes are recorded, and the role it runs as."""
    session = fresh_session()
    writes = RecordedWrites(session)
    clients = Clients.create(session=session)
    own_role = caller_role(clients.sts)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    record = GroupRecord(clients.dynamodb, world.table_name)
    guard = SgGuard(clients, Policy.from_environment(), notifier, record, own_role)
    return guard, writes, own_role


@pytest.mark.parametrize(
    "sample",
    [
        "cloudtrail-ec2-authorize-ingress-public-nested",
        "cloudtrail-ec2-revoke-egress-nested",
        "cloudtrail-ec2-revoke-ingress-rule-ids",
    ],
)
def test_feedback_loop_settles(
    sample: str, world: World, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    guard, writes, own_role = recording_guard(world)

    events, rounds = [prepare(world, sample)], []
    while events and len(rounds) < 5:
        summaries = [guard.handle(event).to_dict() for event in events]
        rounds.append(summaries)
        # Every write the guard made comes back as the event CloudTrail would emit.
        events = [cloudtrail_event(name, params, own_role) for name, params in writes.drain()]

    first, *rest = rounds
    assert [a["action"] for a in first[0]["actions"]] in (["revoked"], ["repaired"])
    assert len(rest) == 1, "settles after one round of the guard's own changes"
    (extra,) = rest[0]
    assert extra["findings"] == [], "the extra evaluation is empty"
    assert extra["actions"] == [], "and changes nothing"
    own_changes = [line for line in logs() if line.get("message") == "security group evaluated"]
    assert [line["own_change"] for line in own_changes] == [False, True]
    assert len(world.notifications()) == 1


def test_public_all_traffic_is_revoked_and_ipsec_restored_in_one_go(
    world: World, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    # All traffic from anywhere "admits" IPsec until it is revoked: the guard must not
    # need a second round to notice that IPsec then has no rule.
    world.keep_group(world.bad_group)
    guard, writes, own_role = recording_guard(world)
    opened = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    world.client("ec2").authorize_security_group_ingress(
        GroupId=world.bad_group, IpPermissions=[opened]
    )
    writes.drain()
    first = guard.handle(
        cloudtrail_event(
            "AuthorizeSecurityGroupIngress",
            {"GroupId": world.bad_group, "IpPermissions": [opened]},
            "arn:aws:iam::123456789012:role/NetworkAdminRole",
        )
    ).to_dict()
    assert sorted(f["control"] for f in first["findings"]) == [
        "sg-ipsec-self-rules",
        "sg-no-public-ingress",
    ]
    assert [a["action"] for a in first["actions"]] == ["revoked", "repaired"]
    feedback = [guard.handle(cloudtrail_event(n, p, own_role)).to_dict() for n, p in writes.drain()]
    assert feedback
    assert all(s["findings"] == [] and s["actions"] == [] for s in feedback)
    assert self_rules(world, world.bad_group, Direction.INGRESS) == IPSEC


def test_a_group_used_only_by_exempt_jobs_is_not_guarded(
    world: World, invoke: Invoke, invoke_sg: Invoke
) -> None:
    job = world.event("cloudtrail-create-training-job-compliant")
    job["detail"]["requestParameters"]["tags"] = [{"key": "training-guard:exempt", "value": "true"}]
    world.create_job_for(job)
    assert invoke(job)["actions"] == []  # compliant; exempt jobs are not recorded
    assert tags_of(world, world.good_group) == {}
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert summary["actions"][0]["detail"].startswith(f"{world.good_group} is not guarded")
    assert public_ingress(world, world.good_group) == [("tcp", 3389, "0.0.0.0/0")]


def test_a_group_named_only_by_name(world: World, invoke_sg: Invoke) -> None:
    ec2 = world.client("ec2")
    (default,) = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    world.keep_group(default["GroupId"])
    opened = {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }
    ec2.authorize_security_group_ingress(GroupName="default", IpPermissions=[opened])
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    request = event["detail"]["requestParameters"]
    del request["groupId"]
    request.update(groupName="default", fromPort=22, toPort=22)
    summary = invoke_sg(event)
    assert summary["resource"].endswith(f":security-group/{default['GroupId']}")
    assert [a["action"] for a in summary["actions"]] == [
        "revoked",
        "repaired",
    ]  # guarded: IPsec too
    assert public_ingress(world, default["GroupId"]) == []


def test_refused_tagging_of_a_kept_group_is_told(world: World) -> None:
    world.keep_group(world.good_group, tag=False)  # someone removed the tag
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    apply_change(world, event)
    session = fresh_session()
    HttpFault("ec2", "CreateTags", "UnauthorizedOperation").install(session)
    clients = Clients.create(session=session)
    notifier = Notifier(clients.sns, world.topic_arn, clients.dynamodb, world.table_name)
    record = GroupRecord(clients.dynamodb, world.table_name)
    summary = SgGuard(clients, Policy(), notifier, record).handle(event).to_dict()
    assert [a["action"] for a in summary["actions"]] == ["failed", "skipped"]
    assert "UnauthorizedOperation" in summary["actions"][0]["detail"]
    assert public_ingress(world, world.good_group) == [("tcp", 3389, "0.0.0.0/0")]
    (notification,) = world.notifications()
    assert notification["Subject"].endswith("guard action failed")


def test_a_kept_group_whose_tag_was_removed_is_tagged_again_and_repaired(
    world: World, invoke_sg: Invoke
) -> None:
    world.keep_group(world.good_group, tag=False)  # someone removed the tag
    event = world.event("cloudtrail-ec2-authorize-ingress-public-legacy")
    apply_change(world, event)
    summary = invoke_sg(event)
    assert [a["action"] for a in summary["actions"]] == ["revoked"]
    assert tags_of(world, world.good_group) == {"training-guard:guarded": "true"}
    assert public_ingress(world, world.good_group) == []


# --- peers as IAM sees them: managed prefix lists, other accounts' groups -------------


def prefix_list(world: World, *cidrs: str) -> str:
    created = world.client("ec2").create_managed_prefix_list(
        PrefixListName=f"list-{len(cidrs)}",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": c} for c in cidrs],
    )
    return str(created["PrefixList"]["PrefixListId"])


def authorize(world: World, group_id: str, *permissions: dict[str, Any]) -> dict[str, Any]:
    """Make the change, and return the CloudTrail event it would emit."""
    world.client("ec2").authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=list(permissions)
    )
    return cloudtrail_event(
        "AuthorizeSecurityGroupIngress",
        {"GroupId": group_id, "IpPermissions": list(permissions)},
        "arn:aws:sts::123456789012:assumed-role/NetworkAdminRole/bob",
    )


def test_a_prefix_list_holding_the_internet_is_public_ingress(
    world: World, invoke_sg: Invoke
) -> None:
    world.keep_group(world.good_group)
    anywhere = prefix_list(world, "0.0.0.0/0")
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}
    summary = invoke_sg(
        authorize(world, world.good_group, {**ssh, "PrefixListIds": [{"PrefixListId": anywhere}]})
    )
    assert [f["control"] for f in summary["findings"]] == ["sg-no-public-ingress"]
    assert summary["actions"] == [
        {
            "action": "revoked",
            "detail": f"Revoked public ingress on {world.good_group}: tcp 22 with {anywhere}.",
        }
    ]
    group = world.client("ec2").describe_security_groups(GroupIds=[world.good_group])[
        "SecurityGroups"
    ][0]
    assert not [p for p in group["IpPermissions"] if p.get("PrefixListIds")]
    assert SSH_FROM_VPC in ingress_cidr_rules(world, world.good_group)  # the rule's other peer


def test_a_prefix_list_holding_the_jobs_subnets_admits_ipsec(
    world: World, invoke_sg: Invoke
) -> None:
    world.keep_group(world.bad_group)  # recorded with the subnets 10.0.1.0/24, 10.0.2.0/24
    subnets = [{"PrefixListId": prefix_list(world, "10.0.1.0/24", "10.0.2.0/24")}]
    summary = invoke_sg(
        authorize(
            world,
            world.bad_group,
            {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500, "PrefixListIds": subnets},
            {"IpProtocol": "50", "PrefixListIds": subnets},
        )
    )
    assert summary["findings"] == []
    assert summary["actions"] == []
    assert self_rules(world, world.bad_group, Direction.INGRESS) == set()


def test_another_accounts_group_of_the_same_id_is_not_the_jobs_group(
    world: World, invoke_sg: Invoke
) -> None:
    world.keep_group(world.bad_group)
    theirs = [{"GroupId": world.bad_group, "UserId": "210987654321"}]
    event = authorize(
        world,
        world.bad_group,
        {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500, "UserIdGroupPairs": theirs},
        {"IpProtocol": "50", "UserIdGroupPairs": theirs},
    )
    assert self_rules(world, world.bad_group, Direction.INGRESS) == set()  # only theirs
    summary = invoke_sg(event)
    assert [f["control"] for f in summary["findings"]] == ["sg-ipsec-self-rules"]
    assert [a["action"] for a in summary["actions"]] == ["repaired"]
    assert self_rules(world, world.bad_group, Direction.INGRESS) == IPSEC
