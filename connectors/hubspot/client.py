"""Building a hubspot-api-client from explicit parameters (the composition root passes them)."""

from __future__ import annotations

from dataclasses import dataclass

from hubspot import HubSpot
from pydantic import SecretStr


@dataclass(frozen=True)
class HubSpotConfig:
    access_token: SecretStr
    host: str = "https://api.hubapi.com"


def connect(config: HubSpotConfig) -> HubSpot:
    return HubSpot(access_token=config.access_token.get_secret_value(), host=config.host.rstrip("/"))
