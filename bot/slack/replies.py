"""How the manager and admin surfaces answer: through Bolt's `respond` (the response_url) after the ack,
ephemeral unless said otherwise; refusals explain why; the role check every command makes."""

from __future__ import annotations

from slack_bolt import Respond

from bot.permissions import Decision, Role, may_run_command, role_of
from bot.slack.deps import SlackDeps
from messages.blocks import Message
from messages.notices import refusal_message
from store.uow import unit_of_work


class UsageError(ValueError):
    """A command's arguments cannot be understood; the message (with the usage) is shown to the user."""


def answer(respond: Respond, message: Message, *, replace: bool = False) -> None:
    """Show `message` to the person who asked (replacing the message they clicked in, when `replace`)."""
    blocks = [dict(b) for b in message.blocks]
    if replace:
        respond(text=message.text, blocks=blocks, replace_original=True)
    else:
        respond(text=message.text, blocks=blocks, response_type="ephemeral")


def refuse(respond: Respond, attempted: str, reason: str) -> None:
    answer(respond, refusal_message(attempted, reason))


def role(deps: SlackDeps, user_id: str) -> Role:
    with unit_of_work(deps.engine) as session:
        return role_of(user_id, deps.roles, session)


def check_command(deps: SlackDeps, respond: Respond, command: str, user_id: str) -> Role | None:
    """The caller's role when they may run `command`; otherwise None after an ephemeral refusal."""
    who = role(deps, user_id)
    decision: Decision = may_run_command(command, who)
    if not decision.allowed:
        refuse(respond, f"run `{command}`", decision.reason)
        return None
    return who
