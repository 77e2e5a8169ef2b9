"""A local, stateful HubSpot CRM API that hubspot-api-client drives unmodified.

    sandbox = start_hubspot(generate(100), state_dir=tmp)
    client = HubSpot(**sandbox.info())            # {"host": ..., "access_token": ...}
    ...
    sandbox.stop()

Besides the API, `HubSpotSandbox` has the helpers tests use to act as a HubSpot user would (edit,
archive, relabel) and to change the portal's limits.

`currency` is the account's company currency; `exchange_rates` ({"EUR": 1.08}: one unit of EUR is worth
1.08 of it) makes it a multi-currency account with those other currencies. A deal's `deal_currency_code`
(its `amount` is in that currency) takes the account's currencies as options; in a multi-currency
account every deal has one, the company currency unless created with another. A deal in another currency
carries its own exchange rate, `hs_exchange_rate`, kept as HubSpot keeps it (`currencies_api`);
`set_exchange_rate` changes a rate as an admin does in HubSpot's settings.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sandbox.httpbase import Clock, Request, Response, SandboxServer
from sandbox.hubspot.app import HubSpotApp
from sandbox.hubspot.load import ROLE_LABEL_TYPE, load_accounts
from sandbox.hubspot.objects_api import validate_properties, with_defaults
from sandbox.hubspot.schema import CURRENCY_PROPERTY, association_type, inverse
from sandbox.hubspot.state import Rec, State
from sandbox.portfolio_records import PAccount

__all__ = ["HubSpotSandbox", "start_hubspot"]


class HubSpotSandbox:
    def __init__(self, server: SandboxServer, app: HubSpotApp, state: State) -> None:
        self.server = server
        self.app = app
        self.state = state
        server.control_hooks["rate_limit"] = self._rate_limit_control

    def _rate_limit_control(self, request: Request) -> Response:
        """POST /_sandbox/rate_limit {"max": 190, "interval": 10}: change the limit, reset the window."""
        if request.method == "POST":
            body = request.json() or {}
            self.set_rate_limit(int(body["max"]), float(body.get("interval", 10.0)))
        return Response(200, {"max": self.app.limit.max, "interval": self.app.limit.interval})

    def info(self) -> dict[str, str]:
        return {"host": self.server.url, "access_token": self.app.access_token}

    def stop(self) -> None:
        self.server.stop()
        self.state.close()

    # -- limits ----------------------------------------------------------------------------------

    def set_rate_limit(self, max_requests: int, interval: float = 10.0) -> None:
        self.app.limit.configure(max_requests, interval)

    def set_search_rate(self, per_second: int) -> None:
        self.app.search_limit.configure(per_second, 1.0)

    def revoke_scope(self, scope: str) -> None:
        """Calls that need `scope` (only `settings.currencies.read` is checked) get 403 MISSING_SCOPES."""
        self.app.currencies.missing_scopes.add(scope)

    def set_search_cap(self, cap: int) -> None:
        """How deep search may page (HubSpot's is 10,000); tests lower it to stay fast."""
        self.app.search_cap = cap

    # -- acting as a HubSpot user ------------------------------------------------------------------

    def now_ms(self) -> int:
        return self.app.now_ms()

    def ids(self, object_type: str, archived: bool = False) -> list[int]:
        return [r.id for r in self.records(object_type, archived)]

    def records(self, object_type: str, archived: bool = False) -> list[Rec]:
        out: list[Rec] = []
        after = 0
        while page := self.state.list_page(object_type, after, 5000, archived):
            out += page
            after = page[-1].id
        return out

    def create(self, object_type: str, properties: dict[str, Any]) -> int:
        currencies = self.app.currencies.codes()
        props = with_defaults(
            object_type, validate_properties(object_type, properties, currencies), currencies
        )
        props = self.app.currencies.with_exchange_rate(object_type, None, props)
        return self.state.create(object_type, props, self.now_ms()).id

    def update(self, object_type: str, object_id: int, properties: dict[str, Any]) -> None:
        """Edit a record the way a HubSpot user does (values validated like the API validates them, and
        a deal's exchange rate kept as HubSpot keeps it)."""
        props = validate_properties(object_type, properties, self.app.currencies.codes())
        rec = self.state.get(object_type, object_id)
        if rec is not None:
            props = self.app.currencies.with_exchange_rate(object_type, rec.props, props)
        self.state.update(object_type, object_id, props, self.now_ms())

    def set_exchange_rate(self, code: str, rate: float) -> None:
        """Set the current rate of one of the account's other currencies, as an admin does in HubSpot
        (Settings > Account Defaults > Currency): open deals in `code` take the new rate, closed deals
        keep theirs, and no deal's modification date moves."""
        currencies = self.app.currencies
        currencies.set_rate(code, rate, self.now_ms())
        for rec in self.records("deals"):
            if (rec.props.get(CURRENCY_PROPERTY) or currencies.currency) != code:
                continue
            changes = currencies.with_exchange_rate("deals", rec.props, {})
            if changes:
                self.state.update("deals", rec.id, changes, None)

    def update_raw(self, object_type: str, object_id: int, properties: dict[str, Any]) -> None:
        """Write values as they are (e.g. a picklist value an admin has since removed from the options)."""
        self.state.update(object_type, object_id, properties, self.now_ms())

    def archive(self, object_type: str, object_id: int) -> None:
        self.state.archive(object_type, object_id, self.now_ms())

    def purge(self, object_type: str, object_id: int) -> None:
        """Remove a record for good, as a GDPR deletion does (or an archived record once HubSpot's 90-day
        restore window has passed): the API lists it neither live nor archived any more."""
        self.state.purge(object_type, object_id)

    def advance(self, seconds: float) -> None:
        self.server.clock.advance(timedelta(seconds=seconds))

    def set_role_label(self, company_id: int, contact_id: int, role: str, on: bool) -> None:
        t = association_type("companies", "contacts", ROLE_LABEL_TYPE[role])
        assert t is not None
        back = inverse(t)
        if on:
            self.state.associate_many(
                [
                    ("companies", company_id, "contacts", contact_id, t.type_id, t.category),
                    ("contacts", contact_id, "companies", company_id, back.type_id, back.category),
                ]
            )
        else:
            self.state.remove_links(
                [
                    ("companies", company_id, "contacts", contact_id, t.type_id),
                    ("contacts", contact_id, "companies", company_id, back.type_id),
                ]
            )

    def role_labels(self) -> set[tuple[int, int, str]]:
        """(company id, contact id, role) for every current stakeholder label."""
        roles = {v: k for k, v in ROLE_LABEL_TYPE.items()}
        companies = self.ids("companies")
        out: set[tuple[int, int, str]] = set()
        for i in range(0, len(companies), 500):
            linked = self.state.associated("companies", companies[i : i + 500], "contacts")
            for company, targets in linked.items():
                for contact, types in targets.items():
                    out |= {(company, contact, roles[t]) for t, _ in types if t in roles}
        return out

    def checksum(self, object_type: str, properties: Iterable[str]) -> str:
        names = sorted(properties)
        digest = hashlib.sha256()
        for rec in self.records(object_type):
            full = rec.full_props()
            digest.update(json.dumps([rec.id, [full.get(n) for n in names]]).encode())
        return digest.hexdigest()


def start_hubspot(
    accounts: Iterable[PAccount] | None,
    *,
    state_dir: Path,
    clock: Clock | None = None,
    port: int = 0,
    rate_limit: tuple[int, float] = (190, 10.0),
    search_rate: int = 5,
    access_token: str | None = None,
    fault_seed: int = 0,
    with_tickets: bool = True,
    currency: str = "USD",
    exchange_rates: Mapping[str, float] | None = None,
) -> HubSpotSandbox:
    """Start the sandbox on 127.0.0.1:`port`; load `accounts` only when the state in `state_dir` is empty.

    The access token (random unless given) is kept in `state_dir`, so a restart keeps it too.
    """
    state_dir = Path(state_dir)
    state = State(state_dir / "hubspot.sqlite3")
    token_file = state_dir / "hubspot_token"
    if access_token is None:
        if not token_file.exists():
            token_file.write_text(f"pat-na1-{secrets.token_hex(16)}")
        access_token = token_file.read_text().strip()
    multi_currency = any(code != currency for code in exchange_rates or {})
    if accounts is not None and state.is_empty():
        deal_currency = currency if multi_currency else None
        load_accounts(state, accounts, with_tickets=with_tickets, deal_currency=deal_currency)
    clock = clock or Clock()
    app = HubSpotApp(state, clock, access_token, rate_limit, search_rate, currency, exchange_rates)
    server = SandboxServer(app, port=port, clock=clock, fault_seed=fault_seed).start()
    return HubSpotSandbox(server, app, state)
