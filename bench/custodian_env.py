"""Cloud Custodian in a throwaway virtual environment, for the benchmarks' comparisons.

c7n pins exact versions of boto3, urllib3 and others that clash with ours, so it never
enters .venv: it gets its own `.venv-c7n`, created on first use. c7n 0.9.53 pins
boto3 1.43.x, which honours AWS_ENDPOINT_URL (boto3 1.28 and later), so Custodian reaches
the emulator exactly as the guard does.
"""

from __future__ import annotations

import fcntl
import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

C7N_VERSION = "0.9.53"
ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-c7n"
# Written last: a venv without it is a half-finished install, done again.
STAMP = VENV / f".installed-c7n-{C7N_VERSION}"
LOCK = ROOT / ".venv-c7n.lock"


def custodian_python() -> pathlib.Path:
    """The Python of a virtual environment holding c7n==C7N_VERSION, created if missing."""
    python = VENV / "bin" / "python"
    if STAMP.exists():
        return python
    with _exclusive(LOCK):
        # Another process may have finished the install while this one waited.
        if not STAMP.exists():
            _install(python)
    return python


@contextmanager
def _exclusive(path: pathlib.Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(python: pathlib.Path) -> None:
    print(f"creating {VENV.name} with c7n=={C7N_VERSION} (first use only)", file=sys.stderr)
    subprocess.run(["python3", "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, f"c7n=={C7N_VERSION}"], check=True, env=_without_our_venv())
    STAMP.touch()


def _without_our_venv() -> dict[str, str]:
    """The environment minus .venv's activation, so pip installs into .venv-c7n alone."""
    environment = dict(os.environ)
    environment.pop("VIRTUAL_ENV", None)
    environment.pop("PYTHONPATH", None)
    return environment


if __name__ == "__main__":
    print(custodian_python())
