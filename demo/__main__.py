"""Run the guards on six typical jobs, four security-group changes and a scheduled sweep
in an emulated account, and tell what happened."""

from __future__ import annotations

import copy
import io
import json
import os
import time
import warnings
from contextlib import redirect_stdout
from typing import Any

from emulator import Emulator
from emulator.lambda_context import LambdaContext
from emulator.replay import apply_change
from emulator.world import DEPLOY_ACCOUNT, World
from functions.job_guard import app
from functions.sg_guard import app as sg_app
from functions.sweeper import app as sweep_app
from training_guard.observability import logger

STORY = (
    ("cloudtrail-create-training-job-compliant", "a compliant distributed job"),
    ("cloudtrail-create-training-job-unencrypted", "a distributed job without traffic encryption"),
    ("cloudtrail-create-training-job-no-vpc", "a job outside any VPC"),
    ("cloudtrail-create-training-job-aws-managed-key", "a job whose artifacts use aws/s3"),
    ("cloudtrail-create-hyper-parameter-tuning-job", "a tuning job without traffic encryption"),
    ("cloudtrail-create-training-job-missing-ipsec", "a job whose security group lacks IPsec"),
)


def main() -> None:
    # Powertools warns when an invocation emits no metric, as a compliant job's does.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logger.setLevel("ERROR")  # the story is told below; the JSON log lines would drown it
    started = time.perf_counter()
    print("Training Guard demo: a local AWS emulator (moto) on 127.0.0.1, no AWS account.\n")
    with Emulator() as emulator, emulator.environment():
        world = World.build()
        _configure(world)
        print(
            f"Account 123456789012, us-east-1: VPC {world.vpc_id}, subnets "
            f"{', '.join(world.subnet_ids)}, security group {world.good_group} (IPsec self "
            f"rules) and {world.bad_group} (none), customer managed key {world.key_id}.\n"
        )
        for number, (sample, story) in enumerate(STORY, start=1):
            _episode(world, number, sample, story)
        print("Later, people change security groups. The job guard recorded the jobs it let run")
        print(f"and the groups they use ({world.good_group}, {world.bad_group}) in its own table,")
        print("and tagged those groups; sg_guard keeps recorded groups right. A tag alone is")
        print("no authority: anyone may write one.\n")
        for number, (sample, story) in enumerate(GROUP_STORY, start=len(STORY) + 1):
            _group_episode(world, number, sample, story)
        _sweep(world, len(STORY) + len(GROUP_STORY) + 1)
        _notifications(world)
    print(f"\nDone in {time.perf_counter() - started:.1f} s. Run `make test` for the full suite.")


GROUP_STORY = (
    (
        "cloudtrail-ec2-authorize-ingress-public-nested",
        "opens SSH to the internet on the training group",
    ),
    (
        "cloudtrail-ec2-revoke-ingress-ipsec-nested",
        "deletes the training group's UDP 500 (IKE) self rule",
    ),
    (
        "cloudtrail-ec2-authorize-ingress-unguarded",
        "opens SSH to the internet on the web servers' group",
    ),
    (
        "cloudtrail-ec2-authorize-ingress-unguarded",
        "tags the web servers' group training-guard:guarded=true by hand and changes it",
    ),
)


def _configure(world: World) -> None:
    os.environ.update(
        NOTIFY_TOPIC_ARN=world.topic_arn,
        STATE_TABLE_NAME=world.table_name,
        GUARD_MODE="enforce",
        DEPLOY_ACCOUNT_IDS=DEPLOY_ACCOUNT,
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_NAMESPACE="TrainingGuard",
    )


def _episode(world: World, number: int, sample: str, story: str) -> None:
    event = world.event(sample)
    world.create_job_for(event)
    name = _job_name(event)
    print(f"{number}. Someone starts {story}: {name}")
    with redirect_stdout(io.StringIO()):  # Powertools writes metrics to stdout
        summary = app.lambda_handler(event, LambdaContext())
    if not summary["findings"]:
        print("   Guard: compliant, left alone.")
    for finding in summary["findings"]:
        print(
            f"   Finding [{finding['severity']}] {finding['control']}: {_first_sentence(finding)}"
        )
    for action in summary["actions"]:
        print(f"   Action  {action['action']}: {action['detail']}")
    if any(a["action"] == "repaired" for a in summary["actions"]):
        print(f"   Rules read back: {_self_rules(world, world.bad_group)}")
    print(f"   Job status now: {_status(world, event)}\n")


