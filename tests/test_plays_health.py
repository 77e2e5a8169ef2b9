"""Health score: weighted explainable components, bands, drivers in words, segments, config."""

from __future__ import annotations

from pathlib import Path

import pytest

from plays.health import HealthConfigError, load_health_config, score
from plays.segments import load_segment_config, segment, touch_tier
from tests.plays_helpers import signals


def test_healthy_account_scores_high_with_no_drivers() -> None:
    h = score(signals(), load_health_config())
    assert h.band == "healthy" and h.score >= 75
    assert h.drivers == ()


def test_declining_usage_is_explained_in_words() -> None:
    s = signals(wau=(58, 58, 90, 95, 100, 100, 100, 100), seats=120, tickets_28d=5, urgent_tickets_28d=2)
    h = score(s, load_health_config())
    assert h.drivers[0] == "weekly active users −42% vs 4 weeks ago"
    assert "5 support tickets in 4 weeks (2 high/urgent)" in h.drivers
    assert h.band in ("watch", "at_risk")
    assert score(signals(), load_health_config()).score > h.score
    # each driver carries what it costs the score, biggest first, and together no more than the gap to 100
    assert len(h.driver_points) == len(h.drivers)
    assert all(p < 0 for p in h.driver_points)
    assert list(h.driver_points) == sorted(h.driver_points)
    assert -sum(h.driver_points) <= 100 - h.score + 1


def test_missing_components_are_left_out_and_weights_renormalised() -> None:
    h = score(signals(wau=(), seats=None), load_health_config())
    assert {c.name for c in h.components} == {"tickets"}
    assert h.score == 100


def test_weights_come_from_config(tmp_path: Path) -> None:
    cfg = tmp_path / "health.yml"
    cfg.write_text(
        "weights: {tickets: 1.0}\nbands: {healthy: 75, watch: 55, at_risk: 35, critical: 0}\n",
        encoding="utf-8",
    )
    h = score(signals(tickets_28d=4), load_health_config(cfg))
    assert h.score == 50 and h.band == "at_risk"
    cfg.write_text("weights: {vibes: 1}\nbands: {}\n", encoding="utf-8")
    with pytest.raises(HealthConfigError, match="unknown components"):
        load_health_config(cfg)


@pytest.mark.parametrize(
    ("arr", "tier"), [(50_000, "high"), (49_999, "mid"), (5_000, "mid"), (4_999, "tech")]
)
def test_touch_tiers(arr: float, tier: str) -> None:
    assert touch_tier(arr, load_segment_config()) == tier


def test_lifecycle_stages() -> None:
    cfg = load_segment_config()
    from datetime import timedelta

    from tests.plays_helpers import AS_OF

    onboarding = signals(contract_start=AS_OF - timedelta(days=30), wau=(10,) * 8, seats=100)
    renewal = signals(renewal_date=AS_OF + timedelta(days=100))
    adoption = signals(wau=(50,) * 8, seats=100)
    value = signals(wau=(80,) * 8, seats=100)
    assert [segment(s, "healthy", cfg).stage for s in (onboarding, renewal, adoption, value)] == [
        "onboarding",
        "renewal",
        "adoption",
        "value",
    ]
