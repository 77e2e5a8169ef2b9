"""Alert messages: one template per play (`templates/alerts/<play_id>.j2`), per audience when a
`<play_id>.<audience>.j2` exists; buttons follow the alert's state."""

from __future__ import annotations

from typing import Any, Final

from messages.actions import AlertAction, AlertBlock, AlertVerb, SnoozeChoice, crm_link_action_id
from messages.blocks import Message, split_stream, url_literal
from messages.env import render_stream, template_names
from messages.models import OPEN_STATES, Alert, Audience, Driver

MAX_DRIVERS: Final = 3
MAX_STEPS: Final = 8
SNOOZE_OPTIONS: Final = (
    ("1 day", SnoozeChoice.ONE_DAY.value),
    ("1 week", SnoozeChoice.ONE_WEEK.value),
    ("Until date…", SnoozeChoice.UNTIL.value),
)


def visible_actions(alert: Alert, audience: Audience) -> tuple[AlertVerb, ...]:
    """The buttons an alert shows in its current state; closed alerts show none."""
    if alert.state not in OPEN_STATES:
        return ()
    verbs: list[AlertVerb] = []
    if alert.state in ("firing", "snoozed"):
        verbs.append(AlertVerb.CLAIM)
    if alert.state == "claimed":
        verbs.append(AlertVerb.LOG_OUTCOME)
    if alert.state != "snoozed":
        verbs.append(AlertVerb.SNOOZE)
    verbs.append(AlertVerb.REASSIGN)
    if audience == "csm" and alert.escalated_to is None:
        verbs.append(AlertVerb.ESCALATE)
    verbs.append(AlertVerb.FALSE_POSITIVE)
    if alert.play_id == "champion_departure":
        verbs.append(AlertVerb.CHAMPION_CHANGE)
    return tuple(verbs)


def alert_context(alert: Alert, audience: Audience) -> dict[str, Any]:
    drivers: tuple[Driver, ...] = ()
    if alert.health is not None:
        drivers = tuple(sorted(alert.health.drivers, key=lambda d: (-abs(d.points), d.points))[:MAX_DRIVERS])

    def block(part: str) -> str:
        return AlertBlock(alert.id, part).encode()

    def action(verb: str) -> str:
        if verb == "open_crm":
            return crm_link_action_id(alert.id)
        return AlertAction(AlertVerb(verb), alert.id).encode()

    return {
        "alert": alert,
        "account": alert.account,
        "health": alert.health,
        "signals": alert.signals,
        "audience": audience,
        "show": {v.value for v in visible_actions(alert, audience)},
        "block": block,
        "action": action,
        # a deleted account's record is gone from the CRM (or out of our reach): no dead link
        "crm_link": None if alert.account.deleted else url_literal(alert.account.crm_url),
        "drivers": drivers,
        "steps": alert.steps[:MAX_STEPS],
        "more_steps": max(0, len(alert.steps) - MAX_STEPS),
        "snooze_options": SNOOZE_OPTIONS,
    }


def alert_message(alert: Alert, audience: Audience = "csm") -> Message:
    """The alert as posted to the owner's channel (`csm`) or the escalation channel (`manager`);
    call again after every state change and `chat.update` the message with the result."""
    names = template_names("alerts", alert.play_id, audience)
    fallback, _, blocks = split_stream(render_stream(names, alert_context(alert, audience)))
    return Message(fallback, tuple(blocks))
