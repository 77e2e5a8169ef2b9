"""Deterministic primary keys for CRM-derived rows.

A row synced from a CRM gets `uuid5(namespace, "source:object:crm_id")` as its id, so a connector can
compute the id of a parent (an Account for a Contact) without a lookup, and bulk upserts stay set-based.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from typing import Any

_NAMESPACE = uuid.UUID("7b0d7c1e-4c55-4a53-9b1e-6f1d2a0c9e11")


_NAMESPACE_BYTES = _NAMESPACE.bytes


@functools.lru_cache(maxsize=64)
def _prefix(source: str, obj: str) -> Any:
    """SHA-1 state after hashing the namespace and "source:obj:" (copied per key, not recomputed)."""
    return hashlib.sha1(_NAMESPACE_BYTES + f"{source}:{obj}:".encode())  # noqa: S324 - RFC 4122 name-based ids use SHA-1


def crm_key(source: str, obj: str, crm_id: str) -> str:
    """`str(uuid.uuid5(_NAMESPACE, "source:obj:crm_id"))`, computed without building UUID objects (the
    sync derives one or two keys per record, so this sits on its hot path)."""
    sha = _prefix(source, obj).copy()
    sha.update(crm_id.encode())
    digest = bytearray(sha.digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def account_key(source: str, crm_id: str) -> str:
    return crm_key(source, "account", crm_id)


def contact_key(source: str, crm_id: str) -> str:
    return crm_key(source, "contact", crm_id)


def deal_key(source: str, crm_id: str) -> str:
    return crm_key(source, "deal", crm_id)


def ticket_key(source: str, crm_id: str) -> str:
    return crm_key(source, "ticket", crm_id)
