"""Building a simple-salesforce client from explicit parameters (the composition root passes them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from pydantic import SecretStr
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest, Response
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from connectors.errors import AuthError, ConfigurationError, TransientError


def login_refused(exc: SalesforceAuthenticationFailed) -> AuthError:
    """A sign-in Salesforce refused (SOAP login, or the SDK signing in again by itself)."""
    code = str(exc.code) if exc.code is not None else "INVALID_LOGIN"
    return AuthError(f"login refused: {exc.auth_message}"[:300], source="salesforce", code=code)


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


class _DefaultTimeout(HTTPAdapter):
    """Gives a request sent without a timeout this one. Some simple-salesforce calls take none (an
    sObject's describe), and requests then waits for an answer forever."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, *args, **kwargs)


def http_session(ca_file: Path | None, timeout: float | None = None) -> requests.Session:
    """A requests session that trusts `ca_file` (the sandbox's CA) and ignores proxy variables; with
    `timeout`, every request it sends without one waits that many seconds at most."""
    session = requests.Session()
    session.trust_env = False
    if ca_file is not None:
        session.verify = str(ca_file)
    if timeout is not None:
        adapter = _DefaultTimeout(timeout)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


def client_credentials_token(config: SalesforceConfig, session: requests.Session) -> str:
    """A new access token from the org's My Domain token endpoint (OAuth client-credentials flow)."""
    assert config.instance_url and config.consumer_key and config.consumer_secret
    try:
        response = session.post(
            f"{config.instance_url.rstrip('/')}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": config.consumer_key.get_secret_value(),
                "client_secret": config.consumer_secret.get_secret_value(),
            },
            timeout=config.timeout,
        )
    except requests.RequestException as exc:
        raise AuthError(f"token endpoint unreachable: {type(exc).__name__}", source="salesforce") from None
    if response.status_code != 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        reason = body.get("error", "refused") if isinstance(body, dict) else f"HTTP {response.status_code}"
        raise AuthError(f"token endpoint refused the client credentials ({reason})", source="salesforce")
    return str(response.json()["access_token"])


def password_login(config: SalesforceConfig, session: requests.Session) -> Salesforce:
    """A client signed in with the username and password (+ security token) through the SOAP login.

    simple-salesforce raises its own SalesforceAuthenticationFailed for a refused login; callers catch
    `ConnectorError` (the sync of every CRM, the outbox drain), so it becomes an `AuthError` here, or
    the other CRM's sync would be skipped and the drain would record nothing."""
    assert config.username and config.password
    try:
        return Salesforce(
            username=config.username,
            password=config.password.get_secret_value(),
            security_token=config.security_token.get_secret_value() if config.security_token else "",
            domain=config.domain,
            session=session,
            version=config.api_version,
            object_pairs_hook=None,  # json's C fast path: the SDK's OrderedDict default costs per record
        )
    except SalesforceAuthenticationFailed as exc:
        raise login_refused(exc) from None
    except requests.RequestException as exc:
        raise TransientError(
            f"login endpoint unreachable: {type(exc).__name__}", source="salesforce", code="NETWORK"
        ) from None


def connect(config: SalesforceConfig, *, fresh_token: bool = False) -> Salesforce:
    """A client for `config`. With `fresh_token` (the session expired), a configured connected app gets
    a new access token, or else a configured username and password sign in again: the configured
    session id is what expired."""
    session = http_session(config.ca_file, config.timeout)
    can_mint = bool(config.instance_url and config.consumer_key and config.consumer_secret)
    can_login = bool(config.username and config.password)
    if config.instance_url and (can_mint and (fresh_token or not config.session_id)):
        token = client_credentials_token(config, session)
        return Salesforce(
            instance_url=config.instance_url,
            session_id=token,
            session=session,
            version=config.api_version,
            object_pairs_hook=None,  # json's C fast path: the SDK's OrderedDict default costs per record
        )
    if config.instance_url and config.session_id and not (fresh_token and can_login):
        return Salesforce(
            instance_url=config.instance_url,
            session_id=config.session_id.get_secret_value(),
            session=session,
            version=config.api_version,
            object_pairs_hook=None,  # json's C fast path: the SDK's OrderedDict default costs per record
        )
    if can_login:
        return password_login(config, session)
    raise ConfigurationError(
        "set SALESFORCE_INSTANCE_URL + SALESFORCE_SESSION_ID (or + SALESFORCE_CONSUMER_KEY/SECRET), "
        "or SALESFORCE_USERNAME + SALESFORCE_PASSWORD",
        source="salesforce",
    )
