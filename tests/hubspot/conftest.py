"""HubSpot fixtures: a sandbox portal loaded with a small portfolio, the real SDK pointed at it, and
the connector's call layer with a fast retry policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from hubspot import HubSpot
from pydantic import SecretStr

from connectors.hubspot.calls import HubSpotCalls, RetryPolicy
from connectors.hubspot.client import HubSpotConfig, connect
from sandbox.hubspot import HubSpotSandbox, start_hubspot
from sandbox.portfolio import generate
from tests.hubspot.currency_portal import Portal

ACCOUNTS = 30


@pytest.fixture
def hubspot_sandbox(tmp_path: Path) -> Iterator[HubSpotSandbox]:
    sandbox = start_hubspot(generate(ACCOUNTS, seed=7), state_dir=tmp_path / "hubspot")
    yield sandbox
    sandbox.stop()


@pytest.fixture
def sdk(hubspot_sandbox: HubSpotSandbox) -> HubSpot:
    info = hubspot_sandbox.info()
    return connect(HubSpotConfig(access_token=SecretStr(info["access_token"]), host=info["host"]))


FAST_RETRY = RetryPolicy(attempts=6, initial=0.01, maximum=0.05)


@pytest.fixture
def calls(sdk: HubSpot) -> HubSpotCalls:
    return HubSpotCalls(sdk, retry=FAST_RETRY)


@pytest.fixture
def portals(tmp_path: Path) -> Iterator[Callable[..., Portal]]:
    """Starts sandbox accounts with a company currency and other currencies' rates: `portals("USD",
    {"EUR": 1.08})`; stopped after the test."""
    started: list[Portal] = []

    def start(currency: str, rates: Mapping[str, float] | None = None) -> Portal:
        portal = Portal(tmp_path / str(len(started)), currency, rates or {}, FAST_RETRY)
        started.append(portal)
        return portal

    yield start
    for portal in started:
        portal.sandbox.stop()
