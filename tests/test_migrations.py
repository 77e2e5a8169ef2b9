"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from store import migrate
from store.models import Base


def test_upgrade_reaches_head_and_autogenerate_finds_no_difference(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert migrate.pending_differences(engine) == []


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_upgrade_is_idempotent(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
