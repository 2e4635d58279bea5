"""Helpers every test may use: the sample events and a Lambda context."""

from __future__ import annotations

from emulator.lambda_context import LambdaContext
from emulator.world import EVENTS_DIR, load_sample

SAMPLE_NAMES = sorted(p.stem for p in EVENTS_DIR.glob("*.json"))
# Security-group changes go to sg_guard; every other sample to job_guard.
SG_SAMPLE_NAMES = [n for n in SAMPLE_NAMES if n.startswith("cloudtrail-ec2-")]
JOB_SAMPLE_NAMES = [n for n in SAMPLE_NAMES if n not in SG_SAMPLE_NAMES]

__all__ = ["JOB_SAMPLE_NAMES", "SAMPLE_NAMES", "SG_SAMPLE_NAMES", "LambdaContext", "load_sample"]