def _group_episode(world: World, number: int, sample: str, story: str) -> None:
    event = world.event(sample)
    if "by hand" in story:  # SSH is still open from the episode before
        world.guard_group(world.web_group)
    else:
        apply_change(world, event)
    group = event["detail"]["requestParameters"]["groupId"]
    print(f"{number}. bob@NetworkAdminRole {story}: {group}")
    with redirect_stdout(io.StringIO()):
        summary = sg_app.lambda_handler(event, LambdaContext.named("sg-guard"))
    for finding in summary["findings"]:
        print(
            f"   Finding [{finding['severity']}] {finding['control']}: {_first_sentence(finding)}"
        )
    for action in summary["actions"]:
        print(f"   Action  {action['action']}: {action['detail']}")
    print(f"   Read back: {_ingress(world, group)}\n")


def _sweep(world: World, number: int) -> None:
    """A job whose events never reached the guard (the trail was off), found by the
    scheduled sweep; and the hand-tagged group, which no running job uses, untagged."""
    event = copy.deepcopy(world.event("cloudtrail-create-training-job-unencrypted"))
    event["detail"]["requestParameters"]["trainingJobName"] = "nightly-retrain-no-trail"
    world.create_job_for(event)
    print(f"{number}. A job starts while the CloudTrail trail is off: nightly-retrain-no-trail.")
    print("   No event reaches the guard. Then the scheduled sweep runs:")
    schedule = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}
    with redirect_stdout(io.StringIO()):
        summary = sweep_app.lambda_handler(schedule, LambdaContext.named("sweeper"))
    print(f"   Visited {summary['visited']} running jobs (a whole pass: {summary['complete']}).")
    for action in summary["actions"]:
        if action["action"] != "skipped":
            print(f"   Action  {action['action']}: {action['detail']}")
    for group in summary["untagged"]:
        print(f"   Untagged {group}: no running job the guard let run uses it.")
    print(f"   Job status now: {_status(world, event)}\n")


def _ingress(world: World, group_id: str) -> str:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    rules = []
    for p in group["IpPermissions"]:
        port = f":{p['FromPort']}" if "FromPort" in p else ""
        peers = [q["GroupId"] for q in p.get("UserIdGroupPairs", [])]
        peers += [r["CidrIp"] for r in p.get("IpRanges", [])]
        rules += [
            f"{p['IpProtocol']}{port} from {'self' if peer == group_id else peer}" for peer in peers
        ]
    return f"{group_id} inbound: {', '.join(rules) or 'nothing'}"


def _notifications(world: World) -> None:
    received = world.notifications()
    print(f"SNS published {len(received)} notification(s) (read back through an SQS subscription):")
    for envelope in received:
        attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
        print(f"  - {envelope['Subject']}")
        print(f"    attributes: {json.dumps(attributes, sort_keys=True)}")
    _first_as_people_see_it(world)


def _first_as_people_see_it(world: World) -> None:
    published = world.published()
    if not published:
        return
    variants = json.loads(published[0]["Message"])
    card = json.loads(variants["default"])
    print("\nThe first one, as Slack or Teams shows it through AWS Chatbot (`default`):")
    print(f"  {card['content']['title']}")
    for line in card["content"]["description"].splitlines():
        print(f"  {line}")
    print("\nand as email (`email`):")
    for line in variants["email"].splitlines():
        print(f"  {line}")


def _self_rules(world: World, group_id: str) -> str:
    group = world.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    rules = [
        f"{direction} {p['IpProtocol']}{':' + str(p['FromPort']) if 'FromPort' in p else ''}"
        for direction, key in (("in", "IpPermissions"), ("out", "IpPermissionsEgress"))
        for p in group[key]
        if any(pair["GroupId"] == group_id for pair in p.get("UserIdGroupPairs", []))
    ]
    return f"{group_id} now allows from itself: {', '.join(rules)}"


def _job_name(event: dict[str, Any]) -> str:
    request = event["detail"]["requestParameters"]
    return str(request.get("trainingJobName") or request.get("hyperParameterTuningJobName"))


def _status(world: World, event: dict[str, Any]) -> str:
    sagemaker = world.client("sagemaker")
    request = event["detail"]["requestParameters"]
    if "trainingJobName" in request:
        job = sagemaker.describe_training_job(TrainingJobName=request["trainingJobName"])
        return str(job["TrainingJobStatus"])
    name = request["hyperParameterTuningJobName"]
    job = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    return str(job["HyperParameterTuningJobStatus"])


def _first_sentence(finding: dict[str, str]) -> str:
    return (
        finding["message"].split(": ")[0] if len(finding["message"]) > 140 else finding["message"]
    )


if __name__ == "__main__":
    main()
