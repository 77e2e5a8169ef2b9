"""Properties of the pure engine (hypothesis): a second trigger pass over the same state creates no new
alerts; A/B assignment is deterministic; the timeline never looks ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from plays.catalog import load_catalog
from plays.health import load_health_config, score
from plays.lifecycle import AlertState, plan_pass
from plays.segments import load_segment_config, segment
from plays.signals import AccountSignals
from plays.timeline import AccountTimeline, UsagePoint, signals_at
from plays.triggers import evaluate

AS_OF = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
CATALOG = load_catalog()
HEALTH = load_health_config()
SEGMENTS = load_segment_config()

weeks = st.lists(st.one_of(st.none(), st.integers(0, 300)), min_size=8, max_size=8).map(tuple)
account = st.builds(
    AccountSignals,
    account_id=st.sampled_from(["a1", "a2", "a3"]),
    as_of=st.just(AS_OF),
    arr=st.one_of(st.none(), st.floats(0, 500_000)),
    contract_start=st.one_of(st.none(), st.dates(date(2020, 1, 1), AS_OF)),
    renewal_date=st.one_of(st.none(), st.dates(AS_OF - timedelta(days=30), AS_OF + timedelta(days=400))),
    wau=weeks,
    seats=st.one_of(st.none(), st.integers(1, 400)),
    feature_events_4w=st.integers(0, 5000),
    tickets_7d=st.integers(0, 6),
    tickets_28d=st.integers(0, 12),
    nps_score=st.one_of(st.none(), st.integers(0, 10)),
    nps_id=st.just("n1"),
    nps_at=st.just(NOW - timedelta(days=1)),
    engaged_stakeholders=st.integers(0, 5),
    champion_left_contact=st.just("c1"),
    champion_left_on=st.one_of(st.none(), st.dates(AS_OF - timedelta(days=60), AS_OF)),
    prev_score=st.one_of(st.none(), st.integers(0, 100)),
)


def _hits(accounts: list[AccountSignals]) -> list:  # type: ignore[type-arg]
    out = []
    for s in accounts:
        h = score(s, HEALTH)
        out.extend(evaluate(CATALOG, s, h, segment(s, h.band, SEGMENTS)))
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(account, max_size=6))
def test_second_pass_over_the_same_state_fires_nothing(accounts: list[AccountSignals]) -> None:
    state = {"open_alerts": {}, "open_plays": {}, "last_resolved": {}, "silences": {}}
    first = plan_pass(_hits(accounts), CATALOG, now=NOW, **state)  # type: ignore[arg-type]
    opened = {
        f.hit.fingerprint: AlertState(
            str(i), f.hit.fingerprint, f.hit.account_id, f.hit.play_id, "firing", NOW
        )
        for i, f in enumerate(first.fire)
    }
    plays: dict[str, set[str]] = {}
    for a in opened.values():
        plays.setdefault(a.account_id, set()).add(a.play_id)
    second = plan_pass(
        _hits(accounts),
        CATALOG,
        now=NOW + timedelta(minutes=5),
        open_alerts=opened,
        open_plays=plays,
        last_resolved={},
        silences={},
    )
    assert second.fire == []
    assert len(second.refresh) == len(first.fire)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 200)), max_size=30),
    st.integers(0, 210),
)
def test_timeline_signals_never_look_ahead(points: list[tuple[int, int]], offset: int) -> None:
    start = date(2026, 6, 1)
    usage = tuple(
        sorted(
            {
                start + timedelta(days=7 * w): UsagePoint(start + timedelta(days=7 * w), n, n * 3, 50)
                for w, n in points
            }.values(),
            key=lambda u: u.day,
        )
    )
    tl = AccountTimeline("a1", 1000.0, start, (start + timedelta(days=365),), usage, (), ())
    day = start + timedelta(days=offset)
    truncated = AccountTimeline(
        "a1", 1000.0, start, tl.renewal_dates, tuple(u for u in usage if u.day <= day), (), ()
    )
    assert signals_at(tl, day) == signals_at(truncated, day)
