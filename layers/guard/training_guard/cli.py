"""The `training-guard` command. `scan` arrives with the sweeper; today it tells its version."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from training_guard import __version__


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="training-guard",
        description="Keep SageMaker training jobs encrypted, private and on customer managed keys.",
    )
    command.add_argument("--version", action="version", version=f"training-guard {__version__}")
    return command


def main(argv: Sequence[str] | None = None) -> int:
    parser().parse_args(argv)
    parser().print_help()
    return 0
