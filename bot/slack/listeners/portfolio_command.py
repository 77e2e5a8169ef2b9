"""`/portfolio [me|@user|team|all|tier:X|segment:renewal]`: the numbers for a book, a team or a filter."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond

from bot.services.portfolio import portfolio_summary
from bot.services.scope import ScopeRefused, resolve_scope
from bot.slack.deps import SlackDeps
from bot.slack.interaction import ack_now
from bot.slack.replies import answer, check_command, refuse
from bot.slack.surfaces import portfolio_model
from messages.surfaces import portfolio_summary as render_portfolio
from store.uow import unit_of_work

COMMAND = "/portfolio"


def register(app: App, deps: SlackDeps) -> None:
    def portfolio(body: dict[str, Any], respond: Respond) -> None:
        user_id = body["user_id"]
        role = check_command(deps, respond, COMMAND, user_id)
        if role is None:
            return
        now = deps.clock.now()
        with unit_of_work(deps.engine) as session:
            try:
                scope = resolve_scope(session, body.get("text") or "", user_id, role)
            except ScopeRefused as refused:
                refuse(respond, "see that portfolio", str(refused))
                return
            summary = portfolio_summary(session, scope, now.date(), now=now)
        answer(respond, render_portfolio(portfolio_model(summary)))

    app.command(COMMAND)(ack=ack_now, lazy=[portfolio])
