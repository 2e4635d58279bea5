"""Pure controls: facts and policy in, findings out. No AWS calls here.

Each control is one unit declared beside its check (controls/base.py `control`):
id, severity, remediation, why, docs, fix, the facts it needs and so the IAM
actions its facts and remediation take. The registry collects them.
"""

from training_guard.controls.base import (
    Control,
    MissingRules,
    PublicIngress,
    Remediation,
    Scope,
    Verdict,
)
from training_guard.controls.registry import (
    CONTROLS,
    CONTROLS_BY_ID,
    GROUP_CONTROLS,
    JOB_CONTROLS,
    evaluate_groups,
    evaluate_job,
    evaluate_request,
    facts_needed,
    group_set,
    remediation_of,
)

__all__ = [
    "CONTROLS",
    "CONTROLS_BY_ID",
    "GROUP_CONTROLS",
    "JOB_CONTROLS",
    "Control",
    "MissingRules",
    "PublicIngress",
    "Remediation",
    "Scope",
    "Verdict",
    "evaluate_groups",
    "evaluate_job",
    "evaluate_request",
    "facts_needed",
    "group_set",
    "remediation_of",
]
