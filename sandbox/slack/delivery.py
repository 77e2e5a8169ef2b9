"""Signed HTTP deliveries to the bot, exactly as Slack sends them, and their record.

Slack signs ``v0:{timestamp}:{body}`` with HMAC-SHA256 and the app's signing secret, and sends
``X-Slack-Signature: v0=<hex>`` and ``X-Slack-Request-Timestamp``. `Tamper` forges the signature or skews
the timestamp so security tests can check the bot refuses them; `Transport.replay` resends a delivery's
exact bytes and headers. Timestamps use real time (not the sandbox clock), as the bot verifies against its
own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Tamper:
    forge_signature: bool = False  # sign with the wrong secret
    timestamp_skew: float = 0.0  # seconds added to the timestamp (-600: ten minutes stale)


@dataclass
class Delivery:
    id: int
    kind: str  # block_actions | view_submission | slash_command | event_callback
    user: str
    url: str
    body: bytes
    headers: dict[str, str]
    at: str = ""
    status: int | None = None  # None: the bot did not answer (connection refused, timeout)
    latency_ms: float = 0.0
    response_body: str = ""
    error: str = ""
    outcome: dict[str, Any] = field(default_factory=dict)  # what the sandbox applied from the answer

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "user": self.user,
            "at": self.at,
            "status": self.status,
            "latency_ms": round(self.latency_ms, 2),
            "response_body": self.response_body[:2000],
            "error": self.error,
            "outcome": self.outcome,
        }


class DeliveryLog:
    """Every delivery a transport made, numbered in order (what tests and the web page read)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._records: list[Delivery] = []
        self._lock = threading.Lock()

    def records(self) -> list[Delivery]:
        with self._lock:
            return list(self._records)

    def _record(self, kind: str, user: str, url: str, body: bytes, headers: dict[str, str]) -> Delivery:
        """A new record, numbered and timestamped, before it is sent."""
        with self._lock:
            record = Delivery(len(self._records) + 1, kind, user, url, body, headers)
            self._records.append(record)
        record.at = datetime.now(UTC).isoformat()
        return record


class Transport(DeliveryLog):
    def __init__(self, signing_secret: str, timeout: float = 10.0) -> None:
        super().__init__(timeout)
        self.signing_secret = signing_secret

    def send(
        self, kind: str, user: str, url: str, body: bytes, content_type: str, tamper: Tamper
    ) -> Delivery:
        prepared = self.prepare(kind, user, url, body, content_type, tamper)
        return self._post(kind, user, url, body, prepared.headers)

    def prepare(
        self, kind: str, user: str, url: str, body: bytes, content_type: str, tamper: Tamper
    ) -> Delivery:
        """A signed delivery, neither sent nor recorded (``status`` None, ``id`` 0)."""
        ts = str(int(time.time() + tamper.timestamp_skew))
        secret = self.signing_secret + ("-forged" if tamper.forge_signature else "")
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sign(secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        return Delivery(0, kind, user, url, body, headers)

    def replay(self, delivery: Delivery) -> Delivery:
        """Send `delivery`'s exact bytes and headers again (a replayed request)."""
        return self._post(delivery.kind, delivery.user, delivery.url, delivery.body, dict(delivery.headers))

    def _post(self, kind: str, user: str, url: str, body: bytes, headers: dict[str, str]) -> Delivery:
        record = self._record(kind, user, url, body, headers)
        started = time.perf_counter()
        try:
            with requests.Session() as http:
                http.trust_env = False
                answer = http.post(url, data=body, headers=headers, timeout=self.timeout)
            record.status = answer.status_code
            record.response_body = answer.text
        except requests.RequestException as exc:
            record.error = f"{type(exc).__name__}: {exc}"
        record.latency_ms = (time.perf_counter() - started) * 1000
        return record
