"""Where moto 5.2 differs from AWS in ways the guard depends on, model AWS.

Each extension patches moto in-process (the threaded server runs in this process),
cites the AWS behaviour it models, and has a test in tests/integration/test_emulator.py.
"""

from __future__ import annotations

from emulator.extensions import ec2, kms, sagemaker

_installed = False


def install_extensions() -> None:
    global _installed  # noqa: PLW0603 - patches must be applied exactly once per process
    if _installed:
        return
    sagemaker.install()
    ec2.install()
    kms.install()
    _installed = True
