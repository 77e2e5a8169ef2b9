"""Buttons and selects on alert messages: each acks at once, checks permission, calls one service,
then updates the alert's message for everyone. Modals open here; their submissions are in `modals.py`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.services import alerts as alert_service
from bot.services.errors import ServiceError
from bot.slack.deps import SlackDeps
from bot.slack.interaction import Click, ack_now, check_alert_permission, tell
from bot.slack.listeners.home import publish_home
from messages.actions import (
    ActionDecodeError,
    AlertAction,
    AlertVerb,
    ModalContext,
    SnoozeChoice,
    check_zone,
    decode_snooze_choice,
)
from messages.alerts import alert_message
from messages.modals import champion_change_modal, false_positive_modal, log_outcome_modal, snooze_modal
from messages.models import Account as AccountView
from messages.models import Contact as ContactView
from store.models import Account, Contact, SlackUser, StakeholderRole
from store.uow import unit_of_work

Handler = Callable[[SlackDeps, WebClient, Click, str], None]


def user_zone(deps: SlackDeps, user_id: str) -> str:
    """The user's time zone from their Slack profile (kept by the directory import, which stores UTC
    for a profile without one), else, for a user not imported yet, the bot's TIMEZONE setting."""
    with unit_of_work(deps.engine) as session:
        found = session.scalar(select(SlackUser.timezone).where(SlackUser.slack_user_id == user_id))
    for name in (found, deps.timezone):
        if name:
            try:
                check_zone(name)
            except ActionDecodeError:
                continue
            return name
    return "UTC"


def _context(click: Click, alert_id: str, account_id: str | None = None) -> ModalContext:
    if click.channel_id and click.message_ts and click.channel_id.startswith(("C", "G", "D")):
        return ModalContext(
            alert_id=alert_id, account_id=account_id, channel_id=click.channel_id, message_ts=click.message_ts
        )
    return ModalContext(alert_id=alert_id, account_id=account_id)


def _done(deps: SlackDeps, alert_id: str) -> None:
    deps.publisher.refresh(alert_id)
    if deps.after_change is not None:
        deps.after_change()


def _claim(deps: SlackDeps, client: WebClient, click: Click, alert_id: str) -> None:
    alert_service.claim(
        deps.engine, alert_id, actor=click.user_id, request_id=click.request_id, clock=deps.clock
    )
    _done(deps, alert_id)


def _snooze(deps: SlackDeps, client: WebClient, click: Click, alert_id: str) -> None:
    selected = (click.action.get("selected_option") or {}).get("value") or click.action.get("value") or ""
    choice = decode_snooze_choice(selected)
    if choice is SnoozeChoice.UNTIL:
        alert = deps.publisher.views([alert_id])[alert_id]
        zone = user_zone(deps, click.user_id)
        context = replace(_context(click, alert_id), tz=zone)
        modal = snooze_modal(alert, context, deps.clock.now().astimezone(ZoneInfo(zone)).date())
        client.views_open(trigger_id=click.trigger_id or "", view=modal.as_dict())
        return
    until = deps.clock.now() + (timedelta(days=1) if choice is SnoozeChoice.ONE_DAY else timedelta(weeks=1))
    alert_service.snooze(
        deps.engine, alert_id, until, actor=click.user_id, request_id=click.request_id, clock=deps.clock
    )
    _done(deps, alert_id)


def _reassign(deps: SlackDeps, client: WebClient, click: Click, alert_id: str) -> None:
    new_owner = click.action.get("selected_user")
    if not new_owner:
        raise ServiceError("pick someone to reassign the alert to")
    change = alert_service.reassign(
        deps.engine, alert_id, new_owner, actor=click.user_id, request_id=click.request_id, clock=deps.clock
    )
    _done(deps, alert_id)
    if change.changed:  # a redelivered click changed nothing: no second DM
        client.chat_postMessage(channel=new_owner, text=f"<@{click.user_id}> reassigned an alert to you.")


def _escalate(deps: SlackDeps, client: WebClient, click: Click, alert_id: str) -> None:
    change = alert_service.escalate(
        deps.engine, alert_id, actor=click.user_id, request_id=click.request_id, clock=deps.clock
    )
    _done(deps, alert_id)
    if change.changed:
        alert = deps.publisher.views([alert_id])[alert_id]
        with unit_of_work(deps.engine) as session:
            owner = session.get(SlackUser, alert.owner_slack_id or click.user_id)
            manager = owner.manager_slack_id if owner else None
        rendered = alert_message(alert, "manager")
        client.chat_postMessage(
            channel=manager or deps.escalation_channel,
            text=f"Escalated by <@{click.user_id}>: {rendered.text}",
            blocks=[dict(b) for b in rendered.blocks],
        )


