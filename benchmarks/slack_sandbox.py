"""The Slack sandbox under load, each figure with the ratio to a baseline measured in the same run:

- chat.postMessage throughput (rate limit off, spread over channels) vs auth.test round trips;
- 50 concurrent signed clicks into a minimal Bolt app (HTTP mode, verification on): delivery latency
  p50/p99 as the sandbox records it, vs 50 concurrent auth.test calls (a bare sandbox round trip);
- with Slack's 1 message/s/channel on: the highest posts/s any channel saw when one client floods it
  (slack_sdk's RateLimitErrorRetryHandler obeying Retry-After), which must stay <= 1;
- the state flush with every message stored.

    python -m benchmarks.slack_sandbox [--posts 2000] [--clicks 50] [--flood 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from benchmarks.common import report
from sandbox.slack import start_slack
from sandbox.slack.boltserver import serve_bolt

BUTTON = {"type": "button", "action_id": "claim", "text": {"type": "plain_text", "text": "Claim"}}
BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* usage fell 42%"}},
    {"type": "actions", "elements": [BUTTON]},
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def rate(n: int, fn: Callable[[int], Any]) -> float:
    started = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - started)


def concurrent_latencies(n: int, fn: Callable[[int], float]) -> list[float]:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def timed_ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clicks", type=int, default=50)
    parser.add_argument("--flood", type=int, default=5, help="posts flooding one channel with the limit on")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        slack = start_slack(state_dir=Path(tmp) / "fast", csm_count=200, post_interval=0.0)
        info = slack.info()
        client = WebClient(token=info["bot_token"], base_url=info["base_url"])
        rate(50, lambda i: client.auth_test())  # warm-up
        auth_rate = rate(300, lambda i: client.auth_test())
        channels = [f"CCSM{i:03d}" for i in range(200)]
        post_rate = rate(
            args.posts,
            lambda i: client.chat_postMessage(channel=channels[i % 200], text="alert", blocks=BLOCKS),
        )
        flush_ms = timed_ms(lambda: (slack.workspace.touch(), slack.workspace.flush()))
        state_mib = (Path(tmp) / "fast" / "slack.json").stat().st_size / 2**20

        app = App(signing_secret=info["signing_secret"], client=client)

        @app.action("claim")
        def claim(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            container = body["container"]
            client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text="claimed")

        targets = [
            client.chat_postMessage(channel="CCSALERTS", text="a", blocks=BLOCKS)["ts"]
            for _ in range(args.clicks)
        ]
        with serve_bolt(app) as url:
            slack.set_bot_url(url)
            baseline = concurrent_latencies(args.clicks, lambda i: timed_ms(client.auth_test))
            deliveries = concurrent_latencies(
                args.clicks, lambda i: slack.click("UCSM000", "CCSALERTS", targets[i], "claim").latency_ms
            )
            refused = sum(1 for d in slack.deliveries() if d.status != 200)
        slack.stop()

        limited = start_slack(state_dir=Path(tmp) / "limited", csm_count=3)
        linfo = limited.info()
        flooder = WebClient(token=linfo["bot_token"], base_url=linfo["base_url"])
        flooder.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=10))
        for i in range(args.flood):
            flooder.chat_postMessage(channel="CCSM000", text=f"flood {i}")
        stamps = [float(m["ts"]) for m in limited.messages("CCSM000")]
        max_per_s = max(sum(1 for t in stamps if s <= t < s + 1) for s in stamps)
        rejected = limited.api.rate.rejected
        limited.stop()

    report(
        "Slack sandbox: Web API throughput",
        {
            "auth.test calls/s (baseline)": auth_rate,
            "chat.postMessage posts/s": post_rate,
            "ratio posts/s : auth.test/s": post_rate / auth_rate,
            f"state flush with {args.posts + args.clicks} messages, ms": flush_ms,
            "state file MiB": state_mib,
        },
    )
    report(
        f"Slack sandbox: {args.clicks} concurrent signed clicks into Bolt (HTTP mode)",
        {
            "delivery p50 ms": statistics.median(deliveries),
            "delivery p99 ms": pct(deliveries, 0.99),
            "baseline auth.test p50 ms": statistics.median(baseline),
            "baseline auth.test p99 ms": pct(baseline, 0.99),
            "ratio p99 delivery : baseline": pct(deliveries, 0.99) / pct(baseline, 0.99),
            "deliveries not answered 200": refused,
        },
    )
    report(
        "Slack sandbox: 1 message/s/channel",
        {
            "posts flooded into one channel": args.flood,
            "429 ratelimited answers": rejected,
            "max posts/s/channel seen (goal <= 1)": max_per_s,
        },
    )


if __name__ == "__main__":
    main()
