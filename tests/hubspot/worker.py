"""A separate process the crash tests SIGKILL: `python -m tests.hubspot.worker sync|drain DB HOST TOKEN`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from pydantic import SecretStr

from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.client import HubSpotConfig, connect
from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from connectors.hubspot.writeback import HubSpotWriteBack
from connectors.writeback import drain_outbox
from store.db import make_engine


def main(argv: list[str]) -> None:
    command, db_url, host, token = argv[:4]
    engine = make_engine(db_url)
    calls = HubSpotCalls(connect(HubSpotConfig(access_token=SecretStr(token), host=host)))
    if command == "sync":
        streams = build_streams(engine, calls, options=StreamOptions(page_size=int(argv[4])))
        sync_hubspot(engine, streams, full=False)
    else:
        while drain_outbox(engine, HubSpotWriteBack(calls), datetime.now(UTC)).sent:
            pass
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
