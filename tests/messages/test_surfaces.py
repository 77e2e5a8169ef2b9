"""App Home, /account, /portfolio, /plays and /sync: limits with big inputs, warnings, empty states."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from messages.actions import AlertAction, AlertVerb, SurfaceAction, decode_account_pick
from messages.alerts import alert_message
from messages.env import when
from messages.limits import MAX_VIEW_BLOCKS
from messages.money import money
from messages.surface_models import OutboxFailure, Stakeholder
from messages.surfaces import account_card, account_picker, home_view, portfolio_summary, sync_status
from tests.messages import samples


def test_home_with_a_huge_book_stays_within_100_blocks() -> None:
    base = samples.home("admin")
    many = tuple(replace(a, id=samples.uid(f"h{i}")) for i, a in enumerate(base.open_alerts * 100))
    home = replace(base, open_alerts=many, returning=many, sla_breaches=many)
    view = home_view(home).as_dict()  # validated on construction
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    raw = json.dumps(view, ensure_ascii=False)
    assert f"…and {len(many) - 25} more open alerts." in raw


def test_home_buttons_route_back_to_their_alert() -> None:
    view = home_view(samples.home("csm")).as_dict()
    buttons = [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("type") == "button"]
    decoded = {AlertAction.decode(b["action_id"]) for b in buttons}
    assert {d.verb for d in decoded} == {AlertVerb.CLAIM, AlertVerb.LOG_OUTCOME}
    assert view["blocks"][1]["accessory"]["action_id"] == SurfaceAction.DIGEST_MODE.value


def test_single_threading_warning_only_when_single_threaded() -> None:
    card = samples.account_card()
    assert "Single-threaded" in json.dumps(account_card(card).as_kwargs())
    two = (
        Stakeholder(samples.uid("a"), "Sam Ortega", "champion"),
        Stakeholder(samples.uid("b"), "Priya Nair", "exec_sponsor"),
    )
    raw = json.dumps(account_card(replace(card, stakeholders=two)).as_kwargs())
    assert "Single-threaded" not in raw and "No champion" not in raw


def test_picker_values_are_account_ids() -> None:
    accounts = [samples.account(f"Northwind {i}", id=samples.uid(f"n{i}")) for i in range(3)]
    payload = account_picker("northwind", accounts).as_kwargs()
    select = payload["blocks"][0]["accessory"]
    assert select["action_id"] == SurfaceAction.ACCOUNT_PICK.value
    assert [decode_account_pick(o["value"]) for o in select["options"]] == [a.id for a in accounts]


def test_empty_states_say_so() -> None:
    assert "No accounts in this scope yet" in json.dumps(
        portfolio_summary(samples.portfolio(empty=True)).as_kwargs()
    )
    raw = json.dumps(sync_status(samples.sync_status(empty=True)).as_kwargs())
    assert "No sync has run yet" in raw and "Retry failed" not in raw
    assert "Retry failed" in json.dumps(sync_status(samples.sync_status()).as_kwargs())


def test_sync_failures_keep_their_count_when_every_error_is_long() -> None:
    error = "INSUFFICIENT_ACCESS_OR_READONLY: insufficient access rights on cross-reference id " * 3
    failures = tuple(OutboxFailure(f"Account number {i:02d} Holdings", "task", 8, error) for i in range(15))
    message = sync_status(replace(samples.sync_status(), failures=failures)).as_kwargs()
    section = next(b for b in message["blocks"] if "*Failures*" in json.dumps(b))
    assert len(section["text"]["text"]) <= 3000
    assert "…and 7 more" in section["text"]["text"]


def test_money_picks_its_unit_after_rounding_and_signs_negatives() -> None:
    shown = [money(x) for x in (950, 12_345, 999_600, 2_500_000, 9_999_999_999, -5_000, -12_345, -0.4)]
    assert shown == ["$950", "$12K", "$1.0M", "$2.5M", "$10.0B", "−$5,000", "−$12K", "$0"]


def test_a_moment_is_shown_in_each_readers_time_zone_with_a_utc_fallback() -> None:
    ten_past_nine_berlin = datetime(2026, 11, 24, 9, 10, tzinfo=ZoneInfo("Europe/Berlin"))
    token = "<!date^1795507800^{date_short_pretty} at {time}|2026-11-24 08:10 UTC>"
    assert when(ten_past_nine_berlin) == token
    assert when(date(2026, 11, 24)) == "2026-11-24"  # a calendar day (a renewal date) has no zone
    with pytest.raises(ValueError, match="naive"):
        when(datetime(2026, 11, 24, 9, 10))
    claimed_by = json.dumps(alert_message(samples.alert("usage_decline")).as_kwargs())
    assert re.search(r"Claim by\*\\n<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+ UTC>", claimed_by)


def test_one_is_singular() -> None:
    text = json.dumps(portfolio_summary(replace(samples.portfolio(), accounts=1)).as_kwargs())
    assert "1 account," in text and not re.search(r"\b1 accounts", text)
