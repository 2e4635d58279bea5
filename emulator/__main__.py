"""`python -m emulator [--port N]`: run the extended moto server on 127.0.0.1 until stopped.

Point any AWS client at it with AWS_ENDPOINT_URL=http://127.0.0.1:N (any credentials).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from emulator.server import Emulator


def main() -> None:
    arguments = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    arguments.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    port = arguments.parse_args().port or None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Emulator(port) as emulator:
        print(emulator.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


if __name__ == "__main__":
    main()
