"""Write-back: the outbox payloads every CRM client accepts, and the drain loop that sends them.

The Slack side enqueues items (`store.outbox_repo.enqueue`) in the same transaction as the state change.
`drain_outbox` sends due items through the target's `WriteBackClient`. A client MUST be idempotent on
`idempotency_key`: it stores the key in the CRM record (Salesforce external-id field, HubSpot unique
property) and creates-or-finds by it, so a crash after the CRM accepted a record but before our commit is
repaired by the next attempt finding the record instead of creating a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NotRequired, Protocol, TypedDict

import structlog
from sqlalchemy import Engine

from connectors.errors import AuthError, ConnectorError, RateLimited, RecordRejected
from store import outbox_repo
from store.uow import unit_of_work

log = structlog.get_logger(__name__)

OUTCOME_ACTIVITY = "outcome_activity"
CHAMPION_CHANGE = "champion_change"


class OutcomeActivity(TypedDict):
    """A completed play outcome -> a Task (Salesforce) or a Note/Task (HubSpot) on the account."""

    account_crm_id: str
    contact_crm_id: NotRequired[str | None]
    subject: str
    body: str
    status: str  # "Completed" | "Not Started"
    activity_date: str  # ISO date
    outcome_id: str


class ChampionChange(TypedDict):
    """A champion left and (optionally) another took the role -> contact roles / association labels."""

    account_crm_id: str
    departed_contact_crm_id: str
    new_contact_crm_id: NotRequired[str | None]
    role: str  # champion | exec_sponsor | admin | finance | user


class WriteBackClient(Protocol):
    target: str  # "salesforce" | "hubspot"

    def send(self, kind: str, payload: Mapping[str, Any], idempotency_key: str) -> str:
        """Create-or-find the CRM record for this key; return its CRM id. Raise connectors.errors."""
        ...


CLAIM_LEASE = timedelta(minutes=5)  # longer than any send's retries take


@dataclass
class DrainResult:
    sent: int = 0
    failed: int = 0  # attempts that failed and were charged to their item (retried after a backoff)
    parked: int = 0
    stopped: str | None = None  # why draining stopped early (auth / rate limit); that item is rescheduled


def drain_outbox(engine: Engine, client: WriteBackClient, now: datetime, limit: int = 200) -> DrainResult:
    """Send due items for `client.target`, one transaction per item (the send happens before commit)."""
    result = DrainResult()
    with unit_of_work(engine) as session:
        ids = [item.id for item in outbox_repo.due_items(session, now, target=client.target, limit=limit)]
    for item_id in ids:
        with unit_of_work(engine) as session:  # committed before the send: one drain per item
            if not outbox_repo.claim(session, item_id, now, CLAIM_LEASE):
                continue
        with unit_of_work(engine) as session:
            item = session.get(outbox_repo.OutboxItem, item_id)
            if item is None or item.state not in ("pending", "failed"):
                continue
            try:
                record_id = client.send(item.kind, item.payload, item.idempotency_key)
            except RecordRejected as exc:
                outbox_repo.mark_failed(item, str(exc), now, permanent=True)
                result.parked += 1
                log.warning("outbox.parked", item=item.id, target=client.target, error=str(exc))
                continue
            except (AuthError, RateLimited) as exc:
                # the CRM refused us, not the item: no attempt is charged, so nothing is parked for it
                retry_after = exc.retry_after if isinstance(exc, RateLimited) else 0
                outbox_repo.reschedule(item, str(exc), now, retry_after=retry_after)
                result.stopped = str(exc)
                log.warning("outbox.stopped", target=client.target, error=str(exc))
                break
            except ConnectorError as exc:
                outbox_repo.mark_failed(item, str(exc), now)
                if item.state == "parked":
                    result.parked += 1
                else:
                    result.failed += 1
                continue
            outbox_repo.mark_sent(item, record_id, now)
            result.sent += 1
    return result
