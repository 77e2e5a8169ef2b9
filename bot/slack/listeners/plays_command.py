"""`/plays [report] [--days N]`: playbook effectiveness over the last N days (default 30)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt import App, Respond

from bot.services.plays_report import plays_report
from bot.slack.deps import SlackDeps
from bot.slack.interaction import ack_now
from bot.slack.replies import UsageError, answer, check_command, refuse
from bot.slack.surfaces import plays_model
from messages.surfaces import plays_report as render_report
from store.uow import unit_of_work

COMMAND = "/plays"
DEFAULT_DAYS = 30
MAX_DAYS = 730
USAGE = f"Usage: `/plays [report] [--days N]` with N from 1 to {MAX_DAYS} (default {DEFAULT_DAYS})."


def parse_days(text: str) -> int:
    """`report --days 14` -> 14; `` -> 30. Raises UsageError on anything else."""
    words = text.split()
    if words[:1] == ["report"]:
        words = words[1:]
    if not words:
        return DEFAULT_DAYS
    if len(words) == 1 and words[0].startswith("--days="):
        words = ["--days", words[0].removeprefix("--days=")]
    if len(words) != 2 or words[0] != "--days" or not (words[1].isascii() and words[1].isdigit()):
        raise UsageError(USAGE)
    days = int(words[1])
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(USAGE)
    return days


def register(app: App, deps: SlackDeps) -> None:
    def plays(body: dict[str, Any], respond: Respond) -> None:
        if check_command(deps, respond, COMMAND, body["user_id"]) is None:
            return
        try:
            days = parse_days(body.get("text") or "")
        except UsageError as exc:
            refuse(respond, "read that report", str(exc))
            return
        with unit_of_work(deps.engine) as session:
            effects = plays_report(session, deps.clock.now() - timedelta(days=days))
        answer(respond, render_report(plays_model(effects, days, deps.rendering.catalog)))

    app.command(COMMAND)(ack=ack_now, lazy=[plays])
