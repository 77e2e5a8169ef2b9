"""Which new alerts go out now, one message each or inside a digest, applying each owner's delivery
preferences (`slack_users.digest_mode`, `active_hours`, `timezone`) through `plays.digests.decide`.

The queue is the store itself: an open alert without a message is waiting. An owner's last digest is the
newest `digest_sent` event on their alerts, written in the same transaction that records the digest's ts
(only after Slack accepted it), so an alert is either delivered and recorded, or still waiting for the
next run: nothing is lost between digests. Alerts without an owner, and owners whose preferences cannot
be read (logged), are delivered in real time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from plays.digests import DigestConfigError, DigestPrefs, QueuedItem, decide
from store.models import Alert, AlertEvent, SlackUser

log = structlog.get_logger(__name__)

DIGEST_SENT = "digest_sent"
REALTIME = DigestPrefs.parse("realtime", None, "UTC")


@dataclass(frozen=True)
class Waiting:
    """An open alert that has no message yet."""

    id: str
    channel_id: str
    owner_slack_id: str | None
    play_id: str
    account_id: str
    account_name: str
    fired_at: datetime


@dataclass
class DeliveryPlan:
    now: list[tuple[str, str]] = field(default_factory=list)  # (alert id, channel): one message each
    digests: dict[str, list[str]] = field(default_factory=dict)  # channel -> alert ids in one digest
    held: dict[str, str] = field(default_factory=dict)  # alert id -> why it waits (a decide() reason)


def _prefs(session: Session, owners: Sequence[str]) -> dict[str, DigestPrefs]:
    found: dict[str, DigestPrefs] = {}
    for user in session.scalars(select(SlackUser).where(SlackUser.slack_user_id.in_(owners))):
        try:
            found[user.slack_user_id] = DigestPrefs.parse(user.digest_mode, user.active_hours, user.timezone)
        except DigestConfigError as exc:
            log.warning("digest.bad_preferences", user=user.slack_user_id, error=str(exc))
    return found


def last_digests(session: Session, owners: Sequence[str]) -> dict[str, datetime]:
    """owner -> when their last digest went out."""
    rows = session.execute(
        select(Alert.owner_slack_id, func.max(AlertEvent.at))
        .join(Alert, Alert.id == AlertEvent.alert_id)
        .where(AlertEvent.action == DIGEST_SENT, Alert.owner_slack_id.in_(owners))
        .group_by(Alert.owner_slack_id)
    )
    return {owner: at for owner, at in rows if owner is not None}


def plan_delivery(session: Session, waiting: Sequence[Waiting], now: datetime) -> DeliveryPlan:
    by_owner: dict[str | None, list[Waiting]] = defaultdict(list)
    for alert in waiting:
        by_owner[alert.owner_slack_id].append(alert)
    owners = sorted(o for o in by_owner if o is not None)
    prefs, last = _prefs(session, owners), last_digests(session, owners)
    plan = DeliveryPlan()
    for owner, alerts in by_owner.items():
        mine = prefs.get(owner, REALTIME) if owner else REALTIME
        queue = [QueuedItem(a.id, a.play_id, a.account_id, a.account_name, a.fired_at) for a in alerts]
        decision = decide(mine, last.get(owner) if owner else None, now, queue)
        due = set(decision.item_ids) if decision.due else set()
        for alert in alerts:
            if alert.id not in due:
                plan.held[alert.id] = decision.reason if not decision.due else "queued_later"
            elif mine.mode == "realtime":
                plan.now.append((alert.id, alert.channel_id))
            else:
                plan.digests.setdefault(alert.channel_id, []).append(alert.id)
    return plan


def record_digest(session: Session, alert_ids: Sequence[str], channel: str, ts: str, now: datetime) -> None:
    """The digest at (channel, ts) carried these alerts: their message, and a `digest_sent` event each."""
    alerts = list(session.scalars(select(Alert).where(Alert.id.in_(alert_ids))))
    for alert in alerts:
        alert.channel_id, alert.message_ts = channel, ts
        alert.details = {**(alert.details or {}), "digest": True}
    if alerts:
        session.execute(
            insert(AlertEvent),
            [
                {
                    "alert_id": a.id,
                    "at": now,
                    "actor": "scheduler",
                    "action": DIGEST_SENT,
                    "via": "scheduler",
                    "details": {"channel": channel, "ts": ts},
                }
                for a in alerts
            ],
        )
