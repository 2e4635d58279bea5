"""Pure controls: facts and policy in, findings out. No AWS calls here."""

from training_guard.controls.registry import (
    CONTROLS_BY_ID,
    GROUP_CONTROLS,
    JOB_CONTROLS,
    Control,
    Remediation,
    evaluate_group,
    evaluate_job,
    facts_needed,
    remediation_of,
)

__all__ = [
    "CONTROLS_BY_ID",
    "GROUP_CONTROLS",
    "JOB_CONTROLS",
    "Control",
    "Remediation",
    "evaluate_group",
    "evaluate_job",
    "facts_needed",
    "remediation_of",
]
