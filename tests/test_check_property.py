"""Property (hypothesis) over the real store: whatever the signals, a second check pass over the same
state fires no new alert and leaves exactly one open alert per fingerprint."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.services.check import run_check
from plays.catalog import load_catalog
from plays.clock import FakeClock
from store import keys
from store.db import make_engine
from store.migrate import upgrade
from store.models import Account, Alert, NpsResponse, Ticket, UsageDaily
from store.uow import unit_of_work
from store.upsert import bulk_upsert

AS_OF = date(2026, 11, 2)
CATALOG = load_catalog()

account_state = st.fixed_dictionaries(
    {
        "arr": st.sampled_from([1_000, 20_000, 80_000]),
        "renewal_in": st.integers(-10, 200),
        "wau": st.lists(st.integers(0, 120), min_size=8, max_size=8),
        "tickets": st.integers(0, 5),
        "nps": st.one_of(st.none(), st.integers(0, 10)),
    }
)


def _load(engine, accounts: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    rows: dict[type, list[dict[str, object]]] = {Account: [], UsageDaily: [], Ticket: [], NpsResponse: []}
    for i, a in enumerate(accounts):
        aid = keys.account_key("salesforce", f"A{i}")
        rows[Account].append(
            {
                "id": aid,
                "source": "salesforce",
                "crm_id": f"A{i}",
                "name": f"A{i}",
                "arr": a["arr"],
                "renewal_date": AS_OF + timedelta(days=a["renewal_in"]),
                "contract_start": date(2024, 1, 1),  # type: ignore[arg-type]
                "extra": {},
                "is_deleted": False,
                "synced_at": now,
            }
        )
        for k, wau in enumerate(a["wau"]):  # type: ignore[arg-type]
            rows[UsageDaily].append(
                {
                    "account_id": aid,
                    "day": AS_OF - timedelta(days=7 * k),
                    "active_users": 0,
                    "weekly_active_users": wau,
                    "key_feature_events": wau * 3,
                    "licensed_seats": 100,
                }
            )
        for t in range(a["tickets"]):  # type: ignore[call-overload]
            rows[Ticket].append(
                {
                    "id": keys.ticket_key("salesforce", f"T{i}-{t}"),
                    "source": "salesforce",
                    "crm_id": f"T{i}-{t}",
                    "account_id": aid,
                    "subject": "s",
                    "priority": "high",
                    "opened_at": datetime(2026, 11, 1, 10, tzinfo=UTC),
                    "is_deleted": False,
                    "synced_at": now,
                }
            )
        if a["nps"] is not None:
            rows[NpsResponse].append(
                {
                    "external_id": f"N{i}",
                    "account_id": aid,
                    "score": a["nps"],
                    "responded_at": datetime(2026, 11, 1, 12, tzinfo=UTC),
                }
            )
    with unit_of_work(engine) as session:
        for model, batch in rows.items():
            bulk_upsert(
                session,
                model,
                batch,
                ["external_id"]
                if model is NpsResponse
                else ["account_id", "day"]
                if model is UsageDaily
                else ["id"],
            )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(account_state, min_size=1, max_size=5))
def test_second_check_over_the_same_state_fires_nothing(accounts: list[dict[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'p.db'}")
        upgrade(engine)
        _load(engine, accounts)
        clock = FakeClock(datetime(2026, 11, 2, 9, tzinfo=UTC))
        first = run_check(engine, CATALOG, clock)
        clock.advance(minutes=15)
        second = run_check(engine, CATALOG, clock)
        with unit_of_work(engine) as session:
            alerts = session.scalar(select(func.count()).select_from(Alert)) or 0
            fingerprints = session.scalar(select(func.count(Alert.fingerprint.distinct()))) or 0
        engine.dispose()
    assert second.fired == 0
    assert second.refreshed == first.fired == alerts == fingerprints
