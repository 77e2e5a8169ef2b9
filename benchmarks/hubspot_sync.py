"""HubSpot initial sync: companies + contacts + deals + association labels from the sandbox into a fresh
store, against a bare hubspot-api-client paging loop making the same requests in the same run; then the
same sync under HubSpot's 190 requests / 10 s limit, against the rate-limit floor.

    python -m benchmarks.hubspot_sync [--accounts 100000] [--rate-accounts 1000] [--state-dir DIR]

The rate-limited run is paced by the limit itself (about a minute per 1,000 companies at 10 records a
page), so its default portfolio is small; its figure is the ratio to that floor, whatever the size.

The sandbox runs in a child process (so the figures are the client's), loaded once per state dir.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr

from benchmarks.common import peak_rss_mib, report
from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.client import HubSpotConfig, connect
from connectors.hubspot.mapping import Mapping
from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from store.db import make_engine
from store.migrate import upgrade

STREAMS = ("companies", "contacts", "deals", "associations")
PARENTS = {"companies": [], "contacts": ["companies"], "deals": ["companies"]}


def _serve(state_dir: str, accounts: int, rate: tuple[int, float], ready: Any, stop: Any) -> None:
    from sandbox.hubspot import start_hubspot
    from sandbox.portfolio import generate

    sandbox = start_hubspot(
        generate(accounts), state_dir=Path(state_dir), rate_limit=rate, with_tickets=False
    )
    ready.put(sandbox.info())
    stop.wait()
    sandbox.stop()


class Portal:
    """The sandbox in a child process."""

    def __init__(self, state_dir: Path, accounts: int, rate: tuple[int, float]) -> None:
        ctx = mp.get_context("spawn")
        self._ready = ctx.Queue()
        self._stop = ctx.Event()
        self._proc = ctx.Process(
            target=_serve, args=(str(state_dir), accounts, rate, self._ready, self._stop)
        )
        self._proc.start()
        self.info: dict[str, str] = self._ready.get(timeout=3600)

    def close(self) -> None:
        self._stop.set()
        self._proc.join(30)


def _calls(info: dict[str, str]) -> HubSpotCalls:
    return HubSpotCalls(
        connect(HubSpotConfig(access_token=SecretStr(info["access_token"]), host=info["host"]))
    )


def bare_sdk_loop(info: dict[str, str]) -> tuple[int, int, float]:
    """The same list pages and association batch reads with the SDK alone: (records, requests, seconds)."""
    client = connect(HubSpotConfig(access_token=SecretStr(info["access_token"]), host=info["host"]))
    mapping = Mapping.load()
    records = requests = 0
    company_ids: list[str] = []
    start = time.perf_counter()
    for object_type in ("companies", "contacts", "deals"):
        api = getattr(client.crm, object_type).basic_api
        after = None
        while True:
            kwargs: dict[str, Any] = {
                "limit": 100,
                "properties": mapping.properties(object_type),
                "archived": False,
            }
            if after:
                kwargs["after"] = after
            if PARENTS[object_type]:
                kwargs["associations"] = PARENTS[object_type]
            page = api.get_page(**kwargs)
            requests += 1
            records += len(page.results)
            if object_type == "companies":
                company_ids += [r.id for r in page.results]
            if not page.paging:
                break
            after = page.paging.next.after
        archived = api.get_page(limit=100, archived=True, properties=["hs_object_id"])  # the deletes pass
        requests += 1
        records += len(archived.results)
    assoc = client.crm.associations.v4.batch_api
    for i in range(0, len(company_ids), 1000):
        batch = {"inputs": [{"id": c} for c in company_ids[i : i + 1000]]}
        data = assoc.get_page(
            "companies", "contacts", batch_input_public_fetch_associations_batch_request=batch
        )
        requests += 1
        records += sum(len(r.to) for r in data.results)
    return records, requests, time.perf_counter() - start


def connector_sync(info: dict[str, str], db_path: Path, page_size: int = 100) -> tuple[int, int, float]:
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    calls = _calls(info)
    start = time.perf_counter()
    results = sync_hubspot(
        engine,
        build_streams(engine, calls, options=StreamOptions(page_size=page_size), only=STREAMS),
        full=True,
    )
    seconds = time.perf_counter() - start
    assert all(r.status == "ok" for r in results), [r.errors[:3] for r in results]
    engine.dispose()
    return sum(r.records_read for r in results), calls.stats.requests, seconds


def _set_limit(host: str, max_requests: int, interval: float) -> None:
    session = requests.Session()
    session.trust_env = False
    session.post(f"{host}/_sandbox/rate_limit", json={"max": max_requests, "interval": interval}, timeout=60)
    session.delete(f"{host}/_sandbox/requests", timeout=60)


def _count_429(host: str) -> int:
    session = requests.Session()
    session.trust_env = False
    log = session.get(f"{host}/_sandbox/requests", timeout=60).json()
    return sum(1 for entry in log if entry["status"] == 429)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument(
        "--rate-accounts",
        type=int,
        default=1_000,
        help="portfolio size for the 190/10 s run (about 1 minute per 1,000 companies)",
    )
    parser.add_argument("--state-dir", type=Path, default=None, help="keep the loaded portals here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = args.state_dir or Path(tmp)
        started = time.perf_counter()
        portal = Portal(root / f"portal-{args.accounts}", args.accounts, (10**9, 10.0))
        load_seconds = time.perf_counter() - started
        try:
            base_records, base_requests, base_seconds = bare_sdk_loop(portal.info)
            records, requests, seconds = connector_sync(portal.info, Path(tmp) / "bench.db")
        finally:
            portal.close()
        report(
            f"HubSpot initial sync, {args.accounts:,} companies (+ contacts, deals, association labels)",
            {
                "portal ready (s)": load_seconds,
                "records read": records,
                "requests made": requests,
                "seconds": seconds,
                "records/s": records / seconds,
                "peak RSS (MiB)": peak_rss_mib(),
                "baseline: bare SDK loop (s)": base_seconds,
                "baseline requests": base_requests,
                "baseline records/s": base_records / base_seconds,
                "ratio to baseline (goal <= 1.3)": seconds / base_seconds,
            },
        )

        # The rate-limit part pages 10 records per request so that requests, not parsing, bind.
        portal = Portal(root / f"portal-{args.rate_accounts}", args.rate_accounts, (10**9, 10.0))
        try:
            _, _, free_seconds = connector_sync(portal.info, Path(tmp) / "free.db", page_size=10)
            _set_limit(portal.info["host"], 190, 10.0)
            _, requests, seconds = connector_sync(portal.info, Path(tmp) / "rate.db", page_size=10)
            too_many = _count_429(portal.info["host"])
        finally:
            portal.close()
        # No client can finish faster: every 190 requests after the first 190 need 10 s more, and the
        # requests of the last window take at least their unthrottled share of time.
        windows, tail = divmod(requests - 1, 190)
        floor = windows * 10.0 + free_seconds * (tail + 1) / requests
        report(
            f"Same sync under 190 requests / 10 s, {args.rate_accounts:,} companies, 10 records per page",
            {
                "requests made": requests,
                "seconds": seconds,
                "without the limit (s)": free_seconds,
                "rate-limit floor (s)": floor,
                "ratio to floor (goal <= 1.05)": seconds / floor,
                "429 answers": too_many,
            },
        )


if __name__ == "__main__":
    main()
