"""Salesforce-looking record ids: 3-char key prefix, 2-char pod, 10-char base-62 counter, and the
3-char case-safe suffix Salesforce computes for 18-char ids."""

from __future__ import annotations

import re

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID18 = re.compile(r"^[0-9A-Za-z]{18}$")
_ID15 = re.compile(r"^[0-9A-Za-z]{15}$")

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Case": "500",
    "Task": "00T",
    "User": "005",
    "Organization": "00D",
    "CurrencyType": "02c",
    "DatedConversionRate": "04w",
}
QUERY_LOCATOR_PREFIX = "01g"


def _base62(n: int, width: int) -> str:
    out = []
    while n:
        n, r = divmod(n, 62)
        out.append(_BASE62[r])
    return "".join(reversed(out)).rjust(width, "0")


def case_safe_suffix(id15: str) -> str:
    """The three characters that make a 15-char id unique case-insensitively."""
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if ch.isupper())
        suffix += _SUFFIX[bits]
    return suffix


def make_id(prefix: str, counter: int) -> str:
    id15 = f"{prefix}5g{_base62(counter, 10)}"
    return id15 + case_safe_suffix(id15)


def to_18(record_id: str) -> str | None:
    """The 18-char form of a 15- or 18-char id, or None when it is not an id at all."""
    if _ID18.match(record_id):
        return record_id if case_safe_suffix(record_id[:15]) == record_id[15:] else None
    if _ID15.match(record_id):
        return record_id + case_safe_suffix(record_id)
    return None
