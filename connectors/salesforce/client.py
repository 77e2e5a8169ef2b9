"""Building a simple-salesforce client from explicit parameters (the composition root passes them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests
from pydantic import SecretStr
from simple_salesforce.api import Salesforce

from connectors.errors import ConfigurationError


@dataclass(frozen=True)
class SalesforceConfig:
    instance_url: str | None = None
    session_id: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    domain: str = "login"
    api_version: str = "59.0"
    ca_file: Path | None = None
    timeout: float = 30.0


def http_session(ca_file: Path | None) -> requests.Session:
    """A requests session that trusts `ca_file` (the sandbox's CA) and ignores proxy variables."""
    session = requests.Session()
    session.trust_env = False
    if ca_file is not None:
        session.verify = str(ca_file)
    return session


def connect(config: SalesforceConfig) -> Salesforce:
    session = http_session(config.ca_file)
    if config.instance_url and config.session_id:
        return Salesforce(
            instance_url=config.instance_url,
            session_id=config.session_id.get_secret_value(),
            session=session,
            version=config.api_version,
        )
    if config.username and config.password:
        return Salesforce(
            username=config.username,
            password=config.password.get_secret_value(),
            security_token=config.security_token.get_secret_value() if config.security_token else "",
            domain=config.domain,
            session=session,
            version=config.api_version,
        )
    raise ConfigurationError(
        "set SALESFORCE_INSTANCE_URL + SALESFORCE_SESSION_ID, or SALESFORCE_USERNAME + SALESFORCE_PASSWORD",
        source="salesforce",
    )
