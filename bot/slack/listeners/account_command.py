"""`/account <name or CRM id>`: the account card, or a picker when several accounts match; picking one
replaces the picker with the card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.services.account_card import account_card, find_accounts
from bot.slack.deps import SlackDeps
from bot.slack.replies import answer, check_command, refuse
from bot.slack.surfaces import account_model, card_model
from messages.actions import ActionDecodeError, SurfaceAction, decode_account_pick
from messages.blocks import Message
from messages.surfaces import account_card as render_card
from messages.surfaces import account_picker
from store.uow import unit_of_work

COMMAND = "/account"
USAGE = "Usage: `/account <account name or CRM id>`, e.g. `/account acme` or `/account 001XX0000001`."


def card_message(deps: SlackDeps, account_id: str) -> Message | None:
    now = deps.clock.now()
    with unit_of_work(deps.engine) as session:
        card = account_card(session, account_id, now.date())
    return render_card(card_model(card, deps.rendering)) if card is not None else None


def register(app: App, deps: SlackDeps) -> None:
    @app.command(COMMAND)
    def account(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        if check_command(deps, respond, COMMAND, body["user_id"]) is None:
            return
        query = (body.get("text") or "").strip()
        if not query:
            refuse(respond, "look up an account", USAGE)
            return
        with unit_of_work(deps.engine) as session:
            search = find_accounts(session, query)
        if not search.matches:
            respond(response_type="ephemeral", text=f"No account matches “{query[:80]}”. {USAGE}")
            return
        if search.chosen is None:
            candidates = [account_model(m, deps.rendering) for m in search.matches]
            answer(respond, account_picker(query, candidates))
            return
        message = card_message(deps, search.chosen.account_id)
        if message is not None:
            answer(respond, message)

    @app.action(SurfaceAction.ACCOUNT_PICK.value)
    def pick(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        if check_command(deps, respond, COMMAND, body["user"]["id"]) is None:
            return
        action = body["actions"][0]
        try:
            account_id = decode_account_pick((action.get("selected_option") or {}).get("value", ""))
        except ActionDecodeError:
            refuse(respond, "open that account", "The choice did not name an account; run `/account` again.")
            return
        message = card_message(deps, account_id)
        if message is None:
            refuse(respond, "open that account", "It no longer exists in the CRM.")
            return
        answer(respond, message, replace=True)
