"""The IAM actions each function needs, derived from what its code declares.

tests/unit/test_permissions.py holds template.yaml to exactly these: a grant the
code does not use, or a call the template does not allow, fails the build.
"""

from __future__ import annotations

from collections.abc import Iterable

from training_guard.controls import GROUP_CONTROLS, JOB_CONTROLS, Control, Remediation
from training_guard.effects.guarded import RUNNING_JOB_PERMISSIONS
from training_guard.effects.jobs import STOP_PERMISSIONS, TUNING_JOB_PERMISSIONS
from training_guard.effects.loaders import FACT_PERMISSIONS
from training_guard.effects.notify import (
    PUBLISH_PERMISSIONS,
    STATE_PERMISSIONS,
    TOPIC_KEY_PERMISSIONS,
)
from training_guard.effects.security_groups import (
    REPAIR_PERMISSIONS,
    REVOKE_PERMISSIONS,
)
from training_guard.effects.security_groups import TAG_PERMISSIONS as GROUP_TAG_PERMISSIONS

REMEDIATION_PERMISSIONS: dict[Remediation, tuple[str, ...]] = {
    Remediation.STOP_JOB: STOP_PERMISSIONS,
    Remediation.ADD_RULES: REPAIR_PERMISSIONS,
    Remediation.REVOKE_RULES: REVOKE_PERMISSIONS,
    Remediation.REPORT: (),
}
NOTIFY_PERMISSIONS = PUBLISH_PERMISSIONS + TOPIC_KEY_PERMISSIONS + STATE_PERMISSIONS


def control_permissions(controls: Iterable[Control]) -> frozenset[str]:
    """What loading the controls' facts and carrying out their remediations takes."""
    actions: set[str] = set()
    for control in controls:
        for fact in control.needs:
            actions.update(FACT_PERMISSIONS[fact])
        actions.update(REMEDIATION_PERMISSIONS[control.remediation])
    return frozenset(actions)


def job_guard_permissions() -> frozenset[str]:
    # A child training job is judged as its tuning job; CreateTags marks the job's
    # groups as guarded.
    return (
        control_permissions(JOB_CONTROLS)
        | set(TUNING_JOB_PERMISSIONS)
        | set(GROUP_TAG_PERMISSIONS)
        | set(NOTIFY_PERMISSIONS)
    )


def sg_guard_permissions() -> frozenset[str]:
    # The running-jobs scan decides groups no job guard has tagged, and tags them.
    return (
        control_permissions(GROUP_CONTROLS)
        | set(RUNNING_JOB_PERMISSIONS)
        | set(GROUP_TAG_PERMISSIONS)
        | set(NOTIFY_PERMISSIONS)
    )
