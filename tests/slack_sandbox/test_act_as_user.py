"""Acting as a user: the sandbox delivers signed requests to a tiny real Bolt app (signature
verification on), and applies what the bot answers (response_url posts, view responses, slash replies)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from slack_sdk import WebClient

from sandbox.slack import SlackSandbox, Tamper
from tests.slack_sandbox.conftest import eventually
from tests.slack_sandbox.tiny_bolt import ALERT_BLOCKS, TinyBot


def _alert(client: WebClient, channel: str = "CCSM001") -> str:
    return str(client.chat_postMessage(channel=channel, text="Acme at risk", blocks=ALERT_BLOCKS)["ts"])


def _message(slack: SlackSandbox, channel: str, ts: str) -> dict[str, Any]:
    return next(m for m in slack.messages(channel) if m["ts"] == ts)


def test_a_signed_click_reaches_bolt_and_the_bot_updates_the_message(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    ts = _alert(client)
    delivery = slack.click("csm001@retainer.example", "csm-001", ts, "claim")
    assert delivery.status == 200 and delivery.latency_ms > 0 and delivery.kind == "block_actions"

    updated = eventually(
        lambda: _message(slack, "CCSM001", ts) if "edited" in _message(slack, "CCSM001", ts) else None
    )
    assert updated["blocks"][-1]["elements"][0]["text"] == "Claimed by <@UCSM001>"
    [body] = bot.clicks
    assert body["user"]["id"] == "UCSM001" and body["actions"][0]["value"] == "a1"
    assert body["actions"][0]["block_id"] == "alert:1"
    assert body["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "CCSM001",
        "is_ephemeral": False,
    }
    assert body["message"]["blocks"] == ALERT_BLOCKS and body["trigger_id"] and body["response_url"]


def test_select_responds_through_response_url_replacing_the_original(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    ts = _alert(client)
    assert slack.click("UCSM001", "CCSM001", ts, "snooze", selected="1w").status == 200
    eventually(lambda: _message(slack, "CCSM001", ts)["text"] == "Snoozed for 1w")
    [post] = slack.actor.response_posts
    assert post["body"]["replace_original"] is True and post["applied"] == {"replaced": ts}

    assert slack.click("UCSM001", "CCSM001", ts, "dismiss").status == 200
    eventually(lambda: not slack.messages("CCSM001"))
    with pytest.raises(ValueError, match="no option"):
        slack.click("UCSM001", "CCSM001", _alert(client), "snooze", selected="1y")
    with pytest.raises(ValueError, match="no message"):
        slack.click("UCSM001", "CCSM001", "123.456", "claim")
    with pytest.raises(ValueError, match="not a member"):
        slack.click("UCSM002", "CCSM001", ts, "claim")  # csm-001 is not csm002's channel


def test_modal_opened_from_a_click_and_submitted_with_every_input_kind(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    ts = _alert(client)
    slack.click("UCSM001", "CCSM001", ts, "log_outcome")
    modal = eventually(lambda: slack.open_modal("UCSM001"))
    assert modal["callback_id"] == "outcome" and modal["private_metadata"] == f"CCSM001|{ts}"

    refused = slack.submit_view("UCSM001", modal["id"], {"what": "nothing", "result": "saved"})
    assert refused.outcome == {"response_action": "errors", "errors": {"done": "Say what was done"}}
    assert slack.open_modal("UCSM001") is not None  # still open, showing the error

    values = {"what": "Called the champion", "result": "saved", "date": "2026-12-01", "owner": "UCSM002"}
    done = slack.submit_view("UCSM001", modal["id"], values)
    assert done.status == 200 and done.outcome == {"response_action": "close"}
    assert slack.open_modal("UCSM001") is None
    [state] = bot.submissions
    assert state["done"]["what"] == {"type": "plain_text_input", "value": "Called the champion"}
    assert state["result"]["result"]["selected_option"]["value"] == "saved"
    assert state["next"]["date"] == {"type": "datepicker", "selected_date": "2026-12-01"}
    assert state["owner"]["owner"] == {"type": "users_select", "selected_user": "UCSM002"}
    reply = eventually(lambda: [m for m in slack.messages("CCSM001") if m.get("thread_ts") == ts])
    assert reply[0]["text"] == "Outcome logged by <@UCSM001>"
    assert _message(slack, "CCSM001", ts)["reply_count"] == 1


def test_submitting_a_modal_checks_the_form_like_the_client(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    slack.click("UCSM001", "CCSM001", _alert(client), "log_outcome")
    modal = eventually(lambda: slack.open_modal("UCSM001"))
    with pytest.raises(ValueError, match="required"):
        slack.submit_view("UCSM001", modal["id"], {"what": "x"})
    with pytest.raises(ValueError, match="no input"):
        slack.submit_view("UCSM001", modal["id"], {"what": "x", "result": "saved", "colour": "red"})
    with pytest.raises(ValueError, match="not open"):
        slack.submit_view("UCSM002", modal["id"], {"what": "x", "result": "saved"})


def test_slash_command_answer_is_ephemeral_and_respond_posts_in_channel(
    slack: SlackSandbox, bot: TinyBot
) -> None:
    delivery = slack.slash("manager@retainer.example", "/portfolio", "at-risk", channel="cs-alerts")
    assert delivery.status == 200 and delivery.outcome.get("ephemeral")
    messages = eventually(
        lambda: slack.messages("cs-alerts") if len(slack.messages("cs-alerts")) == 2 else None
    )
    by_kind = {bool(m.get("ephemeral_for")): m for m in messages}
    assert (
        by_kind[True]["text"] == "Portfolio for <@UMANAGER>: at-risk"
        and by_kind[True]["ephemeral_for"] == "UMANAGER"
    )
    assert by_kind[False]["text"] == "Portfolio summary posted"


def test_app_home_opened_event_publishes_the_home_view(slack: SlackSandbox, bot: TinyBot) -> None:
    assert slack.open_home("admin@retainer.example").status == 200
    home = eventually(lambda: slack.home_view("UADMIN"))
    assert home["blocks"][0]["text"]["text"] == "Hello <@UADMIN>"
    event = json.loads(slack.deliveries()[-1].body)
    assert event["type"] == "event_callback" and event["event"]["type"] == "app_home_opened"


@pytest.mark.parametrize(
    "tamper", [Tamper(forge_signature=True), Tamper(timestamp_skew=-6 * 60)], ids=["forged", "stale"]
)
def test_forged_or_stale_requests_get_401_and_change_nothing(
    slack: SlackSandbox, client: WebClient, bot: TinyBot, tamper: Tamper
) -> None:
    ts = _alert(client)
    before = slack.messages("CCSM001")
    assert slack.click("UCSM001", "CCSM001", ts, "claim", tamper=tamper).status == 401
    assert slack.slash("UMANAGER", "/portfolio", tamper=tamper).status == 401
    assert slack.open_home("UMANAGER", tamper=tamper).status == 401
    assert bot.clicks == [] and slack.messages("CCSM001") == before and slack.home_view("UMANAGER") is None


def test_replay_resends_the_exact_signed_request(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    ts = _alert(client)
    first = slack.click("UCSM001", "CCSM001", ts, "claim")
    again = slack.replay(first)
    assert (again.body, again.headers) == (first.body, first.headers) and again.id == first.id + 1
    assert again.status == 200  # inside the 5-minute window Bolt accepts it: deduplication is the bot's job
    eventually(lambda: len(bot.clicks) == 2)


def test_control_endpoints_act_for_the_web_page(slack: SlackSandbox, client: WebClient, bot: TinyBot) -> None:
    ts = _alert(client)
    http = requests.Session()
    http.trust_env = False
    base = slack.server.url + "/_sandbox/"
    state = http.get(base + "ui/state", params={"user": "UCSM001", "channel": "CCSM001"}, timeout=5).json()
    assert [m["ts"] for m in state["messages"]] == [ts] and "CCSESCALATIONS" not in {
        c["id"] for c in state["channels"]
    }

    click = {"user": "UCSM001", "channel": "CCSM001", "ts": ts, "action_id": "claim"}
    assert http.post(base + "act/click", json=click, timeout=5).json()["status"] == 200
    fresh = {**click, "ts": _alert(client), "forge_signature": True}
    forged = http.post(base + "act/click", json=fresh, timeout=5).json()
    assert forged["status"] == 401
    replayed = http.post(base + "act/replay", json={"delivery_id": 1}, timeout=5).json()
    assert replayed["status"] == 200 and replayed["id"] == 3
    bad = http.post(base + "act/click", json={**fresh, "action_id": "nope"}, timeout=5)
    assert bad.status_code == 400 and "nope" in bad.json()["error"]
    logged = http.get(base + "deliveries", timeout=5).json()
    assert [d["status"] for d in logged] == [200, 401, 200] and all(d["latency_ms"] > 0 for d in logged)
