"""`run_check`: one rescore + trigger + lifecycle pass (the scheduler job's body, and `retainer check`).

Reads every input with a few set-based queries, scores and evaluates in memory with the pure engine,
then writes snapshots, new alerts, refreshes, time-driven transitions and their audit events in bulk,
all in one transaction. Pass `account_ids` for an incremental pass over changed accounts.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from bot.services.scoring_pool import Scored, ScoringPool, shard_bounds
from bot.services.signals import build_signals
from plays.catalog import Catalog, Play
from plays.clock import Clock
from plays.health import HealthConfig, load_health_config, score
from plays.lifecycle import (
    OCCURRENCE_MEMORY,
    AlertState,
    Digest,
    Notice,
    Route,
    SilenceRule,
    group_digests,
    plan_pass,
    route,
    sweep,
)
from plays.segments import SegmentConfig, load_segment_config, segment
from plays.signals import AccountSignals
from plays.triggers import Hit, evaluate, plays_for
from store import alerts_repo
from store.models.alerts import NOTICE_PENDING
from store.scoring_inputs import InputRows, fetch_inputs
from store.types import new_id
from store.uow import unit_of_work

SCHEDULER = "scheduler"
MAX_INCREMENTAL = 20_000  # more changed accounts than this: a full pass is cheaper


@dataclass(frozen=True)
class EngineConfig:
    catalog: Catalog
    health: HealthConfig = field(default_factory=load_health_config)
    segments: SegmentConfig = field(default_factory=load_segment_config)
    default_channel: str = "#cs-alerts"


@dataclass
class CheckSummary:
    as_of: date
    accounts: int = 0
    snapshots_written: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    hits: int = 0
    fired: int = 0
    fired_by_play: dict[str, int] = field(default_factory=dict)
    refreshed: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    transitions: dict[str, int] = field(default_factory=dict)
    digests: list[Digest] = field(default_factory=list)
    seconds: float = 0.0


def _state(row: Any) -> AlertState:
    return AlertState(
        id=row.id,
        fingerprint=row.fingerprint,
        account_id=row.account_id,
        play_id=row.play_id,
        state=row.state,
        fired_at=row.fired_at,
        due_at=row.due_at,
        claimed_at=row.claimed_at,
        escalated_at=row.escalated_at,
        snoozed_until=row.snoozed_until,
        deliver_at=row.deliver_at,
        steps_reminded=row.steps_reminded,
        account_gone=bool(row.account_deleted),
    )


def _event(
    alert_id: str,
    action: str,
    now: datetime,
    frm: str | None,
    to: str | None,
    notice: str | None = None,
    **details: Any,
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "at": now,
        "actor": SCHEDULER,
        "action": action,
        "from_state": frm,
        "to_state": to,
        "via": SCHEDULER,
        "request_id": None,
        "details": details,
        "notice": notice,
    }


def run_check(
    engine: Engine,
    catalog: Catalog | EngineConfig,
    clock: Clock,
    *,
    account_ids: Sequence[str] | None = None,
    pool: ScoringPool | None = None,
) -> CheckSummary:
    """Rescore, evaluate triggers, run the lifecycle; `account_ids` limits the pass to those accounts.
    With a `pool`, a full pass over a large portfolio is scored in its worker processes by id range
    while this process sweeps the open alerts."""
    config = catalog if isinstance(catalog, EngineConfig) else EngineConfig(catalog)
    if account_ids is not None and len(account_ids) > MAX_INCREMENTAL:
        account_ids = None
    started = time.perf_counter()
    now = clock.now()
    summary = CheckSummary(as_of=now.date())
    bounds = shard_bounds(engine, pool.workers) if pool is not None and account_ids is None else None
    shards = pool.submit(config, summary.as_of, now, bounds) if pool is not None and bounds else None
    with unit_of_work(engine) as session:
        scored = None if shards is not None else _score_here(session, config, now, account_ids)
        states = [_state(r) for r in alerts_repo.open_alerts(session, account_ids)]
        events: list[dict[str, Any]] = []
        _apply_sweep(session, states, config.catalog, now, summary, events)
        if pool is not None and shards is not None:
            scored = pool.collect(shards)
        if scored is None:  # a worker died: score here
            scored = _score_here(session, config, now, account_ids)
        hits, tiers = scored.hits, scored.tiers
        alerts_repo.insert_snapshots(session, scored.snapshots)
        summary.accounts, summary.snapshots_written, summary.hits = (
            scored.accounts,
            len(scored.snapshots),
            len(hits),
        )
        summary.bands = dict(scored.bands)

        expired = {e["alert_id"] for e in events if e["to_state"] == "expired"}
        still_open = {s.fingerprint: s for s in states if s.id not in expired}
        open_plays: dict[str, set[str]] = defaultdict(set)
        for s in still_open.values():
            open_plays[s.account_id].add(s.play_id)
        longest = max((p.cooldown.after(now) - now for p in config.catalog), default=timedelta(0))
        resolved = alerts_repo.last_resolved(
            session, now - longest, account_ids, occurrences_since=now - OCCURRENCE_MEMORY
        )
        silences: dict[str | None, list[SilenceRule]] = defaultdict(list)
        for rule in alerts_repo.active_silences(session, now):
            silences[rule.account_id].append(
                SilenceRule(rule.starts_at, rule.ends_at, None, rule.account_id, rule.play_id)
            )
        plan = plan_pass(
            hits,
            config.catalog,
            open_alerts=still_open,
            open_plays=open_plays,
            last_resolved=resolved,
            silences=silences,
            now=now,
        )
        summary.refreshed, summary.suppressed = len(plan.refresh), plan.suppressed
        alerts_repo.mark_seen(session, [alert_id for alert_id, _ in plan.refresh], now)
        alerts_repo.record_arms(session, plan.arms, now)
        _fire(session, config, plan.fire, tiers, now, summary, events)
        alerts_repo.insert_events(session, events)
    summary.seconds = time.perf_counter() - started
    return summary


def _score_here(
    session: Any, config: EngineConfig, now: datetime, account_ids: Sequence[str] | None
) -> Scored:
    with gc_paused():
        rows = fetch_inputs(session, now.date(), account_ids)
        hits, snapshots, tiers, bands = score_all(build_signals(rows), config, rows, now)
    return Scored(len(rows.accounts), hits, snapshots, tiers, bands)


def score_all(
    signals_list: list[AccountSignals], config: EngineConfig, rows: InputRows, now: datetime
) -> tuple[list[Hit], list[dict[str, Any]], dict[str, str], Counter[str]]:
    """Score, segment and evaluate every account; a snapshot row where the day is new or the score moved."""
    hits: list[Hit] = []
    snapshots: list[dict[str, Any]] = []
    tiers: dict[str, str] = {}
    bands: Counter[str] = Counter()
    today = now.date()
    catalog, health_cfg, segment_cfg = config.catalog, config.health, config.segments
    latest = rows.latest_snapshot.get
    by_segment: dict[tuple[str, str], tuple[Play, ...]] = {}
    for signals in signals_list:
        account_id = signals.account_id
        health = score(signals, health_cfg)
        seg = segment(signals, health.band, segment_cfg)
        tiers[account_id] = seg.tier
        bands[health.band] += 1
        key = (seg.tier, seg.stage)
        plays = by_segment.get(key)
        if plays is None:
            plays = by_segment[key] = plays_for(catalog, *key)
        hits.extend(evaluate(catalog, signals, health, seg, plays))
        last = latest(account_id)
        if last is None or last[1] != today or (last[2], last[3]) != (health.score, health.band):
            snapshots.append(
                {
                    "account_id": account_id,
                    "computed_at": now,
                    "as_of": today,
                    "score": health.score,
                    "band": health.band,
                    "components": health.component_values(),
                    "drivers": [
                        {"text": text, "points": points}
                        for text, points in zip(health.drivers, health.driver_points, strict=True)
                    ],
                }
            )
    return hits, snapshots, tiers, bands


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: scoring allocates millions of small acyclic objects, and
    repeated full collections over a large live heap would dominate the pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _apply_sweep(
    session: Any,
    states: list[AlertState],
    catalog: Catalog,
    now: datetime,
    summary: CheckSummary,
    events: list[dict[str, Any]],
) -> None:
    updates: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for t in sweep(states, catalog, now):
        counts[t.action] += 1
        if t.action == "unsnooze":  # back as if delivered now (see `plays.lifecycle.sweep`)
            woken = {"snoozed_until": None, "deliver_at": now, "due_at": t.due_at or now}
            updates.append({"id": t.alert_id, "state": t.to_state, "updated_at": now, **woken})
        elif t.action == "expire":
            updates.append({"id": t.alert_id, "state": "expired", "resolved_at": now, "updated_at": now})
        elif t.action == "step_due" and t.step is not None:
            updates.append({"id": t.alert_id, "steps_reminded": t.step + 1})
            details = {"step": t.step, "step_action": t.step_action}
            event = _event(t.alert_id, t.action, now, t.from_state, t.to_state, NOTICE_PENDING, **details)
            events.append(event)
            continue
        else:
            updates.append({"id": t.alert_id, "escalated_at": now, "updated_at": now})
        notice = NOTICE_PENDING if t.action == "escalate" else None  # the manager hears of it
        why = {"reason": t.reason} if t.reason is not None else {}  # an expiry that is not the play's
        events.append(
            _event(
                t.alert_id, t.action, now, t.from_state, t.to_state, notice, escalate_to=t.escalate_to, **why
            )
        )
    alerts_repo.update_alerts(session, updates)
    summary.transitions = dict(counts)


def _fire(
    session: Any,
    config: EngineConfig,
    fire: list[Any],
    tiers: dict[str, str],
    now: datetime,
    summary: CheckSummary,
    events: list[dict[str, Any]],
) -> None:
    if not fire:
        return
    owner_of = alerts_repo.owners(session, sorted({f.hit.account_id for f in fire}))
    homes = alerts_repo.home_channels(session, sorted(set(owner_of.values())))
    routes = [
        Route(r.priority, r.channel_id, r.tier, r.play_id, r.csm_slack_id)
        for r in alerts_repo.channel_routes(session)
    ]
    rows = []
    for f in fire:
        hit, play = f.hit, config.catalog[f.hit.play_id]
        owner = owner_of.get(hit.account_id)
        channel = route(
            routes,
            tier=tiers.get(hit.account_id, "tech"),
            play_id=hit.play_id,
            csm_slack_id=owner,
            default=homes.get(owner or "", config.default_channel),
        )
        rows.append(
            {
                "id": new_id(),
                "fingerprint": hit.fingerprint,
                "play_id": hit.play_id,
                "play_version": play.version,
                "account_id": hit.account_id,
                "reason": hit.reason[:255],
                "severity": hit.severity,
                "state": "firing",
                "owner_slack_id": owner,
                "channel_id": channel,
                "fired_at": now,
                "updated_at": now,
                "due_at": f.due_at,
                "deliver_at": f.deliver_at,
                "details": {"summary": hit.summary, **hit.details, **({"arm": f.arm} if f.arm else {})},
            }
        )
    inserted = set(alerts_repo.insert_alerts(session, rows))
    notices = []
    by_play: Counter[str] = Counter()
    for row in rows:
        if row["id"] not in inserted:
            continue
        by_play[row["play_id"]] += 1
        events.append(_event(row["id"], "fire", now, None, "firing", reason=row["reason"]))
        notices.append(
            Notice(
                row["id"],
                row["channel_id"],
                row["account_id"],
                row["play_id"],
                row["severity"],
                row["details"]["summary"],
            )
        )
    summary.fired, summary.fired_by_play = len(inserted), dict(by_play)
    summary.digests = group_digests(notices)


def run_sweep(engine: Engine, catalog: Catalog, clock: Clock) -> dict[str, int]:
    """The SLA sweep alone (no rescore): unsnooze, escalate unclaimed alerts past their SLA, expire."""
    now = clock.now()
    summary = CheckSummary(as_of=now.date())
    with unit_of_work(engine) as session:
        events: list[dict[str, Any]] = []
        states = [_state(r) for r in alerts_repo.open_alerts(session)]
        _apply_sweep(session, states, catalog, now, summary, events)
        alerts_repo.insert_events(session, events)
    return summary.transitions
