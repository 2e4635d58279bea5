"""A stand-in for a Slack incoming webhook: a real HTTP server on 127.0.0.1, in a thread.

It records every request (path, headers, JSON body, arrival time) and answers from a
script: Slack's 200 "ok" by default, or what a test lines up, such as a 429 with a
Retry-After header or a 500. Slack's own answers are short plain-text codes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T0TRAINING/B0GUARD/s3cr3tW3bh00kT0k3n"


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


OK = Answer()


def rate_limited(retry_after: str) -> Answer:
    return Answer(429, "rate_limited", {"Retry-After": retry_after})


def server_error() -> Answer:
    return Answer(500, "rollup_error")


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any  # the JSON document posted, or None when it was not JSON
    at: float  # time.monotonic() when the request arrived
    answered: int  # the status the server gave it


class WebhookServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Answer] = deque()
        self._then = OK
        self._requests: list[Recorded] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{WEBHOOK_PATH}"

    def answer(self, *answers: Answer, then: Answer = OK) -> None:
        """Answer the next requests with `answers`, in order, and every later one with `then`."""
        with self._lock:
            self._script = deque(answers)
            self._then = then

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def posted(self) -> list[Any]:
        """The bodies Slack took (answered 2xx)."""
        return [r.body for r in self.requests if 200 <= r.answered < 300]

    def _next_answer(self) -> Answer:
        with self._lock:
            return self._script.popleft() if self._script else self._then

    def _record(self, request: Recorded) -> None:
        with self._lock:
            self._requests.append(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.monotonic()
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = server._next_answer()
                server._record(
                    Recorded(
                        self.path, dict(self.headers.items()), _json(raw), arrived, answer.status
                    )
                )
                payload = answer.body.encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                # http.server writes each request line (the URL, a secret) to stderr.
                return

        return Handler

    def start(self) -> WebhookServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer().start()
    try:
        yield server
    finally:
        server.stop()


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
