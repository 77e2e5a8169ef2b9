"""The audit trail (`retainer audit`): who did what to which alert (`alert_events`) and what the bot
wrote to the CRM (sent outbox items), merged newest first, filterable by account and date range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.account_search import find_accounts
from bot.services.admin import activity_log, day_bounds
from store.models import Account, Alert, AlertEvent


class AccountNotFound(LookupError):
    """`--account` matched no account, or several (the message lists the candidates)."""


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    kind: str  # alert | crm_write
    account_id: str | None
    account_name: str | None
    actor: str  # who: a Slack user id, "scheduler", "bot"
    action: str  # claim, snooze, outcome... or the outbox kind
    detail: str


def resolve_account(session: Session, name_or_id: str) -> tuple[str, str]:
    """(account id, name) for a name or CRM id, or AccountNotFound with the candidates."""
    search = find_accounts(session, name_or_id)
    if search.chosen is not None:
        return search.chosen.account_id, search.chosen.name
    if not search.matches:
        raise AccountNotFound(f"no account matches {name_or_id!r}")
    names = "; ".join(f"{m.name} ({m.source} {m.crm_id})" for m in search.matches)
    raise AccountNotFound(f"{name_or_id!r} matches several accounts: {names}. Use the CRM id.")


def audit_trail(
    session: Session,
    *,
    account_ids: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
) -> tuple[AuditEntry, ...]:
    query = (
        select(AlertEvent, Alert.play_id, Alert.account_id, Account.name)
        .join(Alert, Alert.id == AlertEvent.alert_id)
        .join(Account, Account.id == Alert.account_id)
    )
    if account_ids is not None:
        query = query.where(Alert.account_id.in_(list(account_ids)))
    start, end = day_bounds(since, until)
    if start is not None:
        query = query.where(AlertEvent.at >= start)
    if end is not None:
        query = query.where(AlertEvent.at < end)
    entries = [
        AuditEntry(
            event.at,
            "alert",
            account_id,
            name,
            event.actor,
            event.action,
            f"{play_id}: {event.from_state or '-'} -> {event.to_state or '-'} via {event.via}",
        )
        for event, play_id, account_id, name in session.execute(
            query.order_by(AlertEvent.at.desc(), AlertEvent.id.desc()).limit(limit)
        )
    ]
    entries.extend(
        AuditEntry(
            line.sent_at or line.created_at,
            "crm_write",
            line.account_id,
            line.account_name,
            "bot",
            line.kind,
            f"{line.target} record {line.crm_record_id or '?'}",
        )
        for line in activity_log(session, account_ids=account_ids, since=since, until=until, limit=limit)
    )
    entries.sort(key=lambda e: e.at, reverse=True)
    return tuple(entries[:limit])
