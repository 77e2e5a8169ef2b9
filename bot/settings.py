"""Settings, read from the environment and `.env` (the only module that reads either).

Every secret is a `SecretStr`, so it never shows in `repr(settings)`, logs or tracebacks; DATABASE_URL,
which may hold a password, is left out of the repr and its password is masked in logs. Settings that
only some commands need (Slack tokens for `retainer run`, CRM credentials for `retainer sync`) are
optional here and demanded by the command through `Settings.require`, which raises `ConfigError` with
one line naming the environment variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from messages.money import DEFAULT_CURRENCY, check_currency

_KNOWN_DATABASE_DRIVERS = ("sqlite", "postgresql")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line that names the environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Store (a plain string for SQLAlchemy, but it may carry a password: kept out of repr, masked in logs)
    database_url: str = Field(default="sqlite:///retainer.db", repr=False)

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_base_url: str | None = None
    slack_mode: Literal["http", "socket"] = "http"
    slack_http_port: int = Field(default=3000, ge=1, le=65535)
    slack_digest_threshold: int = Field(default=5, ge=1)

    # Salesforce
    salesforce_instance_url: str | None = None
    salesforce_session_id: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_password: SecretStr | None = None
    salesforce_security_token: SecretStr | None = None
    salesforce_consumer_key: SecretStr | None = None
    salesforce_consumer_secret: SecretStr | None = None
    salesforce_domain: str = "login"
    salesforce_api_version: str = "59.0"
    salesforce_ca_file: Path | None = None
    salesforce_mapping_file: Path | None = None
    salesforce_records_per_commit: int = Field(default=10_000, ge=1)

    # HubSpot
    hubspot_access_token: SecretStr | None = None
    hubspot_host: str = "https://api.hubapi.com"

    # Ingest endpoint
    ingest_token: SecretStr | None = None

    # Scheduler intervals
    sync_interval_minutes: int = Field(default=15, ge=1)
    rescore_interval_minutes: int = Field(default=60, ge=1)
    sla_sweep_interval_minutes: int = Field(default=5, ge=1)
    digest_flush_interval_minutes: int = Field(default=15, ge=1)
    outbox_drain_interval_seconds: int = Field(default=30, ge=1)
    # The sync job runs a full sync of a CRM (reconciling deletions incremental syncs cannot see) when
    # its last full run is this old; 0 = never (run `retainer sync <crm> --full` yourself)
    full_sync_interval_hours: int = Field(default=168, ge=0)
    # Worker processes for a full rescore of a large portfolio: 0 = one per core (at most 4), 1 = none
    rescore_workers: int = Field(default=0, ge=0, le=64)

    # Behaviour
    play_catalog_dir: Path | None = None  # a folder of play YAML files instead of the shipped catalog
    timezone: str = "UTC"
    # The currency amounts (ARR, deal amounts) are stored in, as an ISO 4217 code: messages show it
    currency: str = DEFAULT_CURRENCY
    default_alert_channel: str = "#cs-alerts"
    escalation_channel: str = "#cs-escalations"
    admin_slack_ids: str = ""
    manager_slack_ids: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["console", "json"] = "console"

    @model_validator(mode="before")
    @classmethod
    def _empty_means_unset(cls, data: object) -> object:
        """`SLACK_BOT_TOKEN=` (as copied from .env.example) means "not set", not an empty secret."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in _KNOWN_DATABASE_DRIVERS:
            raise ValueError(
                f"unsupported backend {url.get_backend_name()!r}: use sqlite:/// or postgresql://"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("currency")
    @classmethod
    def _check_currency(cls, value: str) -> str:
        return check_currency(value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def salesforce_configured(self) -> bool:
        return bool(self.salesforce_instance_url or self.salesforce_username)

    @property
    def hubspot_configured(self) -> bool:
        return self.hubspot_access_token is not None

    @property
    def slack_configured(self) -> bool:
        return self.slack_bot_token is not None

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first of `names` that is unset."""
        for name in names:
            if getattr(self, name) in (None, ""):
                raise ConfigError(f"{name.upper()} is not set (see .env.example)")

    @property
    def database_password(self) -> str | None:
        """The password in DATABASE_URL, if it has one."""
        return make_url(self.database_url).password

    def secret(self, name: str) -> str:
        """The plain value of a required secret setting."""
        self.require(name)
        value = getattr(self, name)
        assert isinstance(value, SecretStr)
        return value.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning pydantic's validation report into one ConfigError line per problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]).upper() or "SETTINGS"
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("; ".join(problems)) from None
