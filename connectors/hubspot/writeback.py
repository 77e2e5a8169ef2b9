"""Write-back to HubSpot: play outcomes become Notes (completed) or Tasks (to do) on the company (and
contact); champion changes move the stakeholder association label.

Idempotency. The SDK does not retry POSTs, and our own retries (tenacity, in `calls`) and the outbox's
re-sends after a crash could repeat a write. Every write here converges instead of duplicating:

* the activity is written with a batch *upsert* keyed by the unique property `retainer_key` holding the
  outbox idempotency key: a repeat finds the record HubSpot already has and updates it in place;
* associations are attached with PUT (`/crm/v4/objects/...`), which sets a link that may exist already;
* labels are removed with the v4 labels-archive call, which is a no-op for a label that is gone.

So a crash after HubSpot accepted the record but before the outbox committed is repaired by the next
attempt finding the record. Permanent refusals (400/404/409: unknown company, invalid value) raise
`RecordRejected`, which `drain_outbox` parks.
"""

from __future__ import annotations

import html
from collections.abc import Mapping as MappingType
from datetime import UTC, date, datetime, time
from typing import Any

from connectors.errors import RecordRejected
from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.mapping import SOURCE, Mapping
from connectors.writeback import CHAMPION_CHANGE, OUTCOME_ACTIVITY


def _timestamp(day: str) -> str:
    try:
        return datetime.combine(date.fromisoformat(day), time(12), tzinfo=UTC).isoformat()
    except ValueError:
        raise RecordRejected(f"activity_date {day!r} is not an ISO date", source=SOURCE) from None


class HubSpotWriteBack:
    target = "hubspot"

    def __init__(self, calls: HubSpotCalls, mapping: Mapping | None = None) -> None:
        self.calls = calls
        self.mapping = mapping or Mapping.load()
        self._label_types: dict[str, int] | None = None

    def send(self, kind: str, payload: MappingType[str, Any], idempotency_key: str) -> str:
        if kind == OUTCOME_ACTIVITY:
            return self._activity(payload, idempotency_key)
        if kind == CHAMPION_CHANGE:
            return self._champion_change(payload)
        raise RecordRejected(f"unknown write-back kind {kind!r}", source=SOURCE)

    def _activity(self, payload: MappingType[str, Any], key: str) -> str:
        completed = payload.get("status") == "Completed"
        object_type = "notes" if completed else "tasks"
        subject, body = html.escape(str(payload["subject"])), html.escape(str(payload["body"]))
        when = _timestamp(str(payload["activity_date"]))
        if completed:
            props = {"hs_note_body": f"<p><strong>{subject}</strong></p><p>{body}</p>", "hs_timestamp": when}
        else:
            props = {
                "hs_task_subject": str(payload["subject"])[:255],
                "hs_task_body": f"<p>{body}</p>",
                "hs_task_status": "NOT_STARTED",
                "hs_timestamp": when,
            }
        result = self.calls.upsert(
            object_type, [{"id": key, "idProperty": self.mapping.idempotency_property, "properties": props}]
        )
        record_id = str(result.results[0].id)
        targets = [("companies", str(payload["account_crm_id"]))]
        if payload.get("contact_crm_id"):
            targets.append(("contacts", str(payload["contact_crm_id"])))
        for to_type, to_id in targets:
            spec = {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": self.mapping.activity_association(object_type, to_type),
            }
            self.calls.associate(object_type, record_id, to_type, to_id, [spec])
        return record_id

    def _role_type(self, role: str) -> int:
        if self._label_types is None:
            data = self.calls.association_labels("companies", "contacts")
            self._label_types = {
                str(t.label): int(t.type_id) for t in data.results if t.category == "USER_DEFINED" and t.label
            }
        label = self.mapping.label_for_role(role)
        if label is None or label not in self._label_types:
            raise RecordRejected(
                f"no association label for role {role!r} in this portal (mapping.yml stakeholder_labels)",
                source=SOURCE,
            )
        return self._label_types[label]

    def _champion_change(self, payload: MappingType[str, Any]) -> str:
        company = str(payload["account_crm_id"])
        spec = {
            "associationCategory": "USER_DEFINED",
            "associationTypeId": self._role_type(str(payload["role"])),
        }
        departed = str(payload["departed_contact_crm_id"])
        self.calls.archive_labels(
            "companies", "contacts", [{"from": {"id": company}, "to": {"id": departed}, "types": [spec]}]
        )
        new = payload.get("new_contact_crm_id")
        if new:
            self.calls.associate("companies", company, "contacts", str(new), [spec])
        return f"{company}:{new or departed}"
