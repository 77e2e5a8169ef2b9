"""Store rows -> the engine's AccountSignals (the glue between `store.scoring_inputs` and `plays`).

Rows are read by position (see `InputRows`): one tuple per account and table, no per-field lookups."""

from __future__ import annotations

from plays.signals import WEEKS, AccountSignals
from store.scoring_inputs import InputRows

_NO_USAGE = (None, *(None,) * WEEKS, 0, None)  # account, w0..w7, events_4w, seats
_NO_TICKETS = (None, 0, 0, 0)  # account, t7, t28, urgent28
_NO_NPS = (None, None, None, None)  # account, score, external_id, responded_at
_NO_STAKEHOLDERS = (None, 0, 0)  # account, engaged, has_champion
_NO_LEFT = (None, None, None)  # account, contact_id, valid_to


def build_signals(rows: InputRows) -> list[AccountSignals]:
    as_of = rows.as_of
    usage, tickets, nps = rows.usage.get, rows.tickets.get, rows.nps.get
    stakeholders, left_of = rows.stakeholders.get, rows.champion_left.get
    arr_change, prev_score = rows.arr_change.get, rows.prev_score.get
    end = WEEKS + 1
    return [
        AccountSignals(
            account_id,
            as_of,
            arr,
            contract_start,
            renewal_date,
            tuple((u := usage(account_id, _NO_USAGE))[1:end]),
            u[end + 1],
            int(u[end] or 0),
            int((t := tickets(account_id, _NO_TICKETS))[1] or 0),
            int(t[2] or 0),
            int(t[3] or 0),
            (n := nps(account_id, _NO_NPS))[1],
            n[2],
            n[3],
            int((st := stakeholders(account_id, _NO_STAKEHOLDERS))[1]),
            bool(st[2]),
            (left := left_of(account_id, _NO_LEFT))[1],
            left[2],
            arr_change(account_id),
            prev_score(account_id),
        )
        for account_id, arr, contract_start, renewal_date in rows.accounts
    ]
