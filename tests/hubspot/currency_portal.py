"""A sandbox account with currencies of its own for the currency tests (the `portals` fixture starts
them), and what the store holds."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine

from connectors.hubspot.calls import HubSpotCalls, RetryPolicy
from connectors.hubspot.client import HubSpotConfig, connect
from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from connectors.sync import RunResult
from sandbox.hubspot import start_hubspot
from sandbox.portfolio import generate
from store import keys
from store.models import Account, Deal
from store.uow import unit_of_work

RATES = "currencies/exchange-rates"


class Portal:
    """A sandbox account with its own currencies, and the connector's calls pointed at it."""

    def __init__(self, tmp_path: Path, currency: str, rates: Mapping[str, float], retry: RetryPolicy) -> None:
        self.sandbox = start_hubspot(
            generate(4, seed=11), state_dir=tmp_path / "hs", currency=currency, exchange_rates=rates
        )
        info = self.sandbox.info()
        client = connect(HubSpotConfig(access_token=SecretStr(info["access_token"]), host=info["host"]))
        self.calls = HubSpotCalls(client, retry=retry)

    def sync(self, engine: Engine, currency: str, *, full: bool = True) -> dict[str, RunResult]:
        streams = build_streams(engine, self.calls, options=StreamOptions(currency=currency))
        return {r.stream: r for r in sync_hubspot(engine, streams, full=full)}

    def deal(self, index: int, **props: str | None) -> int:
        deal = self.sandbox.ids("deals")[index]
        self.sandbox.update("deals", deal, props)
        return deal

    def company(self, index: int, arr: str) -> int:
        company = self.sandbox.ids("companies")[index]
        self.sandbox.update("companies", company, {"retainer_arr": arr})
        return company


def amount(engine: Engine, deal: int) -> Decimal | None:
    with unit_of_work(engine) as s:
        row = s.get(Deal, keys.deal_key("hubspot", str(deal)))
        assert row is not None and not row.is_deleted
        return row.amount


def account(engine: Engine, company: int) -> tuple[Decimal | None, str]:
    with unit_of_work(engine) as s:
        row = s.get(Account, keys.account_key("hubspot", str(company)))
        assert row is not None
        return row.arr, row.currency


def rejections(results: dict[str, RunResult], stream: str) -> dict[str, dict[str, Any]]:
    return {e["record_id"]: e for e in results[stream].errors if "record_id" in e}
