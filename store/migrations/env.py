"""Alembic environment. The engine comes from `store.migrate.alembic_config` (never from os.environ)."""

from __future__ import annotations

from alembic import context

from store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
