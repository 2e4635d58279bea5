"""Faults the emulator cannot produce (throttling, access denied), injected at the HTTP
layer with botocore's `before-send` event: the call never reaches the emulator and
the client sees the error response AWS would send. No boto3 method is patched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

JSON_SERVICES = {"sagemaker", "kms", "dynamodb"}


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class HttpFault:
    """Answer `service.Operation` with an AWS error, for the first `times` calls (None: always)."""

    def __init__(self, service: str, operation: str, code: str, times: int | None = None) -> None:
        self.service, self.operation, self.code, self.times = service, operation, code, times
        self.calls = 0

    def install(self, session: boto3.Session) -> HttpFault:
        session.events.register(f"before-send.{self.service}.{self.operation}", self)
        return self

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.times is not None and self.calls >= self.times:
            return None
        self.calls += 1
        return AWSResponse(request.url, 400, *self._response())

    def _response(self) -> tuple[dict[str, str], _Body]:
        message = f"injected {self.code} for {self.operation}"
        if self.service in JSON_SERVICES:
            body = json.dumps({"__type": self.code, "message": message}).encode()
            return {"Content-Type": "application/x-amz-json-1.1"}, _Body(body)
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{self.code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        ).encode()
        return {"Content-Type": "text/xml"}, _Body(body)
