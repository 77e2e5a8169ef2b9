"""Id sets bound as one parameter: the same rows as an IN list, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from store import alerts_repo, keys
from store.id_sets import only
from store.models import Account, Alert
from store.uow import unit_of_work
from store.upsert import bulk_upsert


def _accounts(engine: Engine, n: int) -> list[str]:
    now = datetime.now(UTC)
    rows = [
        {
            "id": keys.account_key("salesforce", f"A{i}"),
            "source": "salesforce",
            "crm_id": f"A{i}",
            "name": f"A{i}",
            "extra": {},
            "is_deleted": False,
            "synced_at": now,
        }
        for i in range(n)
    ]
    with unit_of_work(engine) as session:
        bulk_upsert(session, Account, rows, ("id",))
    return [str(r["id"]) for r in rows]


def test_only_selects_exactly_the_given_ids_beyond_any_bind_parameter_limit(engine: Engine) -> None:
    ids = _accounts(engine, 50)
    wanted = [*ids[::3], *(f"missing-{i}" for i in range(40_000))]  # more ids than SQLite's 32,766 binds
    with unit_of_work(engine) as session:
        dialect = session.get_bind().dialect
        found = set(session.scalars(only(select(Account.id), Account.id, wanted, dialect)))
        everything = set(session.scalars(only(select(Account.id), Account.id, None, dialect)))
        nothing = list(session.scalars(only(select(Account.id), Account.id, [], dialect)))
    assert found == set(ids[::3])
    assert everything == set(ids)
    assert nothing == []


def test_mark_seen_sets_last_seen_at_on_the_given_alerts_only(engine: Engine) -> None:
    aid = _accounts(engine, 1)[0]
    before = datetime(2026, 11, 1, 9, tzinfo=UTC)
    later = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with unit_of_work(engine) as session:
        for n in range(3):
            session.add(
                Alert(
                    id=f"alert-{n}",
                    fingerprint=f"fp-{n}",
                    play_id="usage_decline",
                    account_id=aid,
                    reason="r",
                    fired_at=before,
                    updated_at=before,
                )
            )
    with unit_of_work(engine) as session:
        alerts_repo.mark_seen(session, ["alert-0", "alert-2"], later)
    with unit_of_work(engine) as session:
        stamps = {
            i: (seen, at)
            for i, seen, at in session.execute(select(Alert.id, Alert.last_seen_at, Alert.updated_at))
        }
    assert stamps == {"alert-0": (later, before), "alert-1": (None, before), "alert-2": (later, before)}


def test_last_resolved_remembers_handled_occurrences_past_the_cooldowns(engine: Engine) -> None:
    aid = _accounts(engine, 1)[0]
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    ago = datetime(2026, 7, 25, 9, tzinfo=UTC)  # 100 days: past every cooldown, within a year
    with unit_of_work(engine) as session:
        for reason in ("nps:R-1", "tickets_7d"):
            session.add(Alert(id=f"a-{reason}", fingerprint=f"fp-{reason}", play_id="p", account_id=aid,
                              reason=reason, state="done", fired_at=ago, resolved_at=ago))  # fmt: skip
    with unit_of_work(engine) as session:
        recent = alerts_repo.last_resolved(session, now - timedelta(days=30))
        remembered = alerts_repo.last_resolved(
            session, now - timedelta(days=30), occurrences_since=now - timedelta(days=400)
        )
    assert recent == {} and remembered == {"fp-nps:R-1": ago}
