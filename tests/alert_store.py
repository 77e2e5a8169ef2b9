"""What the alert service, race and champion tests share: the day their store's check pass runs, and a
row count. The `store` fixture itself (the synthetic portfolio loaded, one check pass run) is in
tests/conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from store.uow import unit_of_work

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def count(engine: Engine, model: type, *where: object) -> int:
    with unit_of_work(engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]
