"""Short messages: the ephemeral refusal, and the digest that replaces a flood of alerts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from messages.blocks import Message, split_stream
from messages.env import render_stream
from messages.models import DigestItem

MAX_DIGEST_PLAYS: Final = 20
MAX_DIGEST_ACCOUNTS_PER_PLAY: Final = 10
_SEVERITY_RANK: Final = {"critical": 0, "warning": 1, "info": 2}


def refusal_message(attempted: str, reason: str, owner_slack_id: str | None = None) -> Message:
    """For `chat.postEphemeral` (or `respond`): `attempted` like "claim this alert", `reason` a sentence."""
    values = {"attempted": attempted, "reason": reason, "owner_slack_id": owner_slack_id}
    fallback, _, blocks = split_stream(render_stream("misc/refusal.j2", values))
    return Message(fallback, tuple(blocks))


@dataclass(frozen=True)
class _AccountLine:
    name: str
    arr: Decimal | int | float
    reason: str
    count: int


@dataclass(frozen=True)
class _PlayGroup:
    play_name: str
    total: int
    accounts: tuple[_AccountLine, ...]
    more_accounts: int


def digest_message(items: Sequence[DigestItem], title: str = "Alert digest") -> Message:
    """Group `items` by play, then by account (most severe, then largest ARR first). Every item is
    counted; the accounts beyond what fits are summarised as "…and N more", never silently dropped."""
    if not items:
        raise ValueError("a digest needs at least one item")
    by_play: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        by_play[item.play_id].append(item)

    def order(item: DigestItem) -> tuple[int, float]:
        return (_SEVERITY_RANK.get(item.severity, 3), -float(item.arr))

    groups: list[_PlayGroup] = []
    for play_items in sorted(by_play.values(), key=lambda xs: (min(map(order, xs)), -len(xs))):
        by_account: dict[str, list[DigestItem]] = defaultdict(list)
        for item in sorted(play_items, key=order):
            by_account[item.account_id].append(item)
        lines = [
            _AccountLine(alerts[0].account_name, alerts[0].arr, alerts[0].reason, len(alerts))
            for alerts in by_account.values()
        ]
        shown = tuple(lines[:MAX_DIGEST_ACCOUNTS_PER_PLAY])
        groups.append(_PlayGroup(play_items[0].play_name, len(play_items), shown, len(lines) - len(shown)))
    values = {
        "title": title,
        "groups": groups[:MAX_DIGEST_PLAYS],
        "more_plays": max(0, len(groups) - MAX_DIGEST_PLAYS),
        "more_plays_alerts": sum(g.total for g in groups[MAX_DIGEST_PLAYS:]),
        "total": len(items),
        "accounts_total": len({i.account_id for i in items}),
    }
    fallback, _, blocks = split_stream(render_stream("misc/digest.j2", values))
    return Message(fallback, tuple(blocks))
