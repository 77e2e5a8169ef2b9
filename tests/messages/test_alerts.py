"""Alert messages: buttons follow the state and audience; long CRM text is cut with "…"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from messages.actions import AlertAction, AlertVerb
from messages.alerts import alert_message, visible_actions
from messages.limits import MAX_HEADER_TEXT
from tests.messages import samples

V = AlertVerb


@pytest.mark.parametrize(
    ("state", "audience", "expected"),
    [
        ("firing", "csm", {V.CLAIM, V.SNOOZE, V.REASSIGN, V.ESCALATE, V.FALSE_POSITIVE}),
        ("claimed", "csm", {V.LOG_OUTCOME, V.SNOOZE, V.REASSIGN, V.ESCALATE, V.FALSE_POSITIVE}),
        ("snoozed", "csm", {V.CLAIM, V.REASSIGN, V.ESCALATE, V.FALSE_POSITIVE}),
        ("firing", "manager", {V.CLAIM, V.SNOOZE, V.REASSIGN, V.FALSE_POSITIVE}),
        ("done", "csm", set()),
        ("false_positive", "csm", set()),
        ("expired", "manager", set()),
    ],
)
def test_buttons_follow_state_and_audience(state: str, audience: str, expected: set[AlertVerb]) -> None:
    alert = samples.alert("usage_decline", state=state)
    assert set(visible_actions(alert, audience)) == expected  # type: ignore[arg-type]
    blocks = alert_message(alert, audience).as_kwargs()["blocks"]  # type: ignore[arg-type]
    rendered = {
        AlertAction.decode(el["action_id"]).verb
        for b in blocks
        if b["type"] == "actions"
        for el in b["elements"]
    }
    assert rendered == expected


def test_escalated_alerts_do_not_offer_escalate_again() -> None:
    alert = samples.alert("usage_decline", escalated_to="U0MGR001")
    assert V.ESCALATE not in visible_actions(alert, "csm")


def test_champion_change_button_only_on_champion_departure() -> None:
    assert V.CHAMPION_CHANGE in visible_actions(samples.alert("champion_departure"), "csm")
    assert V.CHAMPION_CHANGE not in visible_actions(samples.alert("usage_decline"), "csm")


def test_long_crm_text_is_cut_with_an_ellipsis() -> None:
    alert = samples.alert("usage_decline", "Northwind " * 500)
    alert = replace(alert, reason="Because. " * 1000, steps=tuple(f"Step {i} " * 50 for i in range(20)))
    blocks = alert_message(alert).as_kwargs()["blocks"]
    header = blocks[0]["text"]["text"]
    assert len(header) == MAX_HEADER_TEXT and header.endswith("…")
    why = blocks[2]["text"]["text"]
    assert len(why) == 3000 and why.endswith("…")
    steps = next(b for b in blocks if b.get("block_id", "").endswith(":steps"))["text"]["text"]
    assert steps.endswith("…and 12 more in the playbook"), "the summary line survives long steps"


def test_audience_specific_template_is_preferred_when_present() -> None:
    from messages.env import template_names

    assert template_names("alerts", "renewal_risk", "manager") == [
        "alerts/renewal_risk.manager.j2",
        "alerts/renewal_risk.j2",
        "alerts/generic.j2",
    ]


def test_non_finite_numbers_render_as_not_available() -> None:
    from messages.models import Driver, Health

    alert = samples.alert("renewal_risk", signals={"days_to_renewal": 30, "health_change": float("nan")})
    alert = replace(alert, health=Health(40, "at_risk", (Driver("Usage", float("-inf")),)))
    raw = str(alert_message(alert).as_kwargs())
    assert "health moved n/a points" in raw and "Usage (n/a)" in raw
