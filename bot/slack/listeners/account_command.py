"""`/account <name or CRM id>`: the account card (with its health trend chart), or a picker when several
accounts match; picking one replaces the picker with the card."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.charts import trend_png
from bot.services.account_card import AccountCard, account_card, find_accounts
from bot.slack.deps import SlackDeps
from bot.slack.interaction import ack_now
from bot.slack.replies import answer, check_command, refuse
from bot.slack.surfaces import account_model, card_model
from messages.actions import ActionDecodeError, SurfaceAction, decode_account_pick
from messages.blocks import Message
from messages.escape import escape_truncate
from messages.surfaces import account_card as render_card
from messages.surfaces import account_picker
from store.uow import unit_of_work

log = structlog.get_logger(__name__)

COMMAND = "/account"
USAGE = "Usage: `/account <account name or CRM id>`, e.g. `/account acme` or `/account 001XX0000001`."


def upload_trend(client: WebClient, card: AccountCard) -> str | None:
    """Upload the health trend chart (files.uploadV2, shared nowhere) and return its file id, which an
    image block shows through `slack_file` (Slack cannot fetch a private file URL as `image_url`); None
    when there is no trend yet or Slack refused the upload (the card goes out without it)."""
    scores = [point.score for point in card.trend]
    if len(scores) < 2:
        return None
    try:
        response = client.files_upload_v2(
            content=trend_png(scores), filename=f"health-{card.crm_id}.png", title=f"Health of {card.name}"
        )
    except SlackApiError as exc:
        log.warning("account.chart_upload_failed", account=card.account_id, error=exc.response.get("error"))
        return None
    files = response.get("files") or [response.get("file") or {}]
    file_id = files[0].get("id")
    return str(file_id) if file_id else None


def card_message(deps: SlackDeps, client: WebClient, account_id: str) -> Message | None:
    now = deps.clock.now()
    with unit_of_work(deps.engine) as session:
        card = account_card(session, account_id, now.date(), now=now)
    if card is None:
        return None
    model = replace(card_model(card, deps.rendering), chart_file_id=upload_trend(client, card))
    return render_card(model)


def register(app: App, deps: SlackDeps) -> None:
    def account(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if check_command(deps, respond, COMMAND, body["user_id"]) is None:
            return
        query = (body.get("text") or "").strip()
        if not query:
            refuse(respond, "look up an account", USAGE)
            return
        with unit_of_work(deps.engine) as session:
            search = find_accounts(session, query)
        if not search.matches:
            respond(
                response_type="ephemeral", text=f"No account matches “{escape_truncate(query, 80)}”. {USAGE}"
            )
            return
        if search.chosen is None:
            candidates = [account_model(m, deps.rendering) for m in search.matches]
            answer(respond, account_picker(query, candidates))
            return
        message = card_message(deps, client, search.chosen.account_id)
        if message is not None:
            answer(respond, message)

    app.command(COMMAND)(ack=ack_now, lazy=[account])

    def pick(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if check_command(deps, respond, COMMAND, body["user"]["id"]) is None:
            return
        action = body["actions"][0]
        try:
            account_id = decode_account_pick((action.get("selected_option") or {}).get("value", ""))
        except ActionDecodeError:
            refuse(respond, "open that account", "The choice did not name an account; run `/account` again.")
            return
        message = card_message(deps, client, account_id)
        if message is None:
            refuse(respond, "open that account", "It no longer exists in the CRM.")
            return
        answer(respond, message, replace=True)

    app.action(SurfaceAction.ACCOUNT_PICK.value)(ack=ack_now, lazy=[pick])
