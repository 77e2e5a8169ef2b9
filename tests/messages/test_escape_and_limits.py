from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messages.env import when
from messages.escape import ELLIPSIS, MRKDWN_CONTROL, escape_text, escape_truncate, truncate
from messages.limits import SlackLimitError, validate_message, validate_view
from tests.messages.render_all import builders


def test_escape_text() -> None:
    assert (
        escape_text("<!channel> *bold* <https://evil|click>")
        == "&lt;!channel&gt; ∗bold∗ &lt;https://evil|click&gt;"
    )
    assert escape_text("AT&T_corp ~x~ `y`") == "AT&amp;Tˍcorp ∼x∼ ˋyˋ"
    assert escape_text("&amp;") == "&amp;amp;", "already-escaped text is escaped again: CRM text is data"


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_truncate_respects_the_limit_and_never_splits_an_entity(value: str, limit: int) -> None:
    out = escape_truncate(value, limit)
    assert len(out) <= limit
    assert not (set(out) & (MRKDWN_CONTROL - {"&"}))
    body = out.removesuffix(ELLIPSIS) if len(escape_text(value)) > limit else out
    assert escape_text(value).startswith(body.rstrip()) or body.rstrip() == ""
    tail = body[body.rfind("&") :] if "&" in body else ""
    assert not tail or tail.startswith(("&amp;", "&lt;", "&gt;")), f"split entity at the end: {out!r}"


def test_truncate_drops_a_whole_entity_at_the_cut() -> None:
    assert truncate("abc&amp;def", 6) == "abc" + ELLIPSIS
    assert truncate("short", 5) == "short"
    with pytest.raises(ValueError):
        truncate("x", 0)


def test_truncate_drops_a_whole_token_of_ours_at_the_cut() -> None:
    token = str(when(datetime(2026, 11, 24, 9, 0, tzinfo=UTC)))
    text = f"Snoozed until {token} by <@U0CSM001>"
    for limit in range(len("Snoozed until") + 2, len(text)):
        out = truncate(text, limit)
        assert out.count("<") == out.count(">"), f"a token was split at {limit}: {out!r}"
    assert truncate(text, 30) == "Snoozed until" + ELLIPSIS


def _alert() -> dict[str, Any]:
    return builders()["alert_usage_decline"]()


def _modal() -> dict[str, Any]:
    return builders()["modal_log_outcome"]()


def _breaks(payload: dict[str, Any], fragment: str, *, view: bool = False) -> None:
    with pytest.raises(SlackLimitError) as info:
        (validate_view if view else validate_message)(payload)
    assert any(fragment in v for v in info.value.violations), info.value.violations


def test_valid_payloads_pass() -> None:
    validate_message(_alert())
    validate_view(_modal())


def test_message_limits() -> None:
    p = _alert()
    p["blocks"] = p["blocks"] * 7
    _breaks(p, f"blocks: {len(p['blocks'])} items, limit 50")

    p = _alert()
    p["blocks"][2]["text"]["text"] = "x" * 3001
    _breaks(p, "blocks[2].text.text: 3001 characters, limit 3000")

    p = _alert()
    p["blocks"][3]["fields"] = p["blocks"][3]["fields"] * 3
    _breaks(p, "blocks[3].fields: 12 items, limit 10")

    p = _alert()
    p["blocks"][3]["fields"][0]["text"] = "x" * 2001
    _breaks(p, "blocks[3].fields[0].text: 2001 characters, limit 2000")

    p = _alert()
    p["blocks"][0]["text"]["text"] = "x" * 151
    _breaks(p, "blocks[0].text.text: 151 characters, limit 150")

    p = _alert()
    p["blocks"][0]["text"]["type"] = "mrkdwn"
    _breaks(p, "blocks[0].text.type: 'mrkdwn' not allowed here")

    p = _alert()
    actions = p["blocks"][-1]
    actions["elements"][0]["text"]["text"] = "x" * 76
    _breaks(p, "elements[0].text.text: 76 characters, limit 75")

    p = _alert()
    p["blocks"][-1]["elements"][0]["action_id"] = "a" * 256
    _breaks(p, "elements[0].action_id: 256 characters, limit 255")

    p = _alert()
    p["blocks"][1]["block_id"] = "b" * 256
    _breaks(p, "blocks[1].block_id: 256 characters, limit 255")

    p = _alert()
    p["blocks"][-1]["elements"][1]["options"][0]["text"]["text"] = "x" * 76
    _breaks(p, "options[0].text.text: 76 characters, limit 75")

    p = _alert()
    p["text"] = ""
    _breaks(p, "text: empty")

    p = _alert()
    p["blocks"][2]["text"]["text"] = ""
    _breaks(p, "blocks[2].text.text: empty")

    p = _alert()
    p["blocks"].append({"type": "marquee"})
    _breaks(p, "unsupported block type 'marquee'")


def test_view_limits() -> None:
    p = _modal()
    p["blocks"] = p["blocks"] * 21
    _breaks(p, "blocks: 105 items, limit 100", view=True)

    p = _modal()
    p["private_metadata"] = "x" * 3001
    _breaks(p, "private_metadata: 3001 characters, limit 3000", view=True)

    p = _modal()
    p["title"]["text"] = "x" * 25
    _breaks(p, "title.text: 25 characters, limit 24", view=True)

    p = _modal()
    del p["submit"]
    _breaks(p, "needs a submit button", view=True)

    p = _modal()
    p["callback_id"] = "c" * 256
    _breaks(p, "callback_id: 256 characters", view=True)

    home = {"type": "home", "blocks": copy.deepcopy(_alert()["blocks"]) * 13}
    _breaks(home, "blocks: 104 items, limit 100", view=True)


def test_error_lists_every_violation() -> None:
    p = _alert()
    p["blocks"][0]["text"]["text"] = "x" * 151
    p["blocks"][2]["text"]["text"] = "x" * 3001
    with pytest.raises(SlackLimitError, match="message breaks Slack limits") as info:
        validate_message(p)
    assert len(info.value.violations) == 2


def test_an_image_shows_exactly_one_source() -> None:
    def image(**source: Any) -> dict[str, Any]:
        return {"text": "chart", "blocks": [{"type": "image", "alt_text": "trend", **source}]}

    validate_message(image(slack_file={"id": "F0CHART00001"}))
    validate_message(image(image_url="https://example.com/chart.png"))
    _breaks(image(), "blocks[0]: an image needs exactly one of image_url and slack_file")
    both = image(image_url="https://example.com/c.png", slack_file={"id": "F1"})
    _breaks(both, "blocks[0]: an image needs exactly one of image_url and slack_file")
    _breaks(image(slack_file={}), "blocks[0].slack_file: needs an id or a url")
