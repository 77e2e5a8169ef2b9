from __future__ import annotations

import re

import pytest

from messages.models import DigestItem
from messages.notices import digest_message
from tests.messages import samples


def test_digest_groups_by_play_then_account() -> None:
    items = samples.digest_items(count=9)
    payload = digest_message(items).as_kwargs()
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    plays = {i.play_id for i in items}
    assert len(sections) == len(plays)
    assert payload["text"] == "Alert digest: 9 alerts on 3 accounts"
    usage = next(s for s in sections if s.startswith("*Usage decline*"))
    assert usage.startswith("*Usage decline* – 2 alerts")
    assert usage.count("•") == 2  # items 0 and 7 are on different accounts


def test_a_flood_becomes_one_digest_within_limits_and_counts_everything() -> None:
    items = [
        DigestItem(
            alert_id=samples.uid(f"flood{i}"),
            play_id=samples.PLAY_IDS[i % 7] if i % 2 else f"custom_play_{i % 30}",
            play_name=f"Play {i % 47}",
            account_id=samples.uid(f"acc{i % 900}"),
            account_name=f"Account {i % 900} " + "x" * (i % 300),
            reason="r" * (i % 700),
            severity=("critical", "warning", "info")[i % 3],
            arr=i * 100,
        )
        for i in range(10_000)
    ]
    message = digest_message(items)  # validated against Slack's limits on construction
    assert message.text == "Alert digest: 10000 alerts on 900 accounts"
    payload = message.as_kwargs()
    assert len(payload["blocks"]) <= 50
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    shown = sum(int(re.search(r"– (\d+) alert", s).group(1)) for s in sections)  # type: ignore[union-attr]
    hidden_plays = payload["blocks"][-1]["elements"][0]["text"]
    hidden = re.fullmatch(r"…and 2 more plays with (\d+) alerts\.", hidden_plays)
    assert hidden, hidden_plays
    assert all(re.search(r"…and \d+ more accounts$", s) for s in sections), "no section was cut short"
    assert shown + int(hidden.group(1)) == 10_000, "every alert is counted"


def test_critical_first() -> None:
    items = samples.digest_items(count=9)
    first = digest_message(items).as_kwargs()["blocks"][3]["text"]["text"]
    assert first.startswith("*Renewal risk*")


def test_empty_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one item"):
        digest_message([])
