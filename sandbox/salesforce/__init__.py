"""A stateful Salesforce REST API over HTTPS on 127.0.0.1 that simple-salesforce drives unmodified.

    sf = start_salesforce(generate(50, seed=42), state_dir=tmp)
    client = Salesforce(**sf.client_kwargs())   # or the values of sf.info()
    ...
    sf.stop()

Helpers for tests: `expire_sessions()`, `set_daily_limit(n)`, `stall(...)`, `update/delete/create(...)`
(changes as a user makes them, visible to incremental sync), and `.server` for faults and the request log.

`currency` is the currency the org keeps amounts in (its Organization record's DefaultCurrencyIsoCode);
`multi_currency=True` makes it a multi-currency org, whose Accounts and Opportunities have a
CurrencyIsoCode of their own; `dated_rates=True` turns on advanced currency management as well (dated
exchange rates, DatedConversionRate).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from sandbox.httpbase import Clock, SandboxServer
from sandbox.portfolio_records import PAccount
from sandbox.salesforce.app import SalesforceApp, Stall
from sandbox.salesforce.org import add_dated_rate
from sandbox.salesforce.seed import load_portfolio
from sandbox.salesforce.soql import sf_datetime
from sandbox.salesforce.state import OrgState
from sandbox.tls import local_tls

API_VERSION = "59.0"
__all__ = ["API_VERSION", "SalesforceSandbox", "start_salesforce"]


class SalesforceSandbox:
    def __init__(self, server: SandboxServer, app: SalesforceApp, ca_file: Path, state_dir: Path) -> None:
        self.server = server
        self.state_dir = state_dir
        self._stopped = False
        self.app = app
        self.state = app.state
        self.ca_file = ca_file

    @property
    def instance_url(self) -> str:
        return self.server.url

    def info(self) -> dict[str, str]:
        return {
            "instance_url": self.instance_url,
            "session_id": self.app.session_id,
            "ca_file": str(self.ca_file),
            "api_version": API_VERSION,
        }

    @property
    def consumer_key(self) -> str:
        return str(self.state.meta["consumer_key"])

    @property
    def consumer_secret(self) -> str:
        return str(self.state.meta["consumer_secret"])

    @property
    def username(self) -> str:
        return str(self.state.meta["username"])

    @property
    def password(self) -> str:
        return str(self.state.meta["password"])

    @property
    def security_token(self) -> str:
        return str(self.state.meta["security_token"])

    @property
    def login_domain(self) -> str:
        """A `domain` for a username/password login (simple-salesforce, SALESFORCE_DOMAIN) that reaches
        this sandbox. The SDK logs in at `https://{domain}.salesforce.com/services/Soap/u/{version}`;
        this value puts the sandbox's address and login path first and turns the fixed rest into a
        URL fragment, which is never sent."""
        return f"{self.instance_url.removeprefix('https://')}/services/Soap/u/{API_VERSION}#"

    def http_session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.ca_file)
        return session

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `simple_salesforce.Salesforce(...)` against this sandbox."""
        return {
            "instance_url": self.instance_url,
            "session_id": self.app.session_id,
            "session": self.http_session(),
            "version": API_VERSION,
        }

    # -- test helpers --------------------------------------------------------------------------------
    def expire_sessions(self) -> None:
        self.app.expire_sessions()

    def set_daily_limit(self, limit: int) -> None:
        self.app.daily_limit = limit

    def api_usage(self) -> int:
        return self.app.api_usage()

    def stall(self, path: str, seconds: float, count: int = 1, method: str = "") -> None:
        """Apply the next `count` matching requests, then wait `seconds` before answering."""
        self.app.stalls.append(Stall(path, seconds, count, method))

    def lock_record(self, record_id: str, refusals: int = 1) -> None:
        """Another transaction holds the record: the next `refusals` writes touching it answer 400
        UNABLE_TO_LOCK_ROW (see `sandbox.salesforce.locks`)."""
        self.state.row_locks.hold(record_id, refusals)

    def create(self, sobject: str, data: dict[str, Any]) -> str:
        return self.state.create(sobject, data)

    def update(self, sobject: str, record_id: str, data: dict[str, Any]) -> None:
        self.state.update(sobject, record_id, data)

    def delete(self, sobject: str, record_id: str) -> None:
        self.state.delete(sobject, record_id)

    def empty_recycle_bin(self) -> int:
        """Purge every deleted record (see `OrgState.empty_recycle_bin`)."""
        return self.state.empty_recycle_bin()

    def records(self, sobject: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                dict(r) for r in self.state.records[sobject].values() if include_deleted or not r["IsDeleted"]
            ]

    def set_conversion_rate(self, code: str, rate: float) -> None:
        """A multi-currency org's admin sets a new rate for `code` (Setup > Manage Currencies); the
        org's records stay as they are."""
        with self.state.lock:
            found = [r for r in self.state.records["CurrencyType"].values() if r["IsoCode"] == code]
            if not found:
                raise KeyError(f"the org has no currency {code}")
            found[0]["ConversionRate"] = rate

    def add_dated_rate(self, code: str, start: date, rate: float) -> None:
        """An admin of an org with advanced currency management sets `code`'s rate from `start` on
        (Setup > Manage Currencies > Manage Dated Exchange Rates); the org's records stay as they are."""
        with self.state.lock:
            ranges = self.state.records.get("DatedConversionRate")
            if ranges is None:
                raise KeyError("the org has no dated exchange rates (advanced currency management is off)")
            if not any(r["IsoCode"] == code for r in self.state.records["CurrencyType"].values()):
                raise KeyError(f"the org has no currency {code}")
            add_dated_rate(ranges, code, start, rate, sf_datetime(self.server.clock.now()))

    def advance_clock(self, seconds: float) -> None:
        self.server.clock.advance(timedelta(seconds=seconds))

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.stop()
        self.app.persist_usage()
        self.state.close()


def start_salesforce(
    accounts: Iterable[PAccount] | None,
    *,
    state_dir: Path,
    clock: Clock | None = None,
    port: int = 0,
    daily_limit: int = 1_000_000,
    page_size: int = 2000,
    with_cases: bool = True,
    fault_seed: int = 0,
    currency: str = "USD",
    multi_currency: bool = False,
    dated_rates: bool = False,
) -> SalesforceSandbox:
    """Start the sandbox. The portfolio is loaded only when `state_dir` holds no org yet."""
    state_dir = Path(state_dir)
    clock = clock or Clock()
    state = OrgState(
        state_dir, clock, currency=currency, multi_currency=multi_currency, dated_rates=dated_rates
    )
    if state.empty and accounts is not None:
        load_portfolio(state, accounts, with_cases=with_cases)
    app = SalesforceApp(state, version=API_VERSION, daily_limit=daily_limit, page_size=page_size)
    tls = local_tls(state_dir / "tls")
    server = SandboxServer(app, port=port, ssl_context=tls.context, clock=clock, fault_seed=fault_seed)
    app.instance_url = server.url
    server.start()
    return SalesforceSandbox(server, app, tls.ca_file, state_dir)
