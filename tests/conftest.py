"""Settings every test shares. Powertools must not try to reach X-Ray or CloudWatch."""

from __future__ import annotations

import os

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "TrainingGuard")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "training-guard")
os.environ.setdefault("POWERTOOLS_DEV", "false")
