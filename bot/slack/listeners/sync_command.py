"""`/sync [since:YYYY-MM-DD] [until:YYYY-MM-DD] [account]` for CRM admins: last sync runs, the write-back
outbox with a "Retry failed" button, and what the bot wrote to the CRM (filtered by account and dates).
The button requeues failed and parked items and replaces the message with the fresh status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_bolt import App, Respond

from bot.services.account_card import find_accounts
from bot.services.admin import activity_log, outbox_view, retry_outbox, sync_status
from bot.slack.deps import SlackDeps
from bot.slack.interaction import ack_now
from bot.slack.replies import UsageError, answer, check_command, refuse
from bot.slack.surfaces import sync_model
from messages.actions import SurfaceAction
from messages.blocks import Message
from messages.surfaces import sync_status as render_sync
from store.uow import unit_of_work

COMMAND = "/sync"
USAGE = "Usage: `/sync [since:YYYY-MM-DD] [until:YYYY-MM-DD] [account name or CRM id]`."


@dataclass(frozen=True)
class ActivityFilter:
    account: str = ""
    since: date | None = None
    until: date | None = None


def parse_filter(text: str) -> ActivityFilter:
    since = until = None
    rest = []
    for word in text.split():
        key, sep, value = word.partition(":")
        if sep and key in ("since", "until"):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise UsageError(f"`{word[:40]}` is not a date. {USAGE}") from None
            since, until = (day, until) if key == "since" else (since, day)
        else:
            rest.append(word)
    return ActivityFilter(" ".join(rest), since, until)


def status_message(deps: SlackDeps, wanted: ActivityFilter = ActivityFilter()) -> Message:
    with unit_of_work(deps.engine) as session:
        account_ids = None
        if wanted.account:
            account_ids = [m.account_id for m in find_accounts(session, wanted.account).matches]
        written = activity_log(session, account_ids=account_ids, since=wanted.since, until=wanted.until)
        status = sync_model(sync_status(session), outbox_view(session), written)
    return render_sync(status)


def register(app: App, deps: SlackDeps) -> None:
    def sync(body: dict[str, Any], respond: Respond) -> None:
        if check_command(deps, respond, COMMAND, body["user_id"]) is None:
            return
        try:
            wanted = parse_filter(body.get("text") or "")
        except UsageError as exc:
            refuse(respond, "filter the activity log", str(exc))
            return
        answer(respond, status_message(deps, wanted))

    app.command(COMMAND)(ack=ack_now, lazy=[sync])

    def retry_failed(body: dict[str, Any], respond: Respond) -> None:
        if check_command(deps, respond, COMMAND, body["user"]["id"]) is None:
            return
        with unit_of_work(deps.engine) as session:
            retry_outbox(session)
        if deps.after_change is not None:
            deps.after_change()
        answer(respond, status_message(deps), replace=True)

    app.action(SurfaceAction.RETRY_FAILED.value)(ack=ack_now, lazy=[retry_failed])
