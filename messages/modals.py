"""Modals: log outcome, snooze until a date, false-positive reason, reassign, champion change.

Each modal's `callback_id` is `ModalRef(kind).encode()` and its `private_metadata` is a `ModalContext`
(the alert or account, and the message to update afterwards). Inputs are never pre-filled with CRM
text (escaped text in an input would be saved back escaped); current values are shown as context.
Input block/action ids are the constants in `messages.submissions`, which parses what comes back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

from messages.actions import ModalContext, ModalKind, ModalRef
from messages.blocks import View, split_stream
from messages.env import humanize, render_stream
from messages.models import OUTCOME_RESULTS, STAKEHOLDER_ROLES, Account, Alert, Contact
from messages.submissions import (
    CHAMPION_IDS,
    FALSE_POSITIVE_IDS,
    OUTCOME_IDS,
    REASSIGN_IDS,
    SNOOZE_IDS,
)

MAX_CONTACT_OPTIONS: Final = 100


def _modal(kind: ModalKind, context: ModalContext, values: Mapping[str, Any]) -> View:
    _, meta, blocks = split_stream(render_stream(f"modals/{kind.value}.j2", values))
    payload = {
        "type": "modal",
        "callback_id": ModalRef(kind).encode(),
        "private_metadata": context.encode(),
        **meta,
        "blocks": blocks,
    }
    return View(payload)


def log_outcome_modal(alert: Alert, context: ModalContext) -> View:
    results = [(humanize(r).capitalize(), r) for r in OUTCOME_RESULTS]
    return _modal(ModalKind.LOG_OUTCOME, context, {"alert": alert, "ids": OUTCOME_IDS, "results": results})


def snooze_modal(alert: Alert, context: ModalContext, today: date) -> View:
    """`today` is the user's local date; the alert comes back at 09:00 in `context.tz` (else UTC)."""
    values = {
        "alert": alert,
        "ids": SNOOZE_IDS,
        "initial_date": today + timedelta(days=7),
        "zone": (context.tz or "UTC").replace("_", " "),  # "America/Los Angeles"
    }
    return _modal(ModalKind.SNOOZE_UNTIL, context, values)


def false_positive_modal(alert: Alert, context: ModalContext) -> View:
    return _modal(ModalKind.FALSE_POSITIVE, context, {"alert": alert, "ids": FALSE_POSITIVE_IDS})


def reassign_modal(alert: Alert, context: ModalContext) -> View:
    return _modal(ModalKind.REASSIGN, context, {"alert": alert, "ids": REASSIGN_IDS})


def champion_change_modal(
    account: Account,
    context: ModalContext,
    contacts: Sequence[Contact],
    current: Contact | None = None,
    *,
    total: int | None = None,
) -> View:
    """From an alert button or `/champion`: pick who left and who replaces them among the account's
    contacts (the first 100, the current champion always among them; `total` counts them all when
    `contacts` is only the first page; a free-text field covers people not in the CRM yet)."""

    def label(c: Contact) -> str:
        return f"{c.name} ({c.title})" if c.title else c.name

    shown = list(contacts[:MAX_CONTACT_OPTIONS])
    if current is not None and current not in shown:
        shown = [current, *shown[: MAX_CONTACT_OPTIONS - 1]]
    options = [(label(c), c.id) for c in shown]
    values = {
        "account": account,
        "ids": CHAMPION_IDS,
        "current": current,
        "contact_options": options,
        "current_option": (label(current), current.id) if current is not None else None,
        "more_contacts": max(0, max(total or 0, len(contacts)) - len(shown)),
        "roles": [(humanize(r).capitalize(), r) for r in STAKEHOLDER_ROLES],
    }
    return _modal(ModalKind.CHAMPION_CHANGE, context, values)
