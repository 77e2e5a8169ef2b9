"""Store rows -> the engine's AccountSignals (the glue between `store.scoring_inputs` and `plays`)."""

from __future__ import annotations

from plays.signals import WEEKS, AccountSignals
from store.scoring_inputs import InputRows


def build_signals(rows: InputRows) -> list[AccountSignals]:
    out = []
    empty = (None,) * WEEKS
    for account_id, arr, contract_start, renewal_date in rows.accounts:
        u = rows.usage.get(account_id)
        t = rows.tickets.get(account_id)
        n = rows.nps.get(account_id)
        st = rows.stakeholders.get(account_id)
        left = rows.champion_left.get(account_id)
        out.append(
            AccountSignals(
                account_id=account_id,
                as_of=rows.as_of,
                arr=arr,
                contract_start=contract_start,
                renewal_date=renewal_date,
                wau=tuple(u[1 : WEEKS + 1]) if u else empty,
                seats=u.seats if u else None,
                feature_events_4w=int(u.events_4w or 0) if u else 0,
                tickets_7d=int(t.t7 or 0) if t else 0,
                tickets_28d=int(t.t28 or 0) if t else 0,
                urgent_tickets_28d=int(t.urgent28 or 0) if t else 0,
                nps_score=n.score if n else None,
                nps_id=n.external_id if n else None,
                nps_at=n.responded_at if n else None,
                engaged_stakeholders=int(st.engaged) if st else 0,
                has_champion=bool(st.has_champion) if st else False,
                champion_left_contact=left.contact_id if left else None,
                champion_left_on=left.valid_to if left else None,
                arr_change=rows.arr_change.get(account_id),
                prev_score=rows.prev_score.get(account_id),
            )
        )
    return out
