"""Helpers every test may use: the sample events and a Lambda context."""

from __future__ import annotations

from emulator.lambda_context import LambdaContext
from emulator.world import EVENTS_DIR, load_sample

SAMPLE_NAMES = sorted(p.stem for p in EVENTS_DIR.glob("*.json"))

__all__ = ["SAMPLE_NAMES", "LambdaContext", "load_sample"]
