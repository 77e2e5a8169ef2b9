"""App Home, /account, /portfolio, /plays and /sync: limits with big inputs, warnings, empty states."""

from __future__ import annotations

import json
from dataclasses import replace

from messages.actions import AlertAction, AlertVerb, SurfaceAction, decode_account_pick
from messages.limits import MAX_VIEW_BLOCKS
from messages.surface_models import Stakeholder
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
