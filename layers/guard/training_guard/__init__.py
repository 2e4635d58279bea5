"""Training Guard: keep SageMaker training jobs encrypted, private and on customer-managed keys."""

from training_guard.config import GuardMode, Policy
from training_guard.model import Action, ActionKind, Finding, Severity, Summary

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ActionKind",
    "Finding",
    "GuardMode",
    "Policy",
    "Severity",
    "Summary",
    "__version__",
]
