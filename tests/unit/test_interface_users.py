"""Which network interfaces make a group shared, and creation times from every source."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from training_guard.effects.interfaces import _is_other
from training_guard.facts.jobs import creation_time
from training_guard.reader import root

TRAINING = {"RequesterManaged": True, "InterfaceType": "interface", "Description": ""}


@pytest.mark.parametrize(
    ("eni", "other"),
    [
        (TRAINING, False),
        ({**TRAINING, "RequesterManaged": False}, True),  # your instance's
        ({"InterfaceType": "interface"}, True),  # not said to be a service's: yours
        ({**TRAINING, "Description": "ELB app/web/50dc6c495c0c9188"}, True),
        ({**TRAINING, "Description": "RDSNetworkInterface"}, True),
        ({**TRAINING, "Description": "AWS Lambda VPC ENI-fn-1234"}, True),
        ({**TRAINING, "Description": "VPC Endpoint Interface vpce-0123"}, True),
        ({**TRAINING, "InterfaceType": "nat_gateway"}, True),
        ({**TRAINING, "InterfaceType": "vpc_endpoint"}, True),
        ({**TRAINING, "InterfaceType": "network_load_balancer"}, True),
    ],
)
def test_only_requester_managed_plain_interfaces_count_as_trainings(
    eni: dict[str, Any], other: bool
) -> None:
    assert _is_other(eni) is other


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("1741943525000", 1741943525.0),  # state change: epoch milliseconds as a string
        (1741943525000, 1741943525.0),
        (1741943525000.0, 1741943525.0),
        (1741943525, 1741943525.0),  # seconds
        ("2025-03-14T09:12:05Z", 1741943525.0),  # CloudTrail eventTime
        (datetime(2025, 3, 14, 9, 12, 5, tzinfo=UTC), 1741943525.0),  # boto3 Describe
        (None, None),
        ("", None),
        ("yesterday", None),
        ("nan", None),
        (True, None),
        ({}, None),
    ],
)
def test_creation_time_from_every_source(raw: object, seconds: float | None) -> None:
    assert creation_time(root(raw, "detail.CreationTime")) == seconds
