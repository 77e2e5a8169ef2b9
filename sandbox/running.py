"""All three sandboxes at once, sharing one clock and one seeded portfolio.

    with running(accounts=300, seed=42, state_dir=Path(".state/sandbox")) as env:
        env.info  # {"salesforce": {...}, "hubspot": {...}, "slack": {...}}: the sandbox contract

The portfolio is split between the CRMs (even account numbers in Salesforce, odd ones in HubSpot), as a
company on one CRM per business unit would have it; `split=False` loads every account into both.

Both CRMs keep amounts in `currency`; `multi_currency=True` makes each a multi-currency org as well
(Salesforce records with a CurrencyIsoCode of their own; a HubSpot account with a second currency), and
`dated_rates=True` gives the Salesforce org advanced currency management (dated exchange rates).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sandbox.httpbase import Clock
from sandbox.portfolio import DEFAULT_SEED, csm_count_for, generate


def this_monday(today: date | None = None) -> date:
    today = today or date.today()
    return today - timedelta(days=today.weekday())


@dataclass
class SandboxEnv:
    salesforce: Any
    hubspot: Any
    slack: Any
    clock: Clock

    @property
    def info(self) -> dict[str, dict[str, str]]:
        return {
            "salesforce": self.salesforce.info(),
            "hubspot": self.hubspot.info(),
            "slack": self.slack.info(),
        }


@contextmanager
def running(
    accounts: int = 300,
    seed: int = DEFAULT_SEED,
    state_dir: Path | None = None,
    slack_bot_url: str | None = None,
    as_of: date | None = None,
    split: bool = True,
    currency: str = "USD",
    multi_currency: bool = False,
    dated_rates: bool = False,
) -> Iterator[SandboxEnv]:
    from sandbox.hubspot import start_hubspot
    from sandbox.salesforce import start_salesforce
    from sandbox.slack import start_slack

    as_of = as_of or this_monday()
    clock = Clock()
    with ExitStack() as stack:
        if state_dir is None:
            state_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="retainer-sandbox-")))
        state_dir.mkdir(parents=True, exist_ok=True)

        def portfolio(parity: int | None) -> Iterator[Any]:
            for account in generate(accounts, seed=seed, as_of=as_of):
                if parity is None or account.index % 2 == parity:
                    yield account

        sf = start_salesforce(
            portfolio(0 if split else None),
            state_dir=state_dir / "salesforce",
            clock=clock,
            currency=currency,
            multi_currency=multi_currency,
            dated_rates=dated_rates,
        )
        stack.callback(sf.stop)
        # a multi-currency account's second currency, and what one unit of it is worth in `currency`
        second, rate = ("USD", 0.92) if currency == "EUR" else ("EUR", 1.08)
        hs = start_hubspot(
            portfolio(1 if split else None),
            state_dir=state_dir / "hubspot",
            clock=clock,
            currency=currency,
            exchange_rates={second: rate} if multi_currency else None,
        )
        stack.callback(hs.stop)
        slack = start_slack(
            state_dir=state_dir / "slack",
            clock=clock,
            bot_url=slack_bot_url,
            csm_count=csm_count_for(accounts),
        )
        stack.callback(slack.stop)
        yield SandboxEnv(salesforce=sf, hubspot=hs, slack=slack, clock=clock)


def settings_values(
    *,
    salesforce: dict[str, str] | None = None,
    hubspot: dict[str, str] | None = None,
    slack: dict[str, str] | None = None,
) -> dict[str, str]:
    """The bot's settings (as `load_settings` keyword arguments) for the sandboxes' `info()` dicts."""
    values: dict[str, str] = {}
    if salesforce is not None:
        values |= {
            "salesforce_instance_url": salesforce["instance_url"],
            "salesforce_session_id": salesforce["session_id"],
            "salesforce_ca_file": salesforce["ca_file"],
            "salesforce_api_version": salesforce["api_version"],
        }
    if hubspot is not None:
        values |= {"hubspot_access_token": hubspot["access_token"], "hubspot_host": hubspot["host"]}
    if slack is not None:
        values |= {
            "slack_bot_token": slack["bot_token"],
            "slack_app_token": slack["app_token"],
            "slack_signing_secret": slack["signing_secret"],
            "slack_api_base_url": slack["base_url"],
        }
    return values
