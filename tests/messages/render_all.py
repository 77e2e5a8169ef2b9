"""Every builder, rendered from the samples: the snapshot, injection and property tests walk this one
catalogue, so a new builder added here is covered by all three."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from messages.actions import ModalContext
from messages.alerts import alert_message
from messages.modals import (
    champion_change_modal,
    false_positive_modal,
    log_outcome_modal,
    reassign_modal,
    snooze_modal,
)
from messages.models import Alert
from messages.notices import digest_message, refusal_message
from messages.surfaces import (
    account_card,
    account_picker,
    home_view,
    plays_report,
    portfolio_summary,
    sync_status,
)
from tests.messages import samples

TODAY = date(2026, 11, 2)
CTX = ModalContext(
    alert_id=samples.uid("alert:usage_decline"), channel_id="C0CSM001", message_ts="1762075800.000100"
)
Builder = Callable[[], dict[str, Any]]


def builders(crm_text: str | None = None) -> dict[str, Builder]:
    """case name -> zero-argument function returning the JSON-ready payload. With `crm_text`, every
    CRM- or person-derived string of every view model carries it (account names, reasons, steps,
    signals, drivers, contacts, digest lines, refusal reasons)."""
    name = crm_text or "Northwind Traders"

    def make(play: str, **changes: object) -> Alert:
        if crm_text is None:
            return samples.alert(play, **changes)
        return samples.tainted_alert(play, crm_text, **changes)

    found: dict[str, Builder] = {}
    for play in samples.PLAY_IDS:
        found[f"alert_{play}"] = lambda play=play: alert_message(make(play)).as_kwargs()
    a = make("usage_decline")
    later = samples.FIRED.replace(day=9)
    states: dict[str, Alert] = {
        "state_claimed": replace(a, state="claimed", claimed_by="U0CSM001"),
        "state_snoozed": replace(a, state="snoozed", snoozed_until=later),
        "state_done": replace(a, state="done", outcome="saved", outcome_by="U0CSM001"),
        "state_false_positive": replace(
            a, state="false_positive", false_positive_reason=f"{name} is a pilot"
        ),
        "state_expired": replace(a, state="expired"),
        "unknown_play_generic": replace(make("expansion_signal"), play_name=f"Expansion for {name}"),
        "champion_departure_claimed": make("champion_departure", state="claimed", claimed_by="U0CSM001"),
    }
    for case, view in states.items():
        found[case] = lambda view=view: alert_message(view).as_kwargs()
    escalated = make("renewal_risk", escalated_to="U0MGR001")
    found["manager_escalated"] = lambda: alert_message(escalated, audience="manager").as_kwargs()

    acc = a.account
    people = samples.contacts(crm_text)
    found.update(
        {
            "modal_log_outcome": lambda: log_outcome_modal(a, CTX).as_dict(),
            "modal_snooze": lambda: snooze_modal(a, CTX, TODAY).as_dict(),
            "modal_false_positive": lambda: false_positive_modal(a, CTX).as_dict(),
            "modal_reassign": lambda: reassign_modal(a, CTX).as_dict(),
            "modal_champion_change": lambda: champion_change_modal(acc, CTX, people, people[0]).as_dict(),
            "modal_champion_change_no_contacts": lambda: champion_change_modal(acc, CTX, ()).as_dict(),
            "refusal": lambda: refusal_message(
                "claim this alert", f"only the owner of {name} or a manager can act on it", "U0CSM001"
            ).as_kwargs(),
            "digest": lambda: digest_message(
                samples.digest_items(name, 9, tainted=crm_text is not None)
            ).as_kwargs(),
        }
    )
    found.update(
        {
            "account_card": lambda: account_card(samples.account_card(crm_text)).as_kwargs(),
            "account_card_new_account": lambda: account_card(
                samples.account_card(crm_text, empty=True)
            ).as_kwargs(),
            "account_picker": lambda: account_picker(
                name, [samples.account(f"{name} {i}", id=samples.uid(f"pick{i}")) for i in range(30)]
            ).as_kwargs(),
            "home_csm": lambda: home_view(samples.home("csm", crm_text)).as_dict(),
            "home_manager": lambda: home_view(samples.home("manager", crm_text)).as_dict(),
            "home_admin": lambda: home_view(samples.home("admin", crm_text)).as_dict(),
            "home_new_install": lambda: home_view(samples.home("csm", crm_text, empty=True)).as_dict(),
            "portfolio": lambda: portfolio_summary(samples.portfolio(crm_text)).as_kwargs(),
            "portfolio_empty": lambda: portfolio_summary(samples.portfolio(crm_text, empty=True)).as_kwargs(),
            "plays_report": lambda: plays_report(samples.plays_report(crm_text)).as_kwargs(),
            "plays_report_empty": lambda: plays_report(
                samples.plays_report(crm_text, empty=True)
            ).as_kwargs(),
            "sync_status": lambda: sync_status(samples.sync_status(crm_text)).as_kwargs(),
            "sync_status_empty": lambda: sync_status(samples.sync_status(crm_text, empty=True)).as_kwargs(),
        }
    )
    return found
