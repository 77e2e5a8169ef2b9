"""State for the manager and admin surface tests, built through public paths: the synthetic portfolio
through `load_portfolio`, then plain model inserts for users, snapshots, alerts, sync runs and outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from sandbox.portfolio import generate
from sandbox.store_loader import load_portfolio
from store.models import Account, Alert, HealthSnapshot, SlackUser
from store.uow import unit_of_work

TODAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)

# csm000..csm002 own the 40-account portfolio (seed 7); M1 manages A1 and A2; A3 reports to nobody.
USERS = (
    SlackUser(slack_user_id="M1", name="Mona", role="manager", crm_owner_id=None),
    SlackUser(slack_user_id="A1", name="Ann", manager_slack_id="M1", crm_owner_id="csm000@retainer.example"),
    SlackUser(slack_user_id="A2", name="Ben", manager_slack_id="M1", crm_owner_id="csm001@retainer.example"),
    SlackUser(slack_user_id="A3", name="Cai", crm_owner_id="csm002@retainer.example"),
    SlackUser(slack_user_id="ADM", name="Root", role="admin"),
)


def load_book(engine: Engine, accounts: int = 40) -> list[Account]:
    load_portfolio(engine, generate(accounts, seed=7), include_usage=False)
    with unit_of_work(engine) as session:
        for user in USERS:
            session.merge(user)
        return list(session.scalars(select(Account).order_by(Account.crm_id)))


def book_of(accounts: list[Account], owner_email: str) -> list[Account]:
    return [a for a in accounts if a.crm_owner_id == owner_email]


def snapshot(account_id: str, as_of: date, score: int, band: str, drivers: Any = ()) -> HealthSnapshot:
    return HealthSnapshot(
        account_id=account_id,
        as_of=as_of,
        computed_at=datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=6),
        score=score,
        band=band,
        components={},
        drivers=list(drivers),
    )


def alert(account_id: str, play_id: str, fired_at: datetime, *, state: str = "firing", **kw: Any) -> Alert:
    return Alert(
        fingerprint=f"{account_id}:{play_id}:{fired_at.isoformat()}",
        play_id=play_id,
        account_id=account_id,
        reason=kw.pop("reason", play_id),
        state=state,
        fired_at=fired_at,
        updated_at=fired_at,
        details={},
        **kw,
    )
