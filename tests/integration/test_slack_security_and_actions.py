"""Forged, stale and replayed requests; permission refusals; CRM text rendered inert; the other buttons;
and a champion change recorded from Slack reaching the CRM exactly once."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

from simple_salesforce.api import Salesforce
from sqlalchemy import func, select, update

from bot.services import alerts
from connectors.salesforce.client import http_session
from messages.actions import AlertAction, AlertVerb
from sandbox.slack import Tamper
from store.models import Account, Alert, AlertEvent, Contact, OutboxItem, SlackUser, StakeholderRole
from store.uow import unit_of_work
from tests.integration.conftest import Stack, posted_alerts, redeliver, wait_for
from tests.integration.replies import ephemeral_for

INJECTION = "<!channel> *bold* <https://evil|click>"


def _first_posted(stack: Stack) -> Alert:
    return posted_alerts(stack, 1)[0]


def _alert(stack: Stack, alert_id: str) -> Alert:
    with unit_of_work(stack.engine) as session:
        return session.get(Alert, alert_id)


def _event_count(stack: Stack) -> int:
    with unit_of_work(stack.engine) as session:
        return session.scalar(select(func.count()).select_from(AlertEvent)) or 0


def _salesforce(stack: Stack) -> Salesforce:
    info = stack.salesforce.info()
    return Salesforce(
        instance_url=info["instance_url"],
        session_id=info["session_id"],
        session=http_session(info["ca_file"]),
        version=info["api_version"],
    )


def test_forged_stale_and_replayed_requests_get_401_and_change_nothing(stack: Stack) -> None:
    alert = _first_posted(stack)
    claim = AlertAction(AlertVerb.CLAIM, alert.id).encode()
    before = _event_count(stack)
    user, channel, ts = alert.owner_slack_id, alert.channel_id, alert.message_ts
    forged = stack.slack.click(user, channel, ts, claim, tamper=Tamper(forge_signature=True))
    stale = stack.slack.click(user, channel, ts, claim, tamper=Tamper(timestamp_skew=-301))
    assert (forged.status, stale.status) == (401, 401)
    time.sleep(0.3)
    assert _event_count(stack) == before
    assert _alert(stack, alert.id).state == "firing"

    genuine = stack.slack.click(user, channel, ts, claim)
    assert genuine.status == 200
    wait_for(lambda: _alert(stack, alert.id).state == "claimed")
    after_claim = _event_count(stack)
    replayed = stack.slack.replay(genuine)
    assert replayed.status == 401
    time.sleep(0.3)
    assert _event_count(stack) == after_claim


def test_someone_outside_the_alert_channel_is_refused_with_an_ephemeral_reason(stack: Stack) -> None:
    alert = _first_posted(stack)
    # A copy of the alert in the shared channel (as an escalation copy would be): a CSM who is a member
    # there, but neither the owner nor a member of the alert's own channel, may not act on it.
    message = next(m for m in stack.slack.messages(alert.channel_id) if m["ts"] == alert.message_ts)
    assert stack.container.slack is not None
    copy = stack.container.slack.chat_postMessage(
        channel="CCSALERTS", text=message["text"], blocks=message["blocks"]
    )
    outsider = next(u for u in ("UCSM000", "UCSM001", "UCSM002") if u != alert.owner_slack_id)
    claim = AlertAction(AlertVerb.CLAIM, alert.id).encode()
    assert stack.slack.click(outsider, "CCSALERTS", copy["ts"], claim).status == 200
    refusal = wait_for(
        lambda: next(
            (m for m in stack.slack.messages("CCSALERTS") if m.get("ephemeral_for") == outsider), None
        )
    )
    assert "Only" in str(refusal["blocks"]) and alert.owner_slack_id in str(refusal["blocks"])
    assert _alert(stack, alert.id).state == "firing"

    manager = stack.slack.click("UMANAGER", alert.channel_id, alert.message_ts, claim)  # managers may
    assert manager.status == 200
    wait_for(lambda: _alert(stack, alert.id).state == "claimed")


def test_crm_account_name_renders_inert_in_slack(stack: Stack) -> None:
    sf = _salesforce(stack)
    crm_id = sf.query("SELECT Id FROM Account ORDER BY Id LIMIT 1")["records"][0]["Id"]
    sf.Account.update(crm_id, {"Name": INJECTION})
    stack.container.sync_all()
    with unit_of_work(stack.engine) as session:
        account = session.scalars(select(Account).where(Account.crm_id == crm_id)).one()
        assert account.name == INJECTION
        session.add(
            Alert(
                fingerprint="fp-injection",
                play_id="milestone",
                account_id=account.id,
                reason=INJECTION,
                channel_id="CCSALERTS",
                details={"summary": INJECTION},
            )
        )
    stack.container.publish()
    posted = [m for m in stack.slack.messages("CCSALERTS") if "evil" in str(m)]
    assert posted, "the alert for the renamed account was not posted"
    raw = str(posted[0]["blocks"]) + posted[0]["text"]
    assert "<!channel>" not in raw and "<https://evil" not in raw and "*bold*" not in raw
    assert "&lt;!channel&gt;" in raw


def test_snooze_reassign_escalate_and_false_positive_from_slack(stack: Stack) -> None:
    stack.container.check()
    stack.container.publish()
    with unit_of_work(stack.engine) as session:
        alerts = list(
            session.scalars(
                select(Alert)
                .where(Alert.message_ts.is_not(None), Alert.channel_id.like("CCSM%"))
                .order_by(Alert.id)
            )
        )
    assert len(alerts) >= 3
    a, b, c = alerts[:3]

    stack.slack.click(
        a.owner_slack_id,
        a.channel_id,
        a.message_ts,
        AlertAction(AlertVerb.SNOOZE, a.id).encode(),
        selected="1w",
    )
    snoozed = wait_for(lambda: _alert(stack, a.id).state == "snoozed" and _alert(stack, a.id))
    assert (snoozed.snoozed_until - stack.container.clock.now()).days in (6, 7)

    stack.slack.click(
        b.owner_slack_id, b.channel_id, b.message_ts, AlertAction(AlertVerb.ESCALATE, b.id).encode()
    )
    wait_for(lambda: _alert(stack, b.id).escalated_at is not None)
    escalation = wait_for(lambda: [m for m in stack.slack.messages("UMANAGER") if "Escalated" in m["text"]])
    assert b.owner_slack_id in escalation[0]["text"]

    stack.slack.click(
        c.owner_slack_id, c.channel_id, c.message_ts, AlertAction(AlertVerb.FALSE_POSITIVE, c.id).encode()
    )
    modal = wait_for(lambda: stack.slack.open_modal(c.owner_slack_id))
    stack.slack.submit_view(c.owner_slack_id, modal["id"], {"fp_reason": "Seasonal dip: school holidays"})
    wait_for(lambda: _alert(stack, c.id).state == "false_positive")

    reassign = stack.slack.click(
        "UMANAGER",
        b.channel_id,
        b.message_ts,
        AlertAction(AlertVerb.REASSIGN, b.id).encode(),
        selected="UADMIN",
    )
    wait_for(lambda: _alert(stack, b.id).owner_slack_id == "UADMIN")

    def told() -> list[dict[str, object]]:
        return [m for m in stack.slack.messages("UADMIN") if "reassigned an alert to you" in str(m["text"])]

    wait_for(told)
    events = _events(stack, b.id)
    assert redeliver(stack, reassign.body) == 200  # Slack retries the click: the new owner hears once
    time.sleep(2)
    assert len(told()) == 1 and _events(stack, b.id) == events


def test_champion_change_from_slash_command_updates_roles_and_crm_once(stack: Stack) -> None:
    with unit_of_work(stack.engine) as session:
        role = session.scalars(
            select(StakeholderRole).where(
                StakeholderRole.role == "champion", StakeholderRole.valid_to.is_(None)
            )
        ).first()
        account = session.get(Account, role.account_id)
        departed = role.contact_id
        successor = session.scalar(
            select(StakeholderRole.contact_id).where(
                StakeholderRole.account_id == account.id, StakeholderRole.contact_id != departed
            )
        )
    delivery = stack.slack.slash("UCSM000", "/champion", account.crm_id, channel="CCSALERTS")
    assert delivery.status == 200
    modal = wait_for(lambda: stack.slack.open_modal("UCSM000"))
    values = {"champion_left": departed, "champion_role": "champion"}
    if successor:
        values["champion_new"] = successor
    assert stack.slack.submit_view("UCSM000", modal["id"], values).status == 200
    wait_for(lambda: _closed_champion(stack, account.id, departed))
    posted = wait_for(lambda: _posted_departure(stack, account.id))  # posted at once, not at the next job
    assert any(m["ts"] == posted.message_ts for m in stack.slack.messages(posted.channel_id))
    stack.container.drain()
    stack.container.drain()
    with unit_of_work(stack.engine) as session:
        items = list(session.scalars(select(OutboxItem).where(OutboxItem.kind == "champion_change")))
        assert [i.state for i in items] == ["sent"]
        fired = session.scalars(
            select(Alert).where(Alert.account_id == account.id, Alert.play_id == "champion_departure")
        ).all()
        assert len(fired) == 1
    assert re.match(r"^[0-9A-Za-z]{15,18}$", items[0].crm_record_id or "")


def _closed_champion(stack: Stack, account_id: str, contact_id: str) -> bool:
    with unit_of_work(stack.engine) as session:
        role = session.scalars(
            select(StakeholderRole).where(
                StakeholderRole.account_id == account_id,
                StakeholderRole.contact_id == contact_id,
                StakeholderRole.role == "champion",
            )
        ).first()
        return role is not None and role.valid_to is not None


def _posted_departure(stack: Stack, account_id: str) -> Alert | None:
    with unit_of_work(stack.engine) as session:
        return session.scalars(
            select(Alert).where(
                Alert.account_id == account_id,
                Alert.play_id == "champion_departure",
                Alert.message_ts.is_not(None),
            )
        ).first()


def _events(stack: Stack, alert_id: str) -> list[str]:
    with unit_of_work(stack.engine) as session:
        return list(session.scalars(select(AlertEvent.action).where(AlertEvent.alert_id == alert_id)))


def test_champion_command_keeps_crm_account_names_inert(stack: Stack) -> None:
    """Two accounts match `/champion zed`: the reply lists their CRM names, which must not ping the
    channel, mention someone or become a disguised link."""
    with unit_of_work(stack.engine) as session:
        first, second = session.scalars(select(Account).order_by(Account.crm_id).limit(2))
        first.name = "Zed <!channel> <https://evil.example|Zed Corp>"
        second.name = "Zed <@UADMIN> Holdings"
    before = len(ephemeral_for(stack.slack, "UCSM000", "CCSALERTS"))
    assert stack.slack.slash("UCSM000", "/champion", "zed", channel="CCSALERTS").status == 200
    (reply,) = wait_for(lambda: ephemeral_for(stack.slack, "UCSM000", "CCSALERTS")[before:])
    assert "Several accounts match" in reply["text"]
    assert "<!channel>" not in reply["text"] and "<@UADMIN>" not in reply["text"]
    assert "<https://evil.example" not in reply["text"]


def test_a_champion_beyond_the_first_hundred_contacts_can_still_be_recorded_leaving(stack: Stack) -> None:
    with unit_of_work(stack.engine) as session:
        account = session.scalars(select(Account).order_by(Account.crm_id)).first()
        assert account is not None
        session.execute(
            update(StakeholderRole)
            .where(StakeholderRole.account_id == account.id, StakeholderRole.role == "champion")
            .values(role="user")
        )
        for n in range(120):
            session.add(Contact(id=f"bulk-{n:03d}", account_id=account.id, source="salesforce",
                                crm_id=f"003BULK{n:03d}", last_name=f"Aaa{n:03d}"))  # fmt: skip
        zoe = Contact(id="zoe-zulu", account_id=account.id, source="salesforce", crm_id="003ZULU",
                      first_name="Zoe", last_name="Zulu", title="Director")  # fmt: skip
        session.add(zoe)
        session.flush()
        session.add(StakeholderRole(account_id=account.id, contact_id=zoe.id, role="champion",
                                    valid_from=date(2025, 1, 1), source="crm"))  # fmt: skip
        account_id, crm_id = account.id, account.crm_id
    assert stack.slack.slash("UCSM000", "/champion", crm_id, channel="CCSALERTS").status == 200
    modal = wait_for(lambda: stack.slack.open_modal("UCSM000"))
    text = json.dumps(modal["blocks"])
    assert "current champion: Zoe Zulu" in text and "more are not listed" in text
    submitted = stack.slack.submit_view(
        "UCSM000", modal["id"], {"champion_left": "zoe-zulu", "champion_role": "champion"}
    )
    assert submitted.status == 200 and '"errors"' not in submitted.response_body
    wait_for(lambda: _closed_champion(stack, account_id, "zoe-zulu"))


def test_snooze_until_a_day_counts_in_the_users_time_zone(stack: Stack) -> None:
    """At 18:00 in Los Angeles (02:00 UTC the next day) a CSM there snoozes until their tomorrow: it
    is accepted, and the alert comes back at 09:00 Los Angeles time that day."""
    stack.container.check()
    stack.container.publish()
    (alert,) = posted_alerts(stack, 1)
    owner = alert.owner_slack_id
    assert owner is not None
    with unit_of_work(stack.engine) as session:
        session.execute(
            update(SlackUser).where(SlackUser.slack_user_id == owner).values(timezone="America/Los_Angeles")
        )
    clock = stack.container.clock
    now = clock.now()
    target = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=2
    )
    clock.advance(target - now)  # type: ignore[attr-defined]
    la = ZoneInfo("America/Los_Angeles")
    local_tomorrow = clock.now().astimezone(la).date() + timedelta(days=1)
    assert local_tomorrow == clock.now().date()  # UTC's today: refused before, as "not after today"

    until = AlertAction(AlertVerb.SNOOZE, alert.id).encode()
    stack.slack.click(owner, alert.channel_id, alert.message_ts, until, selected="until")
    modal = wait_for(lambda: stack.slack.open_modal(owner))
    assert "09:00 on that day (America/Los Angeles time)" in json.dumps(modal["blocks"])
    answer = stack.slack.submit_view(owner, modal["id"], {"snooze_until": local_tomorrow.isoformat()})
    assert answer.status == 200 and '"errors"' not in answer.response_body
    snoozed = wait_for(lambda: _alert(stack, alert.id).state == "snoozed" and _alert(stack, alert.id))
    assert snoozed.snoozed_until == datetime.combine(local_tomorrow, day_time(9), tzinfo=la).astimezone(UTC)


def test_an_outcome_refused_after_the_modal_closed_gives_back_what_was_typed(stack: Stack) -> None:
    stack.container.check()
    stack.container.publish()
    (alert,) = posted_alerts(stack, 1)
    owner = alert.owner_slack_id
    assert owner is not None
    stack.slack.click(
        owner, alert.channel_id, alert.message_ts, AlertAction(AlertVerb.CLAIM, alert.id).encode()
    )
    wait_for(lambda: _alert(stack, alert.id).state == "claimed")
    log = AlertAction(AlertVerb.LOG_OUTCOME, alert.id).encode()
    wait_for(lambda: log in json.dumps(stack.slack.messages(alert.channel_id)))  # the message now offers it
    stack.slack.click(owner, alert.channel_id, alert.message_ts, log)
    modal = wait_for(lambda: stack.slack.open_modal(owner))
    alerts.mark_false_positive(stack.engine, alert.id, "duplicate signal", actor="UMANAGER")  # meanwhile
    typed = "Called <!channel> the champion; agreed a usage review " + "x" * 300
    values = {"outcome_done": typed, "outcome_result": "saved"}
    assert stack.slack.submit_view(owner, modal["id"], values).status == 200  # the form itself was fine

    def refusals() -> list[dict[str, object]]:
        return [m for m in ephemeral_for(stack.slack, owner, alert.channel_id) if "What you wrote" in str(m)]

    (refusal,) = wait_for(refusals)
    text = json.dumps(refusal["blocks"], ensure_ascii=False)
    assert "this alert is marked a false positive" in text and "agreed a usage review" in text
    assert "x" * 300 in text and "<!channel>" not in text and alert.id not in text
