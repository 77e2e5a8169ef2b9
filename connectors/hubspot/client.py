"""Building a hubspot-api-client from explicit parameters (the composition root passes them).

urllib3's own retries are switched off (`Retry(0)`): every retry goes through the connector's tenacity
policy in `connectors.hubspot.calls`, which knows which calls are safe to repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubspot import HubSpot
from pydantic import SecretStr
from urllib3.util.retry import Retry


@dataclass(frozen=True)
class HubSpotConfig:
    access_token: SecretStr
    host: str = "https://api.hubapi.com"


def connect(config: HubSpotConfig) -> HubSpot:
    return HubSpot(
        access_token=config.access_token.get_secret_value(),
        host=config.host.rstrip("/"),
        retry=Retry(total=0, redirect=0, raise_on_status=False),
    )
