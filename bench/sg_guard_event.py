"""`make bench`, part two: what one security-group event costs sg_guard (see bench/harness.py).

Whether a group is kept comes from the guard's record (one GetItem), so the cost of a
change to a group no job uses does not grow with the number of running jobs: the
scenarios with 1,000 running jobs (recorded on other groups) show it.
"""

from __future__ import annotations

from typing import Any

from bench.harness import Handle, Scenario, run
from emulator.replay import apply_change
from emulator.world import World
from training_guard.config import Policy
from training_guard.effects.aws import Clients
from training_guard.effects.notify import Notifier
from training_guard.effects.records import GroupRecord
from training_guard.sg_guard import SgGuard

SAMPLES = (
    "cloudtrail-ec2-authorize-egress-nested",
    "cloudtrail-ec2-authorize-ingress-public-nested",
    "cloudtrail-ec2-revoke-ingress-ipsec-nested",
    "cloudtrail-ec2-authorize-ingress-unguarded",
)
MANY_JOBS = 1000


def scenario(sample: str, *, kept: bool = True, running_jobs: int = 0) -> Scenario:
    def prepare(
        world: World, clients: Clients, notifier: Notifier
    ) -> tuple[Handle, dict[str, Any]]:
        if kept:  # as the job guard records and tags the groups of the jobs it lets run
            world.keep_group(world.good_group)
        for number in range(running_jobs):  # jobs in groups of their own
            world.keep_group(f"sg-{number:017x}", job=f"running-{number}", tag=False)
        event = world.event(sample)
        apply_change(world, event)
        record = GroupRecord(clients.dynamodb, world.table_name)
        guard = SgGuard(
            clients, Policy(), notifier, record, own_role="arn:aws:iam::123456789012:role/guard"
        )
        return guard.handle, event

    return prepare


if __name__ == "__main__":
    run(
        "sg_guard",
        [
            *[(s, scenario(s)) for s in SAMPLES],
            (
                "unguarded group, no running jobs",
                scenario("cloudtrail-ec2-authorize-ingress-unguarded", kept=False),
            ),
            (
                f"unguarded group, {MANY_JOBS} running jobs",
                scenario(
                    "cloudtrail-ec2-authorize-ingress-unguarded",
                    kept=False,
                    running_jobs=MANY_JOBS,
                ),
            ),
        ],
    )
