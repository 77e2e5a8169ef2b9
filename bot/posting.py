"""Posting to Slack through a queue: at most one message per second per channel, Retry-After honoured,
and a flood for one channel collapsed into a single digest.

`submit()` only enqueues. `flush()` posts what is pending: channels are served round-robin, each channel
waits `min_interval` seconds between posts, a `ratelimited` answer sleeps for the Retry-After it carries
and tries again, and a channel with more than `digest_threshold` pending messages of one kind (new
alerts, escalation notices, step reminders) gets one digest of them built by `digest_builder` instead.
`on_posted(ts)` runs only after Slack accepted the message, so "sent" is recorded only for what was sent.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = structlog.get_logger(__name__)


@dataclass
class Outgoing:
    channel: str
    text: str
    blocks: list[dict[str, Any]]
    on_posted: Callable[[str, str], None] | None = None  # (channel id, ts)
    key: str = ""  # what the message is about (an alert id), for digests and logs
    keys: tuple[str, ...] = ()  # the alert ids a digest carries (empty: just `key`)
    kind: str = "alert"  # floods are collapsed per channel and kind: a digest never mixes kinds


@dataclass
class FlushReport:
    posted: int = 0
    digests: int = 0
    digested: int = 0
    retries: int = 0
    held: int = 0  # alerts left waiting for their owner's digest or active hours
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, error)
    posts_by_channel: dict[str, list[float]] = field(default_factory=dict)

    def max_posts_per_second(self) -> int:
        """The most posts any channel received within one second."""
        worst = 0
        for stamps in self.posts_by_channel.values():
            window: deque[float] = deque()
            for t in stamps:
                window.append(t)
                while window and t - window[0] >= 1.0:
                    window.popleft()
                worst = max(worst, len(window))
        return worst


DigestBuilder = Callable[[str, Sequence[Outgoing]], Outgoing]
RECORD_ATTEMPTS = 3


class PostQueue:
    def __init__(
        self,
        client: WebClient,
        *,
        digest_builder: DigestBuilder,
        digest_threshold: int = 5,
        min_interval: float = 1.0,
        max_retries: int = 5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._digest_builder = digest_builder
        self._threshold = digest_threshold
        self._min_interval = min_interval
        self._max_retries = max_retries
        self._clock = clock
        self._sleep = sleep
        self._pending: OrderedDict[str, list[Outgoing]] = OrderedDict()
        self._last_post: dict[str, float] = {}
        self._lock = threading.Lock()

    def submit(self, message: Outgoing) -> None:
        with self._lock:
            self._pending.setdefault(message.channel, []).append(message)

    def pending(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._pending.values())

    def flush(self) -> FlushReport:
        with self._lock:
            batches = self._pending
            self._pending = OrderedDict()
        report = FlushReport()
        queues: OrderedDict[str, deque[Outgoing]] = OrderedDict()
        for channel, messages in batches.items():
            by_kind: dict[str, list[Outgoing]] = {}
            for message in messages:
                by_kind.setdefault(message.kind, []).append(message)
            queue: deque[Outgoing] = deque()
            for group in by_kind.values():
                if len(group) > self._threshold:
                    queue.append(self._digest_builder(channel, group))
                    report.digests += 1
                    report.digested += len(group)
                else:
                    queue.extend(group)
            queues[channel] = queue
        while queues:
            for channel in list(queues):
                queue = queues[channel]
                self._post(queue.popleft(), report)
                if not queue:
                    del queues[channel]
        return report

    def _wait_turn(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self._min_interval - (self._clock() - last)
            if wait > 0:
                self._sleep(wait)

    def _post(self, message: Outgoing, report: FlushReport) -> None:
        for attempt in range(self._max_retries + 1):
            self._wait_turn(message.channel)
            try:
                response = self._client.chat_postMessage(
                    channel=message.channel, text=message.text, blocks=message.blocks
                )
            except (OSError, TimeoutError) as exc:  # unreachable or timed out: this message only
                report.failed.append((message.key, repr(exc)))
                log.warning("slack.post_failed", channel=message.channel, key=message.key, error=repr(exc))
                return
            except SlackApiError as exc:
                self._last_post[message.channel] = self._clock()
                if exc.response.status_code == 429 and attempt < self._max_retries:
                    retry_after = float(exc.response.headers.get("Retry-After", "1"))
                    report.retries += 1
                    self._sleep(retry_after)
                    continue
                error = str(exc.response.get("error") or exc)
                report.failed.append((message.key, error))
                log.warning("slack.post_failed", channel=message.channel, key=message.key, error=error)
                return
            now = self._clock()
            self._last_post[message.channel] = now
            report.posted += 1
            report.posts_by_channel.setdefault(message.channel, []).append(now)
            if message.on_posted is not None:
                self._record(message, str(response["channel"]), str(response["ts"]), report)
            return

    def _record(self, message: Outgoing, channel: str, ts: str, report: FlushReport) -> None:
        """Record what Slack accepted. The store may be briefly busy (a long sync holds SQLite's write
        lock): retry a few times, since a post that is never recorded would be posted again later.
        Whatever happens, the rest of the queue is still posted."""
        assert message.on_posted is not None
        for attempt in range(RECORD_ATTEMPTS):
            try:
                message.on_posted(channel, ts)
                return
            except Exception as exc:
                if attempt + 1 < RECORD_ATTEMPTS:
                    self._sleep(0.5 * (attempt + 1))
                    continue
                report.failed.append((message.key, f"posted as {ts} but not recorded: {exc!r}"))
                log.error("slack.record_failed", channel=channel, ts=ts, key=message.key, error=repr(exc))
