"""structlog configuration. Secret values from settings are masked in every event before rendering."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import structlog
from pydantic import SecretStr

from bot.settings import Settings

_MASK = "**********"


def _secret_values(settings: Settings) -> list[str]:
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            values.append(value.get_secret_value())
    # DATABASE_URL's password, both as written in the URL (percent-encoded) and decoded
    for password in (urlsplit(settings.database_url).password, settings.database_password):
        if password and password not in values:
            values.append(password)
    return values


class SecretMasker:
    """A structlog processor replacing any known secret value in an event's strings."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = [s for s in secrets if len(s) >= 4]

    def _mask(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, _MASK)
            return value
        if isinstance(value, SecretStr):
            return _MASK
        if isinstance(value, dict):
            return {k: self._mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._mask(v) for v in value)
        return value

    def __call__(self, _logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in list(event.items()):
            event[key] = self._mask(value)
        return event


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time of writing (it may be replaced after setup)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(settings: Settings, stream: Any = None) -> None:
    out: Any = stream or _CurrentStderr()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    level = logging.getLevelNamesMapping()[settings.log_level]
    logging.basicConfig(stream=out, level=level, format="%(message)s", force=True)
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            SecretMasker(_secret_values(settings)),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
