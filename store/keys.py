"""Deterministic primary keys for CRM-derived rows.

A row synced from a CRM gets `uuid5(namespace, "source:object:crm_id")` as its id, so a connector can
compute the id of a parent (an Account for a Contact) without a lookup, and bulk upserts stay set-based.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("7b0d7c1e-4c55-4a53-9b1e-6f1d2a0c9e11")


def crm_key(source: str, obj: str, crm_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{source}:{obj}:{crm_id}"))


def account_key(source: str, crm_id: str) -> str:
    return crm_key(source, "account", crm_id)


def contact_key(source: str, crm_id: str) -> str:
    return crm_key(source, "contact", crm_id)


def deal_key(source: str, crm_id: str) -> str:
    return crm_key(source, "deal", crm_id)


def ticket_key(source: str, crm_id: str) -> str:
    return crm_key(source, "ticket", crm_id)
