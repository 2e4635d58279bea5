"""`make bench`, part one: what one event costs the job guard (see bench/harness.py)."""

from __future__ import annotations

from typing import Any

from bench.harness import Handle, Scenario, run
from emulator.world import DEPLOY_ACCOUNT, World
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.job_guard import JobGuard

SAMPLES = (
    "cloudtrail-create-training-job-compliant",
    "cloudtrail-create-training-job-unencrypted",
    "cloudtrail-create-training-job-missing-ipsec",
    "cloudtrail-create-hyper-parameter-tuning-job",
    "sagemaker-training-job-state-change-in-progress",
    "sagemaker-training-job-state-change-tuning-child",
)


def scenario(sample: str) -> Scenario:
    def prepare(
        world: World, clients: Clients, notifier: Notifier
    ) -> tuple[Handle, dict[str, Any]]:
        event = world.event(sample)
        if "tuning-child" in sample:
            world.create_job_for(world.event("cloudtrail-create-hyper-parameter-tuning-job"))
        world.create_job_for(event)
        record = GroupRecord(clients.dynamodb, world.table_name)
        guard = JobGuard(clients, Policy(deploy_account_ids=(DEPLOY_ACCOUNT,)), notifier, record)
        return guard.handle, event

    return prepare


if __name__ == "__main__":
    run("job_guard (DEPLOY_ACCOUNT_IDS set)", [(s, scenario(s)) for s in SAMPLES])
