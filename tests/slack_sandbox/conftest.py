"""Fixtures: a running Slack sandbox, a real slack_sdk WebClient on it, and a tiny real Bolt app in HTTP
mode (signature verification on) that the sandbox delivers signed requests to."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from slack_sdk import WebClient

from sandbox.slack import SlackSandbox, start_slack
from sandbox.slack.boltserver import serve_bolt
from tests.slack_sandbox.tiny_bolt import TinyBot, build_tiny_bot

T = TypeVar("T")


@pytest.fixture
def slack(tmp_path: Path) -> Iterator[SlackSandbox]:
    sandbox = start_slack(state_dir=tmp_path / "slack", csm_count=3, post_interval=0.0)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    info = slack.info()
    return WebClient(token=info["bot_token"], base_url=info["base_url"])


@pytest.fixture
def bot(slack: SlackSandbox, client: WebClient) -> Iterator[TinyBot]:
    """The tiny Bolt app served over HTTP on 127.0.0.1; the sandbox delivers to it."""
    tiny = build_tiny_bot(signing_secret=slack.info()["signing_secret"], client=client)
    with serve_bolt(tiny.app) as url:
        slack.set_bot_url(url)
        yield tiny


def eventually(check: Callable[[], T | None], timeout: float = 5.0) -> T:
    """Poll `check` until it returns something truthy (Bolt runs listeners after the ack)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)