def _open_modal(builder: Callable[..., Any]) -> Handler:
    def open_modal(deps: SlackDeps, client: WebClient, click: Click, alert_id: str) -> None:
        alert = deps.publisher.views([alert_id])[alert_id]
        client.views_open(
            trigger_id=click.trigger_id or "", view=builder(alert, _context(click, alert_id)).as_dict()
        )

    return open_modal


def _champion_change(deps: SlackDeps, client: WebClient, click: Click, alert_id: str) -> None:
    alert = deps.publisher.views([alert_id])[alert_id]
    view = champion_modal_for(deps, alert.account.id, _context(click, alert_id, alert.account.id))
    client.views_open(trigger_id=click.trigger_id or "", view=view)


def _contact_view(c: Contact) -> ContactView:
    name = f"{c.first_name or ''} {c.last_name or ''}".strip() or (c.email or c.id)
    return ContactView(c.id, name, c.title or "", c.email or "")


def champion_modal_for(deps: SlackDeps, account_id: str, context: ModalContext) -> dict[str, Any]:
    """The champion-change modal for an account: its first contacts by name, the current champion
    preselected even when not among them, and how many more there are."""
    live = (Contact.account_id == account_id, Contact.is_deleted.is_(False))
    with unit_of_work(deps.engine) as session:
        account = session.get(Account, account_id)
        if account is None:
            raise ServiceError("that account no longer exists")
        first = session.scalars(
            select(Contact)
            .where(*live)
            .order_by(Contact.last_name, Contact.first_name, Contact.id)
            .limit(100)
        )
        views = [_contact_view(c) for c in first]
        total = session.scalar(select(func.count()).select_from(Contact).where(*live)) or 0
        champion = session.scalars(
            select(Contact)
            .join(StakeholderRole, StakeholderRole.contact_id == Contact.id)
            .where(
                *live,
                StakeholderRole.account_id == account_id,
                StakeholderRole.role == "champion",
                StakeholderRole.valid_to.is_(None),
            )
            .order_by(StakeholderRole.valid_from.desc(), Contact.id)
            .limit(1)
        ).first()
        account_view = AccountView(account.id, account.name, account.arr or 0, "", account.source)
        current = _contact_view(champion) if champion is not None else None
    return champion_change_modal(account_view, context, views, current, total=total).as_dict()


HANDLERS: dict[AlertVerb, tuple[str, Handler]] = {
    AlertVerb.CLAIM: ("claim this alert", _claim),
    AlertVerb.SNOOZE: ("snooze this alert", _snooze),
    AlertVerb.REASSIGN: ("reassign this alert", _reassign),
    AlertVerb.ESCALATE: ("escalate this alert", _escalate),
    AlertVerb.FALSE_POSITIVE: ("mark this alert a false positive", _open_modal(false_positive_modal)),
    AlertVerb.LOG_OUTCOME: ("log an outcome", _open_modal(log_outcome_modal)),
    AlertVerb.CHAMPION_CHANGE: ("record a champion change", _champion_change),
}


def _listener(deps: SlackDeps, attempted: str, handler: Handler) -> Callable[..., None]:
    def listener(body: dict[str, Any], client: WebClient) -> None:
        click = Click.from_body(body)
        try:
            alert_id = AlertAction.decode(click.action_id).alert_id
        except ActionDecodeError as exc:
            tell(client, click.user_id, click.channel_id, attempted, str(exc))
            return
        decision = check_alert_permission(deps, client, click.user_id, alert_id)
        if not decision.allowed:
            tell(client, click.user_id, click.channel_id, attempted, decision.reason)
            return
        try:
            handler(deps, client, click, alert_id)
        except (ServiceError, ActionDecodeError) as exc:
            tell(client, click.user_id, click.channel_id, attempted, str(exc))
            return
        if click.in_view and (body.get("view") or {}).get("type") == "home":
            publish_home(deps, client, click.user_id)  # App Home shows the alert's new state at once

    return listener


def register(app: App, deps: SlackDeps) -> None:
    for verb, (attempted, handler) in HANDLERS.items():
        app.action(AlertAction.pattern(verb))(ack=ack_now, lazy=[_listener(deps, attempted, handler)])

    @app.action(re.compile(r"^crm_link:"))
    def crm_link(ack: Ack) -> None:  # a link button: Slack opens the URL, the bot only acknowledges
        ack()
