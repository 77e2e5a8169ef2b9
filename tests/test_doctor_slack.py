"""`retainer doctor`'s Slack line: what `retainer run` would refuse is reported as a problem."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient

from bot.doctor import check_slack
from bot.settings import load_settings

BASE = {"slack_bot_token": "xoxb-test", "slack_signing_secret": "signing-secret"}


@pytest.fixture(autouse=True)
def _token_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    def auth_test(self: WebClient, **_kwargs: Any) -> dict[str, str]:
        return {"user": "retainer", "team": "Acme"}

    monkeypatch.setattr(WebClient, "auth_test", auth_test)


def test_socket_mode_without_an_app_token_is_a_problem() -> None:
    check = check_slack(load_settings(**BASE, slack_mode="socket"))
    assert not check.ok and not check.skipped
    assert "SLACK_APP_TOKEN is not set" in check.message


def test_socket_mode_with_an_app_token_is_ok() -> None:
    check = check_slack(load_settings(**BASE, slack_mode="socket", slack_app_token="xapp-test"))
    assert check.ok, check.message


def test_http_mode_needs_no_app_token() -> None:
    check = check_slack(load_settings(**BASE, slack_mode="http"))
    assert check.ok, check.message
    assert "team Acme" in check.message
