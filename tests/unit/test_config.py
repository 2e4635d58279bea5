"""Configuration from the environment variables of DESIGN.md."""

from __future__ import annotations

import pytest

from training_guard.config import ConfigError, GuardMode, Policy, required


def test_defaults() -> None:
    policy = Policy.from_environment({})
    assert policy == Policy(
        GuardMode.ENFORCE, "training-guard:exempt", "training-guard:guarded", (), False
    )


def test_every_variable() -> None:
    policy = Policy.from_environment(
        {
            "GUARD_MODE": "Notify",
            "EXEMPT_TAG_KEY": "skip",
            "GUARD_TAG_KEY": "guard",
            "DEPLOY_ACCOUNT_IDS": " 111111111111, 222222222222,111111111111 ",
            "REQUIRE_NETWORK_ISOLATION": "TRUE",
        }
    )
    assert policy.mode is GuardMode.NOTIFY
    assert (policy.exempt_tag_key, policy.guard_tag_key) == ("skip", "guard")
    assert policy.deploy_account_ids == ("111111111111", "222222222222")
    assert policy.require_network_isolation


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GUARD_MODE": "audit"}, "GUARD_MODE must be 'enforce' or 'notify'"),
        ({"DEPLOY_ACCOUNT_IDS": "12345"}, "not 12-digit account ids"),
        ({"REQUIRE_NETWORK_ISOLATION": "yes"}, "REQUIRE_NETWORK_ISOLATION must be"),
    ],
)
def test_bad_values_are_refused_by_name(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Policy.from_environment(env)


def test_required_variable() -> None:
    with pytest.raises(ConfigError, match="NOTIFY_TOPIC_ARN is required"):
        required("NOTIFY_TOPIC_ARN", {})


@pytest.mark.parametrize(
    ("value", "exempt"), [("true", True), ("TRUE ", True), ("false", False), ("", False)]
)
def test_exempt_tag(value: str, exempt: bool) -> None:
    assert Policy().is_exempt({"training-guard:exempt": value}) is exempt
