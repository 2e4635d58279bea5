"""No secret reaches a message or a log line: hyperparameters, environment values, rule
descriptions and tag values other than the owner tag's are planted with secret-looking
values, and every variant of every published message (default, email, sqs, lambda, the
subject and the attributes) and every log line is searched for them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from emulator.replay import apply_change
from emulator.world import World
from tests.integration.conftest import Invoke

SECRETS = {
    "hyperparameter": "hp-secret-AKIAIOSFODNN7EXAMPLE",
    "environment": "env-secret-wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "tag": "tag-secret-ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "description": "rule-secret-xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
}
OWNER = "ml-platform"


def everything_told(world: World, logs: Callable[[], list[dict[str, Any]]]) -> str:
    published = world.published()
    assert published, "the scenario must publish something to search"
    return json.dumps(published) + json.dumps(logs())


def test_a_jobs_secrets_reach_no_message_and_no_log(
    world: World,
    invoke: Invoke,
    configure: Callable[..., None],
    logs: Callable[[], list[dict[str, Any]]],
) -> None:
    configure(OWNER_TAG_KEY="team")
    event = world.event("cloudtrail-create-training-job-unencrypted")
    request = event["detail"]["requestParameters"]
    request["hyperParameters"]["api_key"] = SECRETS["hyperparameter"]
    request["environment"] = {"DB_PASSWORD": SECRETS["environment"]}
    request["tags"] = [
        {"key": "team", "value": OWNER},
        {"key": "billing-token", "value": SECRETS["tag"]},
    ]
    world.create_job_for(event)
    assert all(secret in json.dumps(event) for secret in SECRETS.values() if "rule" not in secret)

    summary = invoke(event)

    assert [a["action"] for a in summary["actions"]] == ["stopped"]
    told = everything_told(world, logs)
    for where, secret in SECRETS.items():
        assert secret not in told, f"the {where} value leaked"
    (message,) = world.published()
    assert message["Attributes"]["owner"] == {"Type": "String", "Value": OWNER}


def test_a_rule_description_and_group_tags_reach_no_message_and_no_log(
    world: World,
    invoke_sg: Invoke,
    configure: Callable[..., None],
    logs: Callable[[], list[dict[str, Any]]],
) -> None:
    configure(OWNER_TAG_KEY="team")
    world.keep_group(world.good_group)
    world.client("ec2").create_tags(
        Resources=[world.good_group],
        Tags=[{"Key": "team", "Value": OWNER}, {"Key": "api-token", "Value": SECRETS["tag"]}],
    )
    event = world.event("cloudtrail-ec2-authorize-ingress-public-nested")
    for item in event["detail"]["requestParameters"]["ipPermissions"]["items"]:
        for ranges in ("ipRanges", "ipv6Ranges"):
            for entry in item.get(ranges, {}).get("items", []):
                entry["description"] = SECRETS["description"]
    apply_change(world, event)
    assert SECRETS["description"] in json.dumps(event)

    summary = invoke_sg(event)

    assert "revoked" in [a["action"] for a in summary["actions"]]
    told = everything_told(world, logs)
    for where, secret in SECRETS.items():
        assert secret not in told, f"the {where} value leaked"
    (message,) = world.published()
    assert message["Attributes"]["owner"] == {"Type": "String", "Value": OWNER}
