"""`make bench`, part two: what one security-group event costs sg_guard (see bench/harness.py)."""

from __future__ import annotations

from typing import Any

from bench.harness import Handle, Scenario, run
from emulator.replay import apply_change
from emulator.world import World
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.sg_guard import SgGuard

SAMPLES = (
    "cloudtrail-ec2-authorize-egress-nested",
    "cloudtrail-ec2-authorize-ingress-public-nested",
    "cloudtrail-ec2-revoke-ingress-ipsec-nested",
    "cloudtrail-ec2-authorize-ingress-unguarded",
)
RUNNING_JOBS = 20


def scenario(sample: str, *, tagged: bool = True, running_jobs: int = 0) -> Scenario:
    def prepare(
        world: World, clients: Clients, notifier: Notifier
    ) -> tuple[Handle, dict[str, Any]]:
        if tagged:  # as the job guard tags the groups of the jobs it lets run
            world.guard_group(
                world.good_group, **{"training-guard:subnet-cidrs": "10.0.1.0/24 10.0.2.0/24"}
            )
        job = world.event("cloudtrail-create-training-job-compliant")
        for number in range(running_jobs):
            job["detail"]["requestParameters"]["trainingJobName"] = f"running-{number}"
            world.create_job_for(job)
        event = world.event(sample)
        apply_change(world, event)
        guard = SgGuard(
            clients, Policy(), notifier, own_role="arn:aws:iam::123456789012:role/guard"
        )
        return guard.handle, event

    return prepare


if __name__ == "__main__":
    run(
        "sg_guard",
        [
            *[(s, scenario(s)) for s in SAMPLES],
            (
                f"public ingress, untagged group, {RUNNING_JOBS} running jobs",
                scenario(
                    "cloudtrail-ec2-authorize-ingress-public-nested",
                    tagged=False,
                    running_jobs=RUNNING_JOBS,
                ),
            ),
        ],
    )
