"""JSON shapes of CRM v3 objects as HubSpot returns them (what the SDK's models validate)."""

from __future__ import annotations

from typing import Any

from sandbox.hubspot.schema import DEFAULT_PROPERTIES, MODIFIED_PROPERTY, association_type
from sandbox.hubspot.state import Rec, iso_ms

SINGULAR = {
    "companies": "company",
    "contacts": "contact",
    "deals": "deal",
    "tickets": "ticket",
    "notes": "note",
    "tasks": "task",
}


def requested(values: list[str] | None) -> list[str] | None:
    """`properties=a,b&properties=c` -> [a, b, c]; None when not given."""
    if not values:
        return None
    return [name for v in values for name in v.split(",") if name]


def object_json(
    rec: Rec, properties: list[str] | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    full = rec.full_props()
    names = properties if properties is not None else DEFAULT_PROPERTIES[rec.type]
    keep = {*names, "hs_object_id", "createdate", MODIFIED_PROPERTY[rec.type]}
    body: dict[str, Any] = {
        "id": str(rec.id),
        "properties": {k: full.get(k) for k in sorted(keep)},
        "createdAt": iso_ms(rec.created_ms),
        "updatedAt": iso_ms(rec.modified_ms),
        "archived": rec.archived,
    }
    if rec.archived and rec.archived_ms is not None:
        body["archivedAt"] = iso_ms(rec.archived_ms)
    if extra:
        body.update(extra)
    return body


def error(status: int, category: str, message: str, correlation_id: str, **more: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": correlation_id,
        "category": category,
        **more,
    }


def standard_error(category: str, message: str, context: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": context,
        "links": {},
        "errors": [],
    }


def v3_association_name(from_type: str, to_type: str, type_id: int) -> str:
    """How the v3 object APIs name one association type (`?associations=` lists one entry per target and
    type): the Primary link is "deal_to_company", every link also appears as "deal_to_company_unlabeled",
    and a portal's own label by its name ("executive_sponsor")."""
    kind = f"{SINGULAR[from_type]}_to_{SINGULAR[to_type]}"
    t = association_type(from_type, to_type, type_id)
    if t is None or t.category == "HUBSPOT_DEFINED":
        return kind if t is not None and t.label == "Primary" else f"{kind}_unlabeled"
    return (t.label or kind).lower().replace(" ", "_")
