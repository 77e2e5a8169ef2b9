"""Render alert messages, App Home views and a flood digest; print per-message latency and throughput
and the ratio to the baseline measured in the same run: serialising the same finished payloads with
json.dumps (the least any renderer must do), so the ratio is the price of templates, escaping and
limit validation; the flood digest is compared with rendering the same alerts one message each.

    python -m benchmarks.render_messages [--alerts 5000] [--digest-items 10000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from datetime import UTC, datetime

from benchmarks.common import peak_rss_mib, report
from messages.alerts import alert_message
from messages.models import Account, Alert, DigestItem, Driver, Health
from messages.notices import digest_message
from messages.surface_models import Home
from messages.surfaces import home_view

PLAYS = ("usage_decline", "ticket_spike", "nps_detractor", "renewal_risk", "champion_departure", "milestone")
NASTY = '<!channel> *bold* <https://evil|click> & "quotes" _x_ ~y~ `z`'


def _alerts(n: int) -> list[Alert]:
    now = datetime(2026, 11, 2, tzinfo=UTC)
    out = []
    for i in range(n):
        acc = Account(
            id=str(uuid.UUID(int=i)),
            name=f"{NASTY} {i}" if i % 10 == 0 else f"Account {i}",
            arr=1_000 * (i % 500),
            tier=("high", "mid", "tech_touch")[i % 3],
            crm_source="salesforce",
            crm_url=f"https://crm.example/r/Account/{i}/view",
        )
        out.append(
            Alert(
                id=str(uuid.UUID(int=10**9 + i)),
                play_id=PLAYS[i % len(PLAYS)],
                play_name=PLAYS[i % len(PLAYS)].replace("_", " ").capitalize(),
                account=acc,
                reason="Usage fell more than 30% for two weeks running. " * (1 + i % 3),
                state=("firing", "claimed", "snoozed")[i % 3],
                steps=("Review drivers", "Call the champion", "Log outcome"),
                signals={"drop_pct": 35, "window_days": 14, "tickets_7d": 4, "score": 3},
                health=Health(48, "at_risk", (Driver("Usage", -14, "WAU down"), Driver("NPS", 2))),
                owner_slack_id="U0CSM001",
                claimed_by="U0CSM001",
                snoozed_until=now,
                fired_at=now,
                due_at=now,
            )
        )
    return out


def _timed(fn: object, items: list[object]) -> tuple[list[float], list[object]]:
    latencies, results = [], []
    for item in items:
        start = time.perf_counter()
        results.append(fn(item))  # type: ignore[operator]
        latencies.append(time.perf_counter() - start)
    return latencies, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alerts", type=int, default=5_000)
    parser.add_argument("--digest-items", type=int, default=10_000)
    args = parser.parse_args()

    alerts = _alerts(args.alerts)
    alert_message(alerts[0])  # compile templates outside the timing
    render_lat, messages = _timed(lambda a: alert_message(a).as_kwargs(), alerts)  # type: ignore[arg-type]
    base_lat, _ = _timed(json.dumps, messages)
    render_s, base_s = sum(render_lat), sum(base_lat)

    homes = [
        Home(user_id="U0CSM001", role="manager", open_alerts=tuple(alerts[i : i + 40]))
        for i in range(0, 2000, 40)
    ]
    home_lat, views = _timed(lambda h: home_view(h).as_dict(), homes)  # type: ignore[arg-type]
    home_base, _ = _timed(json.dumps, views)

    items = [
        DigestItem(
            str(uuid.UUID(int=i)),
            a.play_id,
            a.play_name,
            a.account.id,
            a.account.name,
            a.reason,
            arr=a.account.arr,
        )
        for i, a in enumerate((alerts * (args.digest_items // len(alerts) + 1))[: args.digest_items])
    ]
    start = time.perf_counter()
    digest = digest_message(items)
    digest_s = time.perf_counter() - start
    one_by_one = render_s / len(alerts) * len(items)  # rendering the flood as individual alerts

    def ms(xs: list[float], q: float) -> float:
        return statistics.quantiles(xs, n=100)[int(q) - 1] * 1000 if len(xs) > 1 else xs[0] * 1000

    report(
        "render messages (templates + escaping + limit validation)",
        {
            "alert messages": len(alerts),
            "alert render p50 ms": ms(render_lat, 50),
            "alert render p99 ms": ms(render_lat, 99),
            "alerts rendered per s": len(alerts) / render_s,
            "baseline json.dumps per s": len(alerts) / base_s,
            "ratio render / baseline": render_s / base_s,
            "App Home views (40 alerts)": len(homes),
            "home render p50 ms": ms(home_lat, 50),
            "ratio home / baseline": sum(home_lat) / sum(home_base),
            "digest items": len(items),
            "digest blocks": len(digest.blocks),
            "digest render ms": digest_s * 1000,
            "ratio flood as single alerts / digest": one_by_one / digest_s,
            "peak RSS MiB": peak_rss_mib(),
        },
    )


if __name__ == "__main__":
    main()
