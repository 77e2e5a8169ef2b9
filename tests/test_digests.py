"""Digest policy with a fake clock: active hours, timezones (across a DST change), grouping, no loss."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plays.digests import DigestConfigError, DigestPrefs, QueuedItem, decide, group_items

NY = ZoneInfo("America/New_York")


def item(
    n: int, at: datetime, play: str = "usage_decline", account: str = "acc1", name: str = "Acme"
) -> QueuedItem:
    return QueuedItem(f"i{n}", play, account, name, at)


def ny(y: int, m: int, d: int, h: int, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=NY)


def test_bad_preferences_are_refused_clearly() -> None:
    with pytest.raises(DigestConfigError, match="digest mode"):
        DigestPrefs.parse("weekly", None, "UTC")
    with pytest.raises(DigestConfigError, match="HH-HH"):
        DigestPrefs.parse("daily", "9am-6pm", "UTC")
    with pytest.raises(DigestConfigError, match="differ"):
        DigestPrefs.parse("daily", "09-09", "UTC")
    with pytest.raises(DigestConfigError, match="IANA"):
        DigestPrefs.parse("daily", "09-18", "Mars/Olympus")


def test_realtime_waits_for_active_hours_in_the_users_timezone() -> None:
    prefs = DigestPrefs.parse("realtime", "09-18", "America/New_York")
    queue = [item(1, ny(2026, 3, 4, 7))]
    assert decide(prefs, None, ny(2026, 3, 4, 8, 59), queue).reason == "outside_active_hours"
    at_nine = decide(prefs, None, ny(2026, 3, 4, 9), queue)
    assert at_nine.due and at_nine.item_ids == ("i1",)
    assert decide(prefs, None, ny(2026, 3, 4, 18), queue).reason == "outside_active_hours"
    assert decide(prefs, None, ny(2026, 3, 4, 10), []).reason == "nothing_queued"


def test_daily_without_active_hours_goes_out_from_nine_local() -> None:
    prefs = DigestPrefs.parse("daily", None, "UTC")
    queue = [item(1, datetime(2026, 1, 1, 0, tzinfo=UTC))]
    assert decide(prefs, None, datetime(2026, 1, 1, 3, tzinfo=UTC), queue).reason == "before_send_time"
    assert decide(prefs, None, datetime(2026, 1, 1, 9, tzinfo=UTC), queue).due


def test_a_wrapping_window_and_an_all_day_window() -> None:
    night = DigestPrefs.parse("realtime", "22-06", "UTC")
    queue = [item(1, datetime(2026, 1, 1, 0, tzinfo=UTC))]
    assert decide(night, None, datetime(2026, 1, 1, 3, tzinfo=UTC), queue).due
    assert not decide(night, None, datetime(2026, 1, 1, 12, tzinfo=UTC), queue).due
    always = DigestPrefs.parse("realtime", None, "UTC")
    assert decide(always, None, datetime(2026, 1, 1, 3, tzinfo=UTC), queue).due


def test_hourly_sends_at_most_once_per_local_hour() -> None:
    prefs = DigestPrefs.parse("hourly", "09-18", "America/New_York")
    queue = [item(1, ny(2026, 3, 4, 9, 5))]
    first = decide(prefs, None, ny(2026, 3, 4, 9, 10), queue)
    assert first.due and first.reason == "hourly_slot"
    sent_at = ny(2026, 3, 4, 9, 10)
    assert decide(prefs, sent_at, ny(2026, 3, 4, 9, 55), queue).reason == "already_sent"
    assert decide(prefs, sent_at, ny(2026, 3, 4, 10, 0), queue).due


def test_daily_follows_the_wall_clock_across_a_dst_change() -> None:
    """New York springs forward on 2026-03-08: 09:00 local is 14:00 UTC before and 13:00 UTC after."""
    prefs = DigestPrefs.parse("daily", "09-18", "America/New_York")
    queue = [item(1, datetime(2026, 3, 6, 12, tzinfo=UTC))]
    saturday_sent = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert decide(prefs, None, saturday_sent, queue).due
    assert not decide(prefs, saturday_sent, datetime(2026, 3, 7, 22, tzinfo=UTC), queue).due
    # Sunday 08:30 EDT = 12:30 UTC: outside hours although it was "09:30" by Saturday's offset
    assert decide(prefs, saturday_sent, datetime(2026, 3, 8, 12, 30, tzinfo=UTC), queue).reason == (
        "outside_active_hours"
    )
    sunday = decide(prefs, saturday_sent, datetime(2026, 3, 8, 13, 0, tzinfo=UTC), queue)  # 09:00 EDT
    assert sunday.due and sunday.reason == "daily_slot"


def test_digest_groups_by_play_then_account() -> None:
    t0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
    queue = [
        item(1, t0 + timedelta(minutes=3), "ticket_spike", "b", "Bravo"),
        item(2, t0 + timedelta(minutes=1), "renewal_risk", "b", "Bravo"),
        item(3, t0 + timedelta(minutes=2), "ticket_spike", "a", "alpha"),
        item(4, t0, "ticket_spike", "b", "Bravo"),
        item(5, t0, "custom_play", "a", "alpha"),
    ]
    groups = group_items(queue)
    assert [g.play_id for g in groups] == ["renewal_risk", "ticket_spike", "custom_play"]
    spike = groups[1]
    assert [a.account_name for a in spike.accounts] == ["alpha", "Bravo"]
    assert [i.id for i in spike.accounts[1].items] == ["i4", "i1"]
    assert spike.item_count == 3


def test_items_queued_after_now_wait_for_the_next_digest() -> None:
    prefs = DigestPrefs.parse("realtime", None, "UTC")
    now = datetime(2026, 1, 1, 10, tzinfo=UTC)
    queue = [item(1, now), item(2, now + timedelta(seconds=1))]
    assert decide(prefs, None, now, queue).item_ids == ("i1",)


@settings(max_examples=40, deadline=None)
@given(
    mode=st.sampled_from(["realtime", "hourly", "daily"]),
    hours=st.sampled_from([None, "09-18", "22-06", "08-20"]),
    zone=st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]),
    arrivals=st.lists(st.integers(min_value=0, max_value=6 * 24 * 4), min_size=1, max_size=40),
)
def test_nothing_is_lost_or_repeated_between_digests(
    mode: str, hours: str | None, zone: str, arrivals: list[int]
) -> None:
    """A fake clock ticks every 15 minutes through a week spanning the EU DST change; items arrive at
    random ticks. Each item is delivered exactly once, never early, never outside active hours, and
    hourly/daily modes never send twice in one slot."""
    prefs = DigestPrefs.parse(mode, hours, zone)
    start = datetime(2026, 3, 26, 0, tzinfo=UTC)
    tick = timedelta(minutes=15)
    items = [item(n, start + tick * a + timedelta(seconds=n)) for n, a in enumerate(arrivals)]
    queue: list[QueuedItem] = []
    delivered: list[str] = []
    sends: list[datetime] = []
    last_sent = None
    for step in range(8 * 24 * 4):
        now = start + tick * step
        queue.extend(i for i in items if now - tick < i.queued_at <= now)
        decision = decide(prefs, last_sent, now, queue)
        if decision.due:
            local = now.astimezone(ZoneInfo(zone))
            assert prefs.active_hours.contains(local.hour)
            assert all(i.queued_at <= now for i in queue if i.id in decision.item_ids)
            delivered.extend(decision.item_ids)
            queue = [i for i in queue if i.id not in decision.item_ids]
            sends.append(now)
            last_sent = now
    assert sorted(delivered) == sorted(i.id for i in items)
    assert len(delivered) == len(set(delivered))
    if mode == "hourly":
        slots = [s.astimezone(ZoneInfo(zone)).replace(minute=0) for s in sends]
        assert len(slots) == len(set(slots))
    if mode == "daily":
        send_hour = prefs.active_hours.start if hours else 9
        days = [
            (s.astimezone(ZoneInfo(zone)).replace(tzinfo=None) - timedelta(hours=send_hour)).date()
            for s in sends
        ]
        assert len(days) == len(set(days))
