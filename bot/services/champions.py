"""Recording a champion (or other stakeholder) change: role history, the champion_departure alert and
the ChampionChange write-back, in one audited transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import CursorResult, Engine, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.audit import seen_request
from bot.services.errors import InvalidInput, NotFound
from connectors.writeback import CHAMPION_CHANGE, ChampionChange
from plays.catalog import Catalog, Play, load_catalog
from plays.clock import Clock, SystemClock
from plays.lifecycle import Route, route
from plays.segments import load_segment_config, touch_tier
from plays.triggers import fingerprint
from store import alerts_repo, keys, outbox_repo
from store.models import (
    OPEN_ALERT_STATES,
    STAKEHOLDER_ROLE_KEY,
    STAKEHOLDER_ROLES,
    Account,
    Alert,
    AlertEvent,
    Contact,
    StakeholderRole,
)
from store.uow import unit_of_work
from store.upsert import bulk_upsert

CRM_TARGETS = ("salesforce", "hubspot")


@dataclass(frozen=True)
class ChampionChangeResult:
    alert_id: str
    alert_fired: bool  # False when an open champion_departure alert for this departure existed
    roles_closed: int
    role_opened: bool
    outbox_key: str | None
    changed: bool


def record_champion_change(
    engine: Engine,
    account_id: str,
    departed_contact_id: str,
    new_contact_id: str | None = None,
    role: str = "champion",
    *,
    actor: str,
    via: str = "slack",
    request_id: str | None = None,
    clock: Clock | None = None,
    catalog: Catalog | None = None,
    default_channel: str = "#cs-alerts",
) -> ChampionChangeResult:
    """A stakeholder left their role: close their role spell, open the successor's, fire (or reuse) the
    champion_departure alert, and queue a ChampionChange write-back, in one transaction."""
    if role not in STAKEHOLDER_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(STAKEHOLDER_ROLES)}, not {role!r}")
    if new_contact_id == departed_contact_id:
        raise InvalidInput("the new contact must differ from the departed one")
    now = (clock or SystemClock()).now()
    play = (catalog or load_catalog())["champion_departure"]
    args = (account_id, departed_contact_id, new_contact_id, role, actor, via, request_id)
    try:
        return _record(engine, *args, now, play, default_channel)
    except IntegrityError:
        # a concurrent delivery of the same request_id committed first: report its result
        with unit_of_work(engine) as session:
            seen = seen_request(session, request_id)
            if seen is None:
                raise
            return _replayed(seen)


def _outbox_key(
    account_id: str, departed_contact_id: str, new_contact_id: str | None, role: str, today: date
) -> str:
    """The write-back's idempotency key: one per distinct change a day, so a redelivered submission
    queues nothing new, while a second, different change for the same departure ("no successor yet",
    then "the successor is Carol") is a write-back of its own. Without the new contact in the key the
    second would be dropped by the outbox's insert-or-ignore and never reach the CRM."""
    change = f"{account_id}:{departed_contact_id}:{new_contact_id or '-'}:{role}:{today}"
    return keys.crm_key("retainer", "champion_change", change)


def _replayed(seen: AlertEvent) -> ChampionChangeResult:
    d = seen.details
    return ChampionChangeResult(
        seen.alert_id, False, d["roles_closed"], d["role_opened"], d["outbox_key"], False
    )


def _record(
    engine: Engine,
    account_id: str,
    departed_contact_id: str,
    new_contact_id: str | None,
    role: str,
    actor: str,
    via: str,
    request_id: str | None,
    now: datetime,
    play: Play,
    default_channel: str,
) -> ChampionChangeResult:
    today = now.date()
    with unit_of_work(engine) as session:
        seen = seen_request(session, request_id)
        if seen is not None:
            return _replayed(seen)
        account = session.get(Account, account_id)
        if account is None:
            raise NotFound(f"no account {account_id}")
        departed = session.get(Contact, departed_contact_id)
        new = session.get(Contact, new_contact_id) if new_contact_id else None
        for contact, what in ((departed, departed_contact_id), (new, new_contact_id)):
            if what and (contact is None or contact.account_id != account_id):
                raise NotFound(f"no contact {what} at account {account.name}")
        assert departed is not None
        result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(StakeholderRole)
            .where(
                StakeholderRole.account_id == account_id,
                StakeholderRole.contact_id == departed_contact_id,
                StakeholderRole.role == role,
                StakeholderRole.valid_to.is_(None),
            )
            .values(valid_to=today)
        )
        closed = result.rowcount
        if departed.left_company_at is None:
            departed.left_company_at = today
        if new is not None:
            bulk_upsert(
                session,
                StakeholderRole,
                [
                    {
                        "account_id": account_id,
                        "contact_id": new.id,
                        "role": role,
                        "valid_from": today,
                        "valid_to": None,
                        "source": "slack",
                        "crm_id": "",  # recorded in Slack, not from a CRM record
                        "recorded_by": actor,
                    }
                ],
                STAKEHOLDER_ROLE_KEY,
                ("valid_to", "recorded_by"),
            )
        fp = fingerprint(account_id, play.id, f"champion_left:{departed_contact_id}")
        alert = session.scalar(
            select(Alert).where(Alert.fingerprint == fp, Alert.state.in_(OPEN_ALERT_STATES))
        )
        fired = alert is None
        if alert is None:
            owner = alerts_repo.owners(session, [account_id]).get(account_id)
            routes = [
                Route(r.priority, r.channel_id, r.tier, r.play_id, r.csm_slack_id)
                for r in alerts_repo.channel_routes(session)
            ]
            tier = touch_tier(float(account.arr) if account.arr is not None else None, load_segment_config())
            alert = Alert(
                fingerprint=fp,
                play_id=play.id,
                play_version=play.version,
                account_id=account_id,
                reason=f"champion_left:{departed_contact_id}",
                severity=play.severity,
                state="firing",
                owner_slack_id=owner,
                channel_id=route(
                    routes, tier=tier, play_id=play.id, csm_slack_id=owner, default=default_channel
                ),
                fired_at=now,
                updated_at=now,
                due_at=play.sla.claim_within.after(now),
                details={"summary": f"{role.replace('_', ' ')} left (recorded by {actor})"},
            )
            session.add(alert)
            session.flush()
            session.add(
                AlertEvent(
                    alert_id=alert.id,
                    at=now,
                    actor=actor,
                    action="fire",
                    from_state=None,
                    to_state="firing",
                    via=via,
                    details={"reason": alert.reason},
                )
            )
        key = None
        if account.source in CRM_TARGETS:
            key = _outbox_key(account_id, departed_contact_id, new_contact_id, role, today)
            payload = ChampionChange(
                account_crm_id=account.crm_id,
                departed_contact_crm_id=departed.crm_id,
                new_contact_crm_id=new.crm_id if new is not None else None,
                role=role,
            )
            outbox_repo.enqueue(
                session,
                idempotency_key=key,
                target=account.source,
                kind=CHAMPION_CHANGE,
                payload=dict(payload),
                account_id=account_id,
            )
        details = {
            "departed": departed_contact_id,
            "new": new_contact_id,
            "role": role,
            "roles_closed": closed,
            "role_opened": new is not None,
            "outbox_key": key,
        }
        session.add(
            AlertEvent(
                alert_id=alert.id,
                at=now,
                actor=actor,
                action="champion_change",
                from_state=alert.state,
                to_state=alert.state,
                via=via,
                request_id=request_id,
                details=details,
            )
        )
        session.flush()
        return ChampionChangeResult(alert.id, fired, closed, new is not None, key, True)
