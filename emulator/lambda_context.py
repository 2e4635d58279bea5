"""The Lambda context a handler receives, for calling handlers directly (no Docker here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LambdaContext:
    """The attributes Powertools reads from the context Lambda passes to a handler."""

    function_name: str = "job-guard"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:job-guard"
    aws_request_id: str = "4c7d5d52-5f3e-4c3b-9d3a-0e9f0b6b1f10"

    @classmethod
    def named(cls, function_name: str) -> LambdaContext:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        return cls(function_name=function_name, invoked_function_arn=arn)
