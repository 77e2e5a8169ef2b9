"""App Home for one user: what is open for them, what comes back from snooze, their book, and by role
their team's SLA breaches (managers) or sync health (admins). Ids and frozen dataclasses only; the Slack
layer turns alert ids into alert views.

    data = home_data(session, "UCSM001", Role.CSM, now)
    set_digest_mode(session, "UCSM001", "daily")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from bot.permissions import Role
from bot.services.admin import OutboxView, StreamStatus, outbox_view, sync_status
from bot.services.portfolio import PortfolioSummary, portfolio_summary
from bot.services.scope import book_scope, team_of
from plays.digests import DIGEST_MODES
from store.models import Alert, SlackUser

RETURNING_WITHIN = timedelta(days=7)
MAX_IDS = 200  # more than a Home tab lists; the count shown is of these


@dataclass(frozen=True)
class HomeData:
    user_id: str
    role: Role
    digest_mode: str
    open_alert_ids: tuple[str, ...]
    returning_ids: tuple[str, ...]  # snoozed alerts waking up within RETURNING_WITHIN
    book: PortfolioSummary
    sla_breach_ids: tuple[str, ...] = ()  # managers (their team) and admins (everyone)
    sync: tuple[StreamStatus, ...] | None = None  # admins
    outbox: OutboxView | None = None  # admins


def _ids(session: Session, query: Select[str]) -> tuple[str, ...]:
    return tuple(session.scalars(query.limit(MAX_IDS)))


def home_data(session: Session, user_id: str, role: Role, now: datetime) -> HomeData:
    user = session.get(SlackUser, user_id)
    mine = select(Alert.id).where(
        Alert.owner_slack_id == user_id,
        or_(Alert.deliver_at.is_(None), Alert.deliver_at <= now),  # a timing experiment's delayed arm
    )
    breaches: tuple[str, ...] = ()
    if role in (Role.MANAGER, Role.ADMIN):
        query = select(Alert.id).where(Alert.state == "firing", Alert.due_at < now)
        if role is Role.MANAGER:
            query = query.where(Alert.owner_slack_id.in_(sorted(team_of(session, user_id))))
        breaches = _ids(session, query.order_by(Alert.due_at, Alert.id))
    admin = role is Role.ADMIN
    return HomeData(
        user_id=user_id,
        role=role,
        digest_mode=user.digest_mode if user is not None else "realtime",
        open_alert_ids=_ids(
            session,
            mine.where(Alert.state.in_(("firing", "claimed"))).order_by(Alert.fired_at.desc(), Alert.id),
        ),
        returning_ids=_ids(
            session,
            mine.where(Alert.state == "snoozed", Alert.snoozed_until <= now + RETURNING_WITHIN).order_by(
                Alert.snoozed_until, Alert.id
            ),
        ),
        book=portfolio_summary(
            session, book_scope(session, "book", frozenset({user_id}), user_id), now.date(), now=now
        ),
        sla_breach_ids=breaches,
        sync=sync_status(session) if admin else None,
        outbox=outbox_view(session) if admin else None,
    )


class DigestModeError(ValueError):
    """The digest mode is not one of realtime, hourly, daily (the message is user-facing)."""


def set_digest_mode(session: Session, user_id: str, mode: str) -> None:
    """Save the user's alert delivery mode; a user not yet in `slack_users` is added as a CSM."""
    if mode not in DIGEST_MODES:
        raise DigestModeError(f"Unknown delivery mode {mode!r}: choose {', '.join(DIGEST_MODES)}.")
    user = session.get(SlackUser, user_id)
    if user is None:
        user = SlackUser(slack_user_id=user_id, role="csm")
        session.add(user)
    user.digest_mode = mode
