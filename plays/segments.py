"""Segments from declarative rules (plays/config/segments.yml): lifecycle stage, risk band, value
potential and touch tier (by default 50K+ ARR high, 5K-50K mid, under 5K tech-touch, in the CRMs'
currency)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from plays.signals import AccountSignals

TIERS = ("high", "mid", "tech")
STAGES = ("onboarding", "adoption", "value", "renewal")


@dataclass(frozen=True, slots=True)
class StageRule:
    stage: str
    max_days_since_start: int | None = None
    max_days_to_renewal: int | None = None
    max_utilisation: float | None = None

    def matches(self, days_since_start: int | None, days_to_renewal: int | None, util: float | None) -> bool:
        if self.max_days_since_start is not None and (
            days_since_start is None or days_since_start > self.max_days_since_start
        ):
            return False
        if self.max_days_to_renewal is not None and (
            days_to_renewal is None or not 0 <= days_to_renewal <= self.max_days_to_renewal
        ):
            return False
        return not (self.max_utilisation is not None and util is not None and util >= self.max_utilisation)


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    tier_floors: tuple[tuple[str, float], ...]
    stages: tuple[StageRule, ...]
    value_rules: tuple[tuple[str, float, float | None], ...]  # (name, min_arr, max_utilisation)


@dataclass(frozen=True, slots=True)
class Segment:
    tier: str
    stage: str
    risk: str  # the health band
    value_potential: str  # high | medium | low


def load_segment_config(path: Path | None = None) -> SegmentConfig:
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else resources.files("plays").joinpath("config/segments.yml").read_text(encoding="utf-8")
    )
    raw: Any = yaml.safe_load(text)
    where = str(path or "plays/config/segments.yml")
    try:
        floors = tuple(sorted(((k, float(v)) for k, v in raw["touch_tiers"].items()), key=lambda t: -t[1]))
        stages = tuple(StageRule(**rule) for rule in raw["lifecycle"])
        values = tuple(
            (name, float(rule.get("min_arr", 0)), rule.get("max_utilisation"))
            for name, rule in raw["value_potential"].items()
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{where}: invalid segment config ({exc!r})") from None
    if {name for name, _ in floors} != set(TIERS):
        raise ValueError(f"{where}: touch_tiers must be exactly {TIERS}")
    unknown = {rule.stage for rule in stages} - set(STAGES)
    if unknown:
        raise ValueError(f"{where}: unknown lifecycle stages {sorted(unknown)}")
    return SegmentConfig(floors, stages, values)


def touch_tier(arr: float | None, cfg: SegmentConfig) -> str:
    value = arr or 0.0
    for name, floor in cfg.tier_floors:
        if value >= floor:
            return name
    return cfg.tier_floors[-1][0]


def segment(s: AccountSignals, band: str, cfg: SegmentConfig) -> Segment:
    latest = s.week(0)
    util = latest / s.seats if latest is not None and s.seats else None
    since = (s.as_of - s.contract_start).days if s.contract_start else None
    stage = next(
        (rule.stage for rule in cfg.stages if rule.matches(since, s.days_to_renewal, util)),
        cfg.stages[-1].stage,
    )
    potential = next(
        (
            name
            for name, min_arr, max_util in cfg.value_rules
            if (s.arr or 0) >= min_arr and (max_util is None or util is None or util <= max_util)
        ),
        "low",
    )
    return Segment(tier=touch_tier(s.arr, cfg), stage=stage, risk=band, value_potential=potential)
