"""The IAM actions each function needs, derived from what its code declares.

tests/unit/test_permissions.py holds template.yaml to exactly these, in both modes:
a grant the code does not use, or a call the template does not allow, fails the build,
and in notify mode the roles hold no stop, authorize, revoke or tag grant.
"""

from __future__ import annotations

from collections.abc import Iterable

from training_guard.config import GuardMode
from training_guard.controls import CONTROLS, GROUP_CONTROLS, Control
from training_guard.effects.fleet import FLEET_PERMISSIONS
from training_guard.effects.jobs import DESCRIBE_PERMISSIONS
from training_guard.effects.notify import (
    PUBLISH_PERMISSIONS,
    STATE_PERMISSIONS,
    TOPIC_KEY_PERMISSIONS,
)
from training_guard.effects.records import RECORD_READ_PERMISSIONS, RECORD_WRITE_PERMISSIONS
from training_guard.effects.security_groups import TAG_PERMISSIONS, UNTAG_PERMISSIONS
from training_guard.sweeper import SWEEP_STATE_PERMISSIONS

NOTIFY_PERMISSIONS = frozenset(PUBLISH_PERMISSIONS + TOPIC_KEY_PERMISSIONS + STATE_PERMISSIONS)


def reads(controls: Iterable[Control]) -> frozenset[str]:
    return frozenset().union(*(c.read_permissions for c in controls))


def writes(controls: Iterable[Control]) -> frozenset[str]:
    return frozenset().union(*(c.write_permissions for c in controls))


def job_guard_permissions(mode: GuardMode = GuardMode.ENFORCE) -> frozenset[str]:
    # Incomplete events are completed with Describe calls; the record of running jobs
    # is written, and removed when they end; CreateTags marks the groups of jobs it lets run.
    needed = (
        reads(CONTROLS)
        | set(DESCRIBE_PERMISSIONS)
        | set(RECORD_WRITE_PERMISSIONS)
        | NOTIFY_PERMISSIONS
    )
    if mode is GuardMode.ENFORCE:
        needed |= writes(CONTROLS) | set(TAG_PERMISSIONS)
    return needed


def sweeper_permissions(mode: GuardMode = GuardMode.ENFORCE) -> frozenset[str]:
    # Each running job through the job guard; the lists that find them; where the last
    # sweep stopped; which guarded groups the record still knows, and their tags removed.
    needed = (
        job_guard_permissions(mode)
        | set(FLEET_PERMISSIONS)
        | set(SWEEP_STATE_PERMISSIONS)
        | set(RECORD_READ_PERMISSIONS)
        | {"ec2:DescribeSecurityGroups"}
    )
    if mode is GuardMode.ENFORCE:
        needed |= set(UNTAG_PERMISSIONS)
    return needed


def sg_guard_permissions(mode: GuardMode = GuardMode.ENFORCE) -> frozenset[str]:
    # The record says which groups are kept; CreateTags re-marks one whose tag was removed.
    needed = reads(GROUP_CONTROLS) | set(RECORD_READ_PERMISSIONS) | NOTIFY_PERMISSIONS
    if mode is GuardMode.ENFORCE:
        needed |= writes(GROUP_CONTROLS) | set(TAG_PERMISSIONS)
    return needed


def slack_notifier_permissions() -> frozenset[str]:
    # One claim per SNS message in the state table, and the webhook URL's secret.
    # Imported here: the webhook effects need slack_sdk, which only slack_notifier carries.
    from training_guard.effects.ledger import LEDGER_PERMISSIONS  # noqa: PLC0415
    from training_guard.effects.webhook import SECRET_PERMISSIONS  # noqa: PLC0415

    return frozenset(LEDGER_PERMISSIONS + SECRET_PERMISSIONS)
