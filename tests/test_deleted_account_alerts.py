"""An account deleted in the CRM (or no longer seen by a full sync) takes its open alerts with it: they
close at the next pass, say why in the audit trail and in Slack, and never escalate to a manager."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select, update

from bot.services.check import run_check, run_sweep
from bot.slack.alert_views import alert_views
from bot.slack.crm_links import CrmLinks
from messages.alerts import alert_message
from plays.catalog import Catalog
from plays.clock import FakeClock
from plays.segments import load_segment_config
from store.models import Account, Alert, AlertEvent
from store.uow import unit_of_work


def test_open_alerts_of_a_deleted_account_close_and_say_why(
    store: tuple[Engine, FakeClock], catalog: Catalog
) -> None:
    engine, clock = store
    with unit_of_work(engine) as s:
        account_id = s.scalars(select(Alert.account_id).where(Alert.state == "firing")).first()
        assert account_id is not None
        s.execute(update(Account).where(Account.id == account_id).values(is_deleted=True))
        others = set(
            s.scalars(select(Alert.id).where(Alert.account_id != account_id, Alert.state == "firing"))
        )
    clock.advance(hours=1)
    run_check(engine, catalog, clock, account_ids=[account_id])
    clock.advance(days=30)  # long past every SLA: nothing of that account escalates
    run_sweep(engine, catalog, clock)
    with unit_of_work(engine) as s:
        closed = s.scalars(select(Alert).where(Alert.account_id == account_id)).all()
        assert closed and {a.state for a in closed} == {"expired"}
        events = s.scalars(select(AlertEvent).where(AlertEvent.alert_id.in_([a.id for a in closed]))).all()
        assert {e.details.get("reason") for e in events if e.action == "expire"} == {"account_deleted"}
        assert not [e for e in events if e.action == "escalate"]
        other_events = s.scalars(select(AlertEvent).where(AlertEvent.alert_id.in_(others))).all()
        assert others and not [e for e in other_events if e.details.get("reason") == "account_deleted"]
        links = CrmLinks(salesforce_instance_url="https://example.my.salesforce.com")
        view = alert_views(s, [closed[0].id], catalog, load_segment_config(), links)[closed[0].id]
        live = alert_views(s, [next(iter(others))], catalog, load_segment_config(), links)
    text = json.dumps(alert_message(view).as_kwargs())
    assert "Closed: the account was deleted in the CRM" in text and "Expired without action" not in text
    # the record is gone from the CRM: no "Open in …" button pointing at it (a live account keeps it)
    assert view.account.crm_url and "Open in " not in text and view.account.crm_url not in text
    live_text = json.dumps(alert_message(next(iter(live.values()))).as_kwargs())
    assert "Open in " in live_text
