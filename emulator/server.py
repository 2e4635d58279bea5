"""Start and stop moto's threaded server on a free loopback port."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import requests
from moto.server import ThreadedMotoServer

from emulator.extensions import install_extensions

HOST = "127.0.0.1"
# Credentials for the emulator only; moto accepts any.
EMULATOR_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Emulator:
    """moto in server mode, reached by real boto3 HTTP calls through AWS_ENDPOINT_URL."""

    def __init__(self, port: int | None = None) -> None:
        install_extensions()
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._server = ThreadedMotoServer(ip_address=HOST, port=self.port, verbose=False)

    def start(self) -> Emulator:
        # One line per request would drown the demo's story.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource, as a fresh account would have none."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @contextmanager
    def environment(self) -> Iterator[None]:
        """Point boto3 at the emulator for the duration of the block."""
        wanted = {**EMULATOR_ENVIRONMENT, "AWS_ENDPOINT_URL": self.url}
        saved = {k: os.environ.get(k) for k in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
