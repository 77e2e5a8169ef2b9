"""`/champion <account name or CRM id>`: open the champion-change modal for that account."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from sqlalchemy import func, or_, select

from bot.services.errors import ServiceError
from bot.slack.deps import SlackDeps
from bot.slack.interaction import ack_now
from bot.slack.listeners.alert_actions import champion_modal_for
from messages.actions import ModalContext
from messages.escape import escape_truncate
from store.models import Account
from store.uow import unit_of_work


def find_account_ids(deps: SlackDeps, text: str, limit: int = 5) -> list[tuple[str, str]]:
    """(id, name) of accounts whose CRM id equals `text` or whose name contains it."""
    needle = text.strip()
    if not needle:
        return []
    with unit_of_work(deps.engine) as session:
        exact = session.execute(
            select(Account.id, Account.name).where(Account.crm_id == needle, Account.is_deleted.is_(False))
        ).all()
        if exact:
            return [(r.id, r.name) for r in exact]
        rows = session.execute(
            select(Account.id, Account.name)
            .where(
                Account.is_deleted.is_(False),
                or_(
                    func.lower(Account.name) == needle.lower(),
                    func.lower(Account.name).contains(needle.lower()),
                ),
            )
            .order_by(func.length(Account.name), Account.name)
            .limit(limit)
        ).all()
    return [(r.id, r.name) for r in rows]


def register(app: App, deps: SlackDeps) -> None:
    def champion(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = body.get("text") or ""
        matches = find_account_ids(deps, text)
        if not matches:
            asked = escape_truncate(text.strip(), 80)
            respond(response_type="ephemeral", text=f"No account matches “{asked}”. Try a CRM id.")
            return
        exact = [m for m in matches if m[1].lower() == text.strip().lower()]
        if len(matches) > 1 and len(exact) != 1:
            names = ", ".join(escape_truncate(name, 80) for _, name in matches)  # CRM text: inert
            respond(response_type="ephemeral", text=f"Several accounts match; be more specific: {names}")
            return
        account_id = (exact or matches)[0][0]
        try:
            view = champion_modal_for(deps, account_id, ModalContext(account_id=account_id))
        except ServiceError as exc:
            respond(response_type="ephemeral", text=str(exc))
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)

    app.command("/champion")(ack=ack_now, lazy=[champion])
