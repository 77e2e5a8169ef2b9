"""Signal feeds from the synthetic portfolio, as NDJSON for the ingest path (`retainer ingest` or the
bot's HTTP ingest endpoint). Accounts are named by domain, which both CRM sandboxes carry, so the feed
joins whichever CRM an account lives in."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from sandbox.portfolio_records import PAccount


def usage_ndjson(accounts: Iterable[PAccount], since: date | None = None) -> str:
    lines = []
    for acc in accounts:
        for day, wau, events in acc.usage.weeks():
            if (wau or events) and (since is None or day >= since):
                lines.append(
                    json.dumps(
                        {
                            "domain": acc.domain,
                            "day": day.isoformat(),
                            "weekly_active_users": wau,
                            "active_users": round(wau * 0.6),
                            "key_feature_events": events,
                            "licensed_seats": acc.usage.licensed_seats,
                        }
                    )
                )
    return "\n".join(lines) + "\n"


def nps_ndjson(accounts: Iterable[PAccount]) -> str:
    lines = []
    for acc in accounts:
        emails = {c.key: c.email for c in acc.contacts}
        for n in acc.nps:
            lines.append(
                json.dumps(
                    {
                        "domain": acc.domain,
                        "external_id": n.key,
                        "score": n.score,
                        "responded_at": n.responded_at.isoformat(),
                        "comment": n.comment,
                        "contact_email": emails.get(n.contact_key or ""),
                    }
                )
            )
    return "\n".join(lines) + "\n"
