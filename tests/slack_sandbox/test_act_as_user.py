"""Acting as a user: the sandbox delivers signed requests to a tiny real Bolt app (signature
verification on), and applies what the bot answers (response_url posts, view responses, slash replies)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

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


def test_a_prepared_click_is_signed_and_unsent_until_someone_else_sends_it(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    ts = _alert(client)
    prepared = slack.prepare_click("UCSM001", "CCSM001", ts, "claim")
    assert prepared.status is None and not bot.clicks and not slack.deliveries()

    answer = requests.post(prepared.url, data=prepared.body, headers=prepared.headers, timeout=10)
    assert answer.status_code == 200
    eventually(lambda: "edited" in _message(slack, "CCSM001", ts))
    [body] = bot.clicks
    assert body["user"]["id"] == "UCSM001" and body["container"]["message_ts"] == ts


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


def test_modal_stack_push_update_clear_and_view_closed(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    slack.click("UCSM001", "CCSM001", _alert(client), "log_outcome")
    root = eventually(lambda: slack.open_modal("UCSM001"))
    assert slack.click_view("UCSM001", root["id"], "more").status == 200  # a button inside the modal
    details = eventually(lambda: m if (m := slack.open_modal("UCSM001")) and m["id"] != root["id"] else None)
    assert details["root_view_id"] == root["id"] and details["previous_view_id"] == root["id"]

    huge = slack.submit_view("UCSM001", details["id"], {"then": "huge"}).outcome
    assert (
        huge["error"] == "invalid_blocks" and "no more than 100" in huge["response_metadata"]["messages"][0]
    )
    assert slack.open_modal("UCSM001")["id"] == details["id"]  # an invalid pushed view changes nothing
    assert (
        slack.submit_view("UCSM001", details["id"], {"then": "update"}).outcome["response_action"] == "update"
    )
    assert slack.open_modal("UCSM001")["title"]["text"] == "Updated"
    assert slack.submit_view("UCSM001", details["id"], {"then": "more"}).outcome["response_action"] == "push"
    third = slack.open_modal("UCSM001")
    assert third["title"]["text"] == "Third" and third["id"] != details["id"]

    closed = slack.close_view("UCSM001", details["id"])  # closes it and the one pushed on top of it
    assert closed is not None and closed.status == 200
    assert eventually(lambda: bot.closed)[0]["type"] == "view_closed"
    assert slack.open_modal("UCSM001")["id"] == root["id"]
    assert slack.close_view("UCSM001", root["id"]) is None  # the outcome modal did not ask to be told

    slack.click("UCSM001", "CCSM001", _alert(client), "log_outcome")
    root = eventually(lambda: slack.open_modal("UCSM001"))
    slack.click_view("UCSM001", root["id"], "more")
    details = eventually(lambda: m if (m := slack.open_modal("UCSM001")) and m["id"] != root["id"] else None)
    assert (
        slack.submit_view("UCSM001", details["id"], {"then": "clear"}).outcome["response_action"] == "clear"
    )
    assert slack.open_modal("UCSM001") is None


def test_a_trigger_id_works_once_and_expires(slack: SlackSandbox, client: WebClient, bot: TinyBot) -> None:
    slack.click("UCSM001", "CCSM001", _alert(client), "claim")
    trigger_id = json.loads(parse_qs(slack.deliveries()[-1].body.decode())["payload"][0])["trigger_id"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    client.views_open(trigger_id=trigger_id, view=modal)
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id=trigger_id, view=modal)
    slack.api.triggers["old"] = ("UCSM001", time.monotonic() - 4)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id="old", view=modal)


def test_a_response_url_takes_five_posts(slack: SlackSandbox, client: WebClient, bot: TinyBot) -> None:
    slack.click("UCSM001", "CCSM001", _alert(client), "claim")
    url = json.loads(parse_qs(slack.deliveries()[-1].body.decode())["payload"][0])["response_url"]
    http = requests.Session()
    http.trust_env = False
    answers = [http.post(url, json={"text": f"note {i}"}, timeout=5) for i in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [404] and answers[0].text == "ok"
    notes = [m for m in slack.messages("CCSM001") if m.get("ephemeral_for") == "UCSM001"]
    assert [m["text"] for m in notes] == [f"note {i}" for i in range(5)]
    assert http.post(url.rsplit("/", 1)[0] + "/unknown", json={"text": "x"}, timeout=5).status_code == 404


def test_concurrent_clicks_are_all_delivered_and_applied(
    slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    stamps = [_alert(client, f"CCSM00{i % 3}") for i in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        deliveries = list(
            pool.map(lambda i: slack.click("UMANAGER", f"CCSM00{i % 3}", stamps[i], "claim"), range(12))
        )
    assert [d.status for d in deliveries] == [200] * 12 and len({d.id for d in deliveries}) == 12

    def edited() -> int:
        return sum(1 for c in ("CCSM000", "CCSM001", "CCSM002") for m in slack.messages(c) if "edited" in m)

    eventually(lambda: edited() == 12)


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
    with pytest.raises(ValueError, match="not a member"):
        slack.slash("UCSM000", "/portfolio", channel="cs-escalations")


def test_app_home_opened_event_publishes_the_home_view(slack: SlackSandbox, bot: TinyBot) -> None:
    assert slack.open_home("admin@retainer.example").status == 200
    home = eventually(lambda: slack.home_view("UADMIN"))
    assert home["blocks"][0]["text"]["text"] == "Hello <@UADMIN>"
    event = json.loads(slack.deliveries()[-1].body)
    assert event["type"] == "event_callback" and event["event"]["type"] == "app_home_opened"
    assert slack.click_view("UADMIN", home["id"], "refresh_home").status == 200
    eventually(lambda: slack.home_view("UADMIN")["blocks"][0]["text"]["text"] == "Refreshed")


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
