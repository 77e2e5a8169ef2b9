"""Running every HubSpot stream in order: companies first (children reference them), then contacts,
deals, tickets, and the association labels last (they need both companies and contacts).

`StreamOptions.currency` is the store currency (the CURRENCY setting, passed by the composition root):
amounts are converted into it with the HubSpot account's exchange rates, read once per run
(`connectors.hubspot.currency`). Build the streams anew for each run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.currency import Money
from connectors.hubspot.mapping import Mapping
from connectors.hubspot.roles import RoleStream
from connectors.hubspot.streams import ObjectStream
from connectors.sync import RunResult, Stream, run_streams
from store.sweep import LIMIT_FRACTION

OBJECT_STREAMS = ("companies", "contacts", "deals", "tickets")
STREAM_NAMES = (*OBJECT_STREAMS, "associations")


@dataclass(frozen=True)
class StreamOptions:
    page_size: int = 100
    search_limit: int = 200
    lookback_ms: int = 0
    association_batch: int = 1_000
    currency: str = "USD"  # the store currency (ISO 4217): amounts are converted into it


def build_streams(
    engine: Engine,
    calls: HubSpotCalls,
    mapping: Mapping | None = None,
    options: StreamOptions | None = None,
    only: tuple[str, ...] = STREAM_NAMES,
) -> list[Stream]:
    mapping = mapping or Mapping.load()
    o = options or StreamOptions()
    known: set[str] = set()
    money = Money(calls, o.currency)  # one per run: the account's currencies are read once
    streams: list[Stream] = [
        ObjectStream(
            name,
            calls,
            mapping,
            page_size=o.page_size,
            search_limit=o.search_limit,
            lookback_ms=o.lookback_ms,
            known=known,
            money=money,
        )
        for name in OBJECT_STREAMS
        if name in only
    ]
    if "associations" in only:
        streams.append(RoleStream(engine, calls, mapping, batch_size=o.association_batch))
    return streams


def sync_hubspot(
    engine: Engine,
    streams: list[Stream],
    *,
    full: bool = False,
    on_page: Callable[[RunResult], None] | None = None,
    sweep_limit: float | None = LIMIT_FRACTION,
) -> list[RunResult]:
    """Run the streams in order (see `connectors.sync.run_streams`; `sweep_limit` for a full run)."""
    return run_streams(engine, streams, full=full, on_page=on_page, sweep_limit=sweep_limit)
