"""The write-back outbox: enqueue in the caller's transaction; claim due items; record the result.

An item's `idempotency_key` is unique: enqueueing the same key twice keeps the first item. The CRM
client carries the key into the CRM record (an external-id field / unique property), so a crash between
"sent" and "commit" is repaired by the next attempt finding the record instead of creating another.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import OutboxItem

__all__ = ["OutboxItem", "due_items", "enqueue", "mark_failed", "mark_sent", "reschedule", "retry"]
from store.types import utcnow
from store.upsert import bulk_upsert

MAX_ATTEMPTS = 8


def enqueue(
    session: Session,
    *,
    idempotency_key: str,
    target: str,
    kind: str,
    payload: dict[str, Any],
    account_id: str | None = None,
) -> None:
    bulk_upsert(
        session,
        OutboxItem,
        [
            {
                "id": idempotency_key,
                "idempotency_key": idempotency_key,
                "target": target,
                "kind": kind,
                "payload": payload,
                "account_id": account_id,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": utcnow(),
                "created_at": utcnow(),
            }
        ],
        conflict_columns=("idempotency_key",),
        update_columns=(),
    )


def due_items(
    session: Session, now: datetime, target: str | None = None, limit: int = 100
) -> list[OutboxItem]:
    query = (
        select(OutboxItem)
        .where(OutboxItem.state.in_(("pending", "failed")), OutboxItem.next_attempt_at <= now)
        .order_by(OutboxItem.created_at)
        .limit(limit)
    )
    if target is not None:
        query = query.where(OutboxItem.target == target)
    return list(session.scalars(query))


def claim(session: Session, item_id: str, now: datetime, lease: timedelta) -> bool:
    """Take one due item for sending, atomically: its next attempt moves `lease` ahead, so another
    drain (a second process, a CLI drain during failover) skips it; True when this caller got it.
    A drain that dies after claiming leaves the item pending, and it is tried again once the lease
    ends."""
    claimed = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.id == item_id,
            OutboxItem.state.in_(("pending", "failed")),
            OutboxItem.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(claimed, "rowcount", 0))  # a CursorResult for an UPDATE


def mark_sent(item: OutboxItem, crm_record_id: str | None, now: datetime) -> None:
    item.state = "sent"
    item.sent_at = now
    item.crm_record_id = crm_record_id
    item.attempts += 1
    item.last_error = None


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Full-jitter exponential backoff: up to 30 s × 2^(attempts-1), capped at one hour."""
    cap = min(3600.0, 30.0 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=(rng or random).uniform(cap / 2, cap))


def mark_failed(item: OutboxItem, error: str, now: datetime, *, permanent: bool = False) -> None:
    """Record a failed attempt. Permanent errors (the CRM rejected the record) and items past
    MAX_ATTEMPTS are parked: they wait for a person (`retainer outbox retry`)."""
    item.attempts += 1
    item.last_error = error[:2000]
    if permanent or item.attempts >= MAX_ATTEMPTS:
        item.state = "parked"
    else:
        item.state = "failed"
        item.next_attempt_at = now + backoff(item.attempts)


def reschedule(item: OutboxItem, error: str, now: datetime, *, retry_after: float = 0) -> None:
    """Try the item again later without counting an attempt: the CRM could not be asked (rate limited,
    authentication failing), which says nothing about this item. Counting it would park, one after
    another, items the CRM never refused while a daily limit stays exhausted for hours. Waits
    `retry_after` seconds when the CRM said so, else the backoff the next counted attempt would get."""
    item.last_error = error[:2000]
    item.state = "failed"
    wait = timedelta(seconds=retry_after) if retry_after > 0 else backoff(item.attempts + 1)
    item.next_attempt_at = now + wait


def retry(session: Session, item_ids: list[str] | None = None) -> int:
    """Put failed/parked items back in the queue now. Returns how many."""
    query = select(OutboxItem).where(OutboxItem.state.in_(("failed", "parked")))
    if item_ids:
        query = query.where(OutboxItem.id.in_(item_ids))
    items = list(session.scalars(query))
    for item in items:
        item.state = "pending"
        item.next_attempt_at = utcnow()
    return len(items)
