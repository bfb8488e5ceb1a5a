"""The production system checks: private targets, queue timeouts, the metrics allow-list."""

from __future__ import annotations

from django.test import override_settings

from hub.checks import check_metrics_allow, check_private_targets, check_queue_timeouts
from hub.ops.safety import unsafe_settings


def ids(messages: list) -> list[str]:
    return [m.id for m in messages]


@override_settings(HUB_ALLOW_PRIVATE_TARGETS=True, HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION=False)
def test_private_targets_without_the_production_override_are_a_deploy_error():
    assert ids(check_private_targets()) == ["hub.E004"]


@override_settings(HUB_ALLOW_PRIVATE_TARGETS=True, HUB_ALLOW_PRIVATE_TARGETS_IN_PRODUCTION=True)
def test_the_explicit_override_accepts_private_targets():
    assert check_private_targets() == []


def test_a_queue_timeout_not_below_its_retry_is_an_error(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 180, "retry": 180}
    assert ids(check_queue_timeouts()) == ["hub.E005"]


def test_the_shipped_queue_timeouts_pass():
    assert check_queue_timeouts() == []


@override_settings(HUB_METRICS_ALLOW=["127.0.0.1", "not-an-address"])
def test_a_malformed_metrics_allow_entry_is_an_error_naming_it():
    (error,) = check_metrics_allow()
    assert error.id == "hub.E006"
    assert "not-an-address" in error.msg


@override_settings(
    DEBUG=False,
    SECRET_KEY="a-real-secret-key-for-production-0123456789-abcdefghij",
    HUB_ENCRYPTION_KEYS=["zMK4-gYOuUGKhSvyD-YCx0mt9hGgQzim6KMkkkisyqk="],
    HUB_ALLOW_PRIVATE_TARGETS=False,
)
def test_safe_settings_have_nothing_to_refuse():
    assert unsafe_settings() == []
