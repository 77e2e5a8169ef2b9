"""Shared fixtures. Store tests run on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set;
each PostgreSQL test gets a schema of its own, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine, text

from bot.services.check import run_check
from plays.catalog import Catalog, load_catalog
from plays.clock import FakeClock
from sandbox.portfolio import generate
from sandbox.store_loader import load_portfolio
from store.db import make_engine
from store.migrate import upgrade
from tests.alert_store import START

# Tests must not pick up a developer's .env or environment: settings come only from what a test sets.
_SETTINGS_ENV_PREFIXES = ("SLACK_", "SALESFORCE_", "HUBSPOT_", "DATABASE_URL", "INGEST_", "LOG_")


@pytest.fixture(autouse=True)
def _clean_settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(_SETTINGS_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """A test that configures logging onto its own stream must not leave later tests writing to it."""
    yield
    structlog.reset_defaults()


def _backends() -> list[pytest.param]:
    params = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("TEST_DATABASE_URL"):
        params.append(pytest.param("postgresql", id="postgresql"))
    return params


@pytest.fixture(params=_backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty schema: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = os.environ["TEST_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database (through the same Alembic path `db upgrade` uses)."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def store(engine: Engine, catalog: Catalog) -> tuple[Engine, FakeClock]:
    """The synthetic portfolio (60 accounts) loaded and one check pass run at `alert_store.START`."""
    load_portfolio(engine, generate(60, seed=7))
    clock = FakeClock(START)
    run_check(engine, catalog, clock)
    return engine, clock
