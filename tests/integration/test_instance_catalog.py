"""InstanceCatalog against the emulator, whose DescribeInstanceTypes answers from moto's
recording of EC2: a type the table lacks is classified as EC2 says, and asked once.

The calls are counted at the HTTP layer with botocore's `before-send` event, and faults
are injected there too (faults.HttpFault); no boto3 method is patched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator import Emulator
from tests.integration.faults import HttpFault
from training_guard.effects import instances
from training_guard.effects.instances import InstanceCatalog
from training_guard.facts.instances import InstanceProfile

C6ID = InstanceProfile("ml.c6id.32xlarge", local_storage=True, efa=True, source="ec2")
M6ID = InstanceProfile("ml.m6id.large", local_storage=True, efa=False, source="ec2")


# Its own emulator rather than the shared `emulator` fixture: this test needs no account
# resources, and it keeps running while tests/integration/conftest.py cannot import.
@pytest.fixture(scope="module")
def ec2_emulator() -> Iterator[Emulator]:
    with Emulator() as running, running.environment():
        yield running


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    instances.forget()
    yield
    instances.forget()


class DescribeCalls:
    """The instance type names of every DescribeInstanceTypes request sent, in order."""

    def __init__(self, session: boto3.Session) -> None:
        self.names: list[list[str]] = []
        session.events.register("before-send.ec2.DescribeInstanceTypes", self)

    def __call__(self, request: Any, **_: Any) -> None:
        form = parse_qs(str(request.body))  # InstanceType.1=...&InstanceType.2=...
        members = sorted(
            (int(key.split(".")[1]), values[0])
            for key, values in form.items()
            if key.startswith("InstanceType.")
        )
        self.names.append([name for _, name in members])


@pytest.fixture
def session(ec2_emulator: Emulator) -> boto3.Session:
    # A session of its own: the hooks registered on it stay with this test.
    return boto3.Session()


@pytest.fixture
def calls(session: boto3.Session) -> DescribeCalls:
    return DescribeCalls(session)


def catalog(session: boto3.Session) -> InstanceCatalog:
    return InstanceCatalog(session.client("ec2"))


def test_a_type_the_table_lacks_is_classified_from_ec2_and_asked_once(
    session: boto3.Session, calls: DescribeCalls
) -> None:
    assert catalog(session).profile("ml.c6id.32xlarge") == C6ID
    # A warm Lambda builds new clients on every invocation; the answer outlives them.
    assert catalog(session).profile("ml.c6id.32xlarge") == C6ID
    assert calls.names == [["c6id.32xlarge"]]


def test_a_type_ec2_does_not_know_has_no_profile_and_is_asked_once(
    session: boto3.Session, calls: DescribeCalls
) -> None:
    assert catalog(session).profile("ml.zz9.large") is None
    assert catalog(session).profile("ml.zz9.large") is None
    assert calls.names == [["zz9.large"]]


def test_the_table_answers_without_a_call(session: boto3.Session, calls: DescribeCalls) -> None:
    profiles = catalog(session).profiles(["ml.p5.48xlarge", "ml.m5.xlarge"])
    assert profiles == {
        "ml.p5.48xlarge": InstanceProfile("ml.p5.48xlarge", True, True, "table"),
        "ml.m5.xlarge": InstanceProfile("ml.m5.xlarge", False, False, "table"),
    }
    assert calls.names == []


def test_a_name_that_is_no_ml_type_has_no_profile_and_no_call(
    session: boto3.Session, calls: DescribeCalls
) -> None:
    assert catalog(session).profiles(["c6id.32xlarge", "ml.c6id"]) == {
        "c6id.32xlarge": None,
        "ml.c6id": None,
    }
    assert calls.names == []


def test_all_unknown_types_are_asked_in_one_call(
    session: boto3.Session, calls: DescribeCalls
) -> None:
    profiles = catalog(session).profiles(
        ["ml.c6id.32xlarge", "ml.p5.48xlarge", "ml.m6id.large", "ml.c6id.32xlarge"]
    )
    assert profiles == {
        "ml.c6id.32xlarge": C6ID,
        "ml.p5.48xlarge": InstanceProfile("ml.p5.48xlarge", True, True, "table"),
        "ml.m6id.large": M6ID,
    }
    assert calls.names == [["c6id.32xlarge", "m6id.large"]]


def test_one_name_ec2_does_not_know_sends_the_others_alone(
    session: boto3.Session, calls: DescribeCalls
) -> None:
    profiles = catalog(session).profiles(["ml.c6id.32xlarge", "ml.zz9.large", "ml.m6id.large"])
    assert profiles == {"ml.c6id.32xlarge": C6ID, "ml.zz9.large": None, "ml.m6id.large": M6ID}
    assert calls.names == [
        ["c6id.32xlarge", "zz9.large", "m6id.large"],
        ["c6id.32xlarge"],
        ["zz9.large"],
        ["m6id.large"],
    ]
    # All three answers are kept, the unknown one included.
    catalog(session).profiles(["ml.c6id.32xlarge", "ml.zz9.large", "ml.m6id.large"])
    assert len(calls.names) == 4


def test_a_denied_call_gives_no_profile_and_is_asked_again(
    session: boto3.Session, calls: DescribeCalls
) -> None:
    denied = HttpFault("ec2", "DescribeInstanceTypes", "UnauthorizedOperation", times=1)
    denied.install(session)
    assert catalog(session).profile("ml.c6id.32xlarge") is None
    assert denied.calls == 1
    # Once the permission is granted, the next invocation gets the facts.
    assert catalog(session).profile("ml.c6id.32xlarge") == C6ID
    assert calls.names == [["c6id.32xlarge"], ["c6id.32xlarge"]]


def test_other_errors_propagate(session: boto3.Session) -> None:
    HttpFault("ec2", "DescribeInstanceTypes", "InvalidParameterValue").install(session)
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        catalog(session).profile("ml.c6id.32xlarge")
