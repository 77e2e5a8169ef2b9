"""/portfolio, /account, /plays and /sync through signed slash commands against the Slack sandbox, for
each role, with their refusals and the picker and "Retry failed" buttons."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

import requests
from PIL import Image
from sqlalchemy import func, select

from bot.services.scope import Scope, account_ids, book_scope
from connectors.writeback import OUTCOME_ACTIVITY
from sandbox.httpbase import Fault
from store import outbox_repo
from store.models import Account, Alert, OutboxItem, SlackUser
from store.uow import unit_of_work
from tests.integration.conftest import Stack, wait_for
from tests.integration.replies import CHANNEL, ask, blocks_text, ephemeral_for, field


def _book_size(stack: Stack, owners: frozenset[str] | None) -> int:
    with unit_of_work(stack.engine) as session:
        scope = Scope("x", None) if owners is None else book_scope(session, "x", owners, sorted(owners)[0])
        ids = account_ids(scope, date.today()).subquery()
        return int(session.scalar(select(func.count()).select_from(ids)) or 0)


def a_csm_with_accounts(stack: Stack) -> str:
    with unit_of_work(stack.engine) as session:
        return str(
            session.scalar(
                select(SlackUser.slack_user_id)
                .join(Account, Account.crm_owner_id == SlackUser.email)
                .where(SlackUser.role == "csm")
                .order_by(SlackUser.slack_user_id)
                .limit(1)
            )
        )


def test_portfolio_for_each_role_and_refusals(stack: Stack) -> None:
    stack.container.check()
    user = a_csm_with_accounts(stack)
    csm = ask(stack.slack, user, "/portfolio")
    assert "Portfolio · book" in blocks_text(csm)
    mine = _book_size(stack, frozenset({user}))
    assert 0 < mine < _book_size(stack, None)
    assert field(csm, "Accounts") == str(mine)

    team = ask(stack.slack, "UMANAGER", "/portfolio", "team")
    assert "Portfolio · team" in blocks_text(team)
    assert field(team, "Accounts") == str(_book_size(stack, None))  # every CSM reports to UMANAGER
    assert "By health band" in blocks_text(team) and "Renewals" in blocks_text(team)

    admin = ask(stack.slack, "UADMIN", "/portfolio", "tier:high")
    assert "whole book, tier: high" in blocks_text(admin)

    refused = ask(stack.slack, "UCSM000", "/portfolio", "team")
    assert "You can't" in refused["text"] and "for managers" in blocks_text(refused)
    other = ask(stack.slack, "UCSM000", "/portfolio", "<@UCSM001>")
    assert "own book only" in blocks_text(other)
    bad = ask(stack.slack, "UMANAGER", "/portfolio", "tier:gold")
    assert "Unknown tier" in blocks_text(bad)


def test_account_card_by_crm_id_and_the_picker(stack: Stack) -> None:
    stack.container.check()
    with unit_of_work(stack.engine) as session:
        accounts = session.execute(select(Account.id, Account.name, Account.crm_id)).all()
    one = accounts[0]
    for user in ("UCSM001", "UMANAGER", "UADMIN"):
        card = ask(stack.slack, user, "/account", one.crm_id)
        assert one.name in blocks_text(card) and "Health" in blocks_text(card)

    words = Counter(a.name.split()[0] for a in accounts)
    shared = next(word for word, n in words.items() if n > 1)
    picker = ask(stack.slack, "UMANAGER", "/account", shared)
    assert "Several accounts match" in picker["text"]
    options = picker["blocks"][0]["accessory"]["options"]
    assert len(options) == words[shared]
    chosen = options[-1]["value"]
    name = next(a.name for a in accounts if a.id == chosen)
    delivery = stack.slack.click("UMANAGER", CHANNEL, picker["ts"], "account.pick", value=chosen)
    assert delivery.status == 200
    replaced = wait_for(
        lambda: next(
            (
                m
                for m in ephemeral_for(stack.slack, "UMANAGER")
                if m["ts"] == picker["ts"] and "Health" in str(m)
            ),
            None,
        )
    )
    assert name in blocks_text(replaced) and "Several accounts" not in blocks_text(replaced)

    missing = ask(stack.slack, "UCSM001", "/account", "zzz <!channel> no-such")["text"]
    assert "No account matches" in missing and "<!channel>" not in missing
    assert "Usage" in blocks_text(ask(stack.slack, "UCSM001", "/account"))


def test_account_card_carries_the_uploaded_health_trend_chart(stack: Stack) -> None:
    stack.container.check()
    stack.container.clock.advance(timedelta(days=7))
    stack.container.check()  # a second snapshot a week later: a trend
    with unit_of_work(stack.engine) as session:
        account = session.scalars(select(Account).order_by(Account.name)).first()
    card = ask(stack.slack, "UCSM001", "/account", account.crm_id)
    images = [b for b in card["blocks"] if b["type"] == "image"]
    assert len(images) == 1 and account.name in images[0]["alt_text"]
    file_id = images[0]["slack_file"]["id"]
    png = requests.get(f"{stack.slack.server.url}/files/{file_id}", timeout=10)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(png.content)).size == (480, 160)


def test_plays_report_counts_fires_per_play(stack: Stack) -> None:
    stack.container.check()
    with unit_of_work(stack.engine) as session:
        fired = Counter(session.scalars(select(Alert.play_id)))
    assert fired
    report = ask(stack.slack, "UMANAGER", "/plays", "report --days 7")
    text = blocks_text(report)
    assert "last 7 days" in text
    play_id, count = fired.most_common(1)[0]
    name = stack.container.catalog.plays[play_id].name
    assert f"*{name}*  ·  {count} fired" in text
    for user in ("UCSM000", "UADMIN"):  # every role may read it
        assert f"*{name}*  ·  {count} fired" in blocks_text(ask(stack.slack, user, "/plays"))
    assert "Usage" in blocks_text(ask(stack.slack, "UCSM000", "/plays", "--days soon"))
    assert "Usage" in blocks_text(ask(stack.slack, "UCSM000", "/plays", "--days ²"))  # a digit, not ASCII
    assert "last 1 days" in blocks_text(ask(stack.slack, "UCSM000", "/plays", "--days=1"))


def test_sync_is_for_admins_and_retry_failed_requeues(stack: Stack) -> None:
    refused = ask(stack.slack, "UCSM000", "/sync")
    assert "for admins" in blocks_text(refused)
    assert "for admins" in blocks_text(ask(stack.slack, "UMANAGER", "/sync"))

    with unit_of_work(stack.engine) as session:
        account, other_account = session.scalars(select(Account).order_by(Account.name).limit(2))
        outbox_repo.enqueue(
            session,
            idempotency_key="retry-test-1",
            target="salesforce",
            kind=OUTCOME_ACTIVITY,
            payload={
                "account_crm_id": account.crm_id,
                "contact_crm_id": None,
                "subject": "Play usage decline: saved",
                "body": "Called the champion",
                "status": "Completed",
                "activity_date": date.today().isoformat(),
                "outcome_id": "o-1",
            },
            account_id=account.id,
        )
    faults = stack.salesforce.server.faults
    faults.add(
        Fault("status", status=400, path="sobjects/Task", message="Subject is locked by a validation rule")
    )
    stack.container.drain()
    with unit_of_work(stack.engine) as session:
        item = session.get(OutboxItem, "retry-test-1")
        assert item.state in ("failed", "parked") and item.last_error

    status = ask(stack.slack, "UADMIN", "/sync")
    text = blocks_text(status)
    assert "Last runs" in text and "Account" in text
    assert "Retry failed" in text and account.name in text
    faults.clear()
    delivery = stack.slack.click("UADMIN", CHANNEL, status["ts"], "outbox.retry_failed")
    assert delivery.status == 200
    wait_for(lambda: _state(stack, "retry-test-1") == "pending")
    updated = wait_for(
        lambda: next(
            (
                m
                for m in ephemeral_for(stack.slack, "UADMIN")
                if m["ts"] == status["ts"] and "Retry failed" not in str(m)
            ),
            None,
        )
    )
    assert "1 pending" in blocks_text(updated)
    stack.container.drain()
    assert _state(stack, "retry-test-1") == "sent"
    since = (date.today() - timedelta(days=1)).isoformat()
    log = ask(stack.slack, "UADMIN", "/sync", f"since:{since} {account.crm_id}")
    assert f"outcome activity: {account.name} in salesforce → " in blocks_text(log)
    other = ask(stack.slack, "UADMIN", "/sync", f"since:{since} {other_account.crm_id}")
    assert "Nothing written yet" in blocks_text(other)
    assert "not a date" in blocks_text(ask(stack.slack, "UADMIN", "/sync", "since:yesterday"))


def _state(stack: Stack, item_id: str) -> str:
    with unit_of_work(stack.engine) as session:
        return session.get(OutboxItem, item_id).state


def test_every_command_answers_a_new_install_with_no_data(empty_stack: Stack) -> None:
    slack = empty_stack.slack
    assert "No accounts in this scope yet" in blocks_text(ask(slack, "UCSM000", "/portfolio"))
    assert "No accounts in this scope yet" in blocks_text(ask(slack, "UMANAGER", "/portfolio", "team"))
    assert "No play has fired" in blocks_text(ask(slack, "UMANAGER", "/plays", "report"))
    sync = blocks_text(ask(slack, "UADMIN", "/sync"))
    assert "No sync has run yet" in sync and "Nothing written yet" in sync and "Retry failed" not in sync
    assert "No account matches" in ask(slack, "UCSM000", "/account", "acme")["text"]
    assert "for admins" in blocks_text(ask(slack, "UCSM000", "/sync"))
