"""Explainable health: weighted components -> score 0-100, band, and the top drivers in words."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from plays.signals import AccountSignals

COMPONENTS = ("usage_frequency", "usage_trend", "feature_adoption", "tickets", "nps", "contract")
BANDS = ("healthy", "watch", "at_risk", "critical")


class HealthConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class HealthConfig:
    weights: dict[str, float]
    bands: dict[str, int]
    target_utilisation: float = 0.70
    trend_floor: float = -0.50
    target_events_per_user: float = 4.0
    tickets_for_zero: int = 8
    nps_max_age_days: int = 365
    top_drivers: int = 3

    def band(self, score: int) -> str:
        for name in BANDS:
            if score >= self.bands[name]:
                return name
        return "critical"


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    value: float  # 0..1, 1 = healthy
    weight: float
    template: str  # what the value means, in words, once formatted with `facts`
    facts: tuple[object, ...] = ()

    @property
    def text(self) -> str:
        return self.template.format(*self.facts)


@dataclass(frozen=True, slots=True)
class Health:
    account_id: str
    score: int
    band: str
    components: tuple[Component, ...]
    drivers: tuple[str, ...]  # the components pulling the score down most, in words
    driver_points: tuple[float, ...] = ()  # each driver's cost in score points (negative), same order

    def component_values(self) -> dict[str, float]:
        return {c.name: round(c.value, 4) for c in self.components}


def load_health_config(path: Path | None = None) -> HealthConfig:
    text = (
        path.read_text(encoding="utf-8")
        if path is not None
        else resources.files("plays").joinpath("config/health.yml").read_text(encoding="utf-8")
    )
    raw: Any = yaml.safe_load(text)
    where = str(path or "plays/config/health.yml")
    if not isinstance(raw, dict):
        raise HealthConfigError(f"{where}: expected a mapping")
    weights = raw.get("weights") or {}
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise HealthConfigError(f"{where}: unknown components {sorted(unknown)}; known: {COMPONENTS}")
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()) or not sum(weights.values()):
        raise HealthConfigError(f"{where}: weights must be non-negative numbers with a positive sum")
    bands = raw.get("bands") or {}
    if set(bands) != set(BANDS):
        raise HealthConfigError(f"{where}: bands must be exactly {BANDS}")
    params = raw.get("params") or {}
    try:
        return HealthConfig(
            weights={k: float(v) for k, v in weights.items()},
            bands={k: int(v) for k, v in bands.items()},
            **params,
        )
    except TypeError as exc:
        raise HealthConfigError(f"{where}: {exc}") from None


def _clamp(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)


class _Pct(float):
    """A signed percentage change, formatted like "−42%" (true minus sign) only when shown."""

    def __format__(self, spec: str) -> str:
        return f"{'−' if self < 0 else '+'}{abs(self) * 100:.0f}%"


Part = tuple[str, float, str, tuple[object, ...]]


def _usage_components(s: AccountSignals, cfg: HealthConfig) -> list[Part]:
    out: list[Part] = []
    latest = s.week(0)
    if latest is None:
        return out
    if s.seats:
        util = latest / s.seats
        out.append(
            (
                "usage_frequency",
                _clamp(util / cfg.target_utilisation),
                "weekly active users at {:.0%} of {} seats",
                (util, s.seats),
            )
        )
    wau = s.weeks()
    recent = [w for w in wau[0:2] if w is not None]
    before = [w for w in wau[4:8] if w is not None]
    if recent and before and _mean(before) > 0:
        change = _mean(recent) / _mean(before) - 1
        out.append(
            (
                "usage_trend",
                _clamp(1 - change / cfg.trend_floor) if change < 0 else 1.0,
                "weekly active users {} vs 4 weeks ago",
                (_Pct(change),),
            )
        )
    active = sum(w for w in wau[0:4] if w)
    if active:
        per_user = s.feature_events_4w / active
        out.append(
            (
                "feature_adoption",
                _clamp(per_user / cfg.target_events_per_user),
                "{:.1f} key-feature events per active user per week",
                (per_user,),
            )
        )
    return out


def score(s: AccountSignals, cfg: HealthConfig) -> Health:
    """Score one account. Components without data are left out and the weights renormalised."""
    parts: list[Part] = _usage_components(s, cfg)
    load = s.tickets_28d + s.urgent_tickets_28d
    parts.append(
        (
            "tickets",
            _clamp(1 - load / cfg.tickets_for_zero),
            "{} support tickets in 4 weeks ({} high/urgent)",
            (s.tickets_28d, s.urgent_tickets_28d),
        )
    )
    if (
        s.nps_score is not None
        and s.nps_at is not None
        and (s.as_of - s.nps_at.date()).days <= cfg.nps_max_age_days
    ):
        parts.append(("nps", s.nps_score / 10, "latest NPS response {}", (s.nps_score,)))
    if s.arr_change is not None:
        parts.append(
            ("contract", _clamp(1 + 2 * s.arr_change), "ARR {} at last renewal", (_Pct(s.arr_change),))
        )
    weights = cfg.weights
    components = []
    total = weighted = 0.0
    for name, value, template, facts in parts:
        weight = weights.get(name, 0.0)
        components.append(Component(name, value, weight, template, facts))
        total += weight
        weighted += weight * value
    points = round(weighted / total * 100) if total else 100
    floor = 0.02 * (total or 1)
    costs = [(c.weight * (1 - c.value), c) for c in components]
    shortfalls = [c for _, c in sorted((p for p in costs if p[0] >= floor), key=_first, reverse=True)]
    top = shortfalls[: cfg.top_drivers]
    return Health(
        account_id=s.account_id,
        score=points,
        band=cfg.band(points),
        components=tuple(components),
        drivers=tuple(c.template.format(*c.facts) for c in top),
        driver_points=tuple(-round(100 * c.weight * (1 - c.value) / (total or 1), 1) for c in top),
    )


def _first(pair: tuple[float, Component]) -> float:
    return pair[0]
