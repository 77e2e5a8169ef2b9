"""A load generator in its own process: sends prepared HTTP requests all at once and times each one.

The requests (JSON: a list of {"method", "url", "body" (base64), "headers"}) come from a file; every
request gets its own thread and connection, the threads start together behind a barrier, and each
latency runs from opening the connection to reading the whole answer (as Slack would see it). Prints
{"latencies_ms": [...], "statuses": [...]} on stdout. Running apart from the process that serves the
Slack sandbox keeps the sandbox's work (and its share of the GIL) out of the measurement.

    python -m benchmarks.burst requests.json
"""

from __future__ import annotations

import base64
import http.client
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _one(request: dict[str, Any], barrier: threading.Barrier, out: list[Any], index: int) -> None:
    url = urlsplit(request["url"])
    body = base64.b64decode(request["body"]) if request.get("body") else None
    barrier.wait()
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
        conn.request(request.get("method", "POST"), url.path or "/", body=body, headers=request["headers"])
        answer = conn.getresponse()
        answer.read()
        conn.close()
        status = answer.status
    except OSError:
        status = 0
    out[index] = ((time.perf_counter() - started) * 1000, status)


def fire(requests: list[dict[str, Any]]) -> dict[str, list[Any]]:
    out: list[Any] = [None] * len(requests)
    barrier = threading.Barrier(len(requests))
    threads = [
        threading.Thread(target=_one, args=(r, barrier, out, i), daemon=True) for i, r in enumerate(requests)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies_ms": [o[0] for o in out], "statuses": [o[1] for o in out]}


def request(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {"method": method, "url": url, "body": base64.b64encode(body).decode(), "headers": headers or {}}


def fire_in_subprocess(requests: list[dict[str, Any]], scratch: Path) -> dict[str, list[Any]]:
    """Run `fire` in a fresh interpreter (this module as a script) and return its result."""
    path = scratch / f"burst-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(requests))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.burst", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, list[Any]] = json.loads(done.stdout)
    return result


if __name__ == "__main__":
    print(json.dumps(fire(json.loads(Path(sys.argv[1]).read_text()))))
