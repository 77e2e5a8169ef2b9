"""Reading the bot's answers to slash commands and clicks out of the Slack sandbox."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import wait_for

CHANNEL = "CCSALERTS"


def ephemeral_for(slack: Any, user: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in slack.messages(channel) if m.get("ephemeral_for") == user]


def ask(slack: Any, user: str, command: str, text: str = "", channel: str = CHANNEL) -> dict[str, Any]:
    """Run a signed slash command as `user`; the ephemeral answer the bot sends through response_url."""
    before = len(ephemeral_for(slack, user, channel))
    delivery = slack.slash(user, command, text, channel=channel)
    assert delivery.status == 200, delivery
    answers = wait_for(lambda: ephemeral_for(slack, user, channel)[before:])
    assert len(answers) == 1, answers
    return answers[0]


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


def field(message: dict[str, Any], label: str) -> str:
    """The value of a `*label*\\nvalue` field in a fields section."""
    for block in message.get("blocks") or []:
        for item in block.get("fields") or []:
            head, _, value = item["text"].partition("\n")
            if head == f"*{label}*":
                return str(value)
    raise AssertionError(f"no field {label!r} in {blocks_text(message)[:500]}")
