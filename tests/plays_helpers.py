"""Builders for the pure engine's inputs, shared by the plays tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from plays.health import Health
from plays.signals import AccountSignals

AS_OF = date(2026, 11, 2)  # a Monday


def signals(**overrides: Any) -> AccountSignals:
    base: dict[str, Any] = {
        "account_id": "acc-1",
        "as_of": AS_OF,
        "arr": 60_000.0,
        "contract_start": date(2024, 3, 1),
        "renewal_date": date(2027, 9, 1),
        "wau": (100,) * 8,
        "seats": 120,
        "feature_events_4w": 1600,
        "engaged_stakeholders": 4,
        "has_champion": True,
    }
    base.update(overrides)
    return AccountSignals(**base)


def health(score: int = 80, band: str = "healthy", account_id: str = "acc-1") -> Health:
    return Health(account_id=account_id, score=score, band=band, components=(), drivers=())
