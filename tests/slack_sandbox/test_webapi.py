"""The Slack sandbox's Web API, driven by the real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import SlackSandbox, start_slack
from tests.slack_sandbox.tiny_bolt import ALERT_BLOCKS


def _error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


def test_auth_test_and_the_token_check(slack: SlackSandbox, client: WebClient) -> None:
    me = client.auth_test()
    assert me["user_id"] == "U0RETAINERBOT" and me["bot_id"] and me["team_id"] == "T0RETAINER"
    assert slack.api_calls("auth.test") == 1  # calls with the bot's token are counted, per method

    with pytest.raises(SlackApiError) as bad:
        WebClient(token="xoxb-wrong", base_url=slack.info()["base_url"]).auth_test()
    assert _error(bad) == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.info()["base_url"]).auth_test()
    assert _error(missing) == "not_authed"
    assert slack.api_calls("auth.test") == 1
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("chat.explode")
    assert _error(unknown) == "unknown_method"


def test_the_seeded_workspace_and_directory_methods(client: WebClient) -> None:
    names = [c["name"] for page in client.conversations_list(limit=2) for c in page["channels"]]
    assert names == ["cs-alerts", "cs-escalations", "csm-000", "csm-001", "csm-002"]

    csm = client.users_lookupByEmail(email="csm001@retainer.example")["user"]
    assert csm["id"] == "UCSM001" and csm["profile"]["email"] == "csm001@retainer.example"
    assert client.users_info(user="UMANAGER")["user"]["profile"]["email"] == "manager@retainer.example"
    assert client.users_info(user="UADMIN")["user"]["is_admin"] is True
    emails = [m["profile"].get("email") for page in client.users_list(limit=2) for m in page["members"]]
    assert len(emails) == 6 and "admin@retainer.example" in emails and None in emails  # the bot has none
    with pytest.raises(SlackApiError) as nobody:
        client.users_lookupByEmail(email="ghost@retainer.example")
    assert _error(nobody) == "users_not_found"

    info = client.conversations_info(channel="CCSM001")["channel"]
    assert info["name"] == "csm-001" and info["is_member"] is True
    assert set(client.conversations_members(channel="CCSM001")["members"]) == {
        "U0RETAINERBOT",
        "UCSM001",
        "UMANAGER",
    }
    assert client.conversations_join(channel="CCSESCALATIONS")["channel"]["is_member"] is True
    with pytest.raises(SlackApiError) as missing:
        client.conversations_info(channel="CNOPE")
    assert _error(missing) == "channel_not_found"
    assert client.usergroups_users_list(usergroup="S0MANAGERS")["users"] == ["UMANAGER"]


def test_post_update_ephemeral_permalink_delete(slack: SlackSandbox, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="#cs-alerts", text="Acme at risk", blocks=ALERT_BLOCKS)
    assert posted["channel"] == "CCSALERTS" and posted["message"]["blocks"] == ALERT_BLOCKS
    ts = posted["ts"]

    client.chat_update(channel="CCSALERTS", ts=ts, text="Acme claimed")
    [message] = slack.messages("cs-alerts")
    assert message["text"] == "Acme claimed" and message["blocks"] == ALERT_BLOCKS and message["edited"]

    eph = client.chat_postEphemeral(channel="CCSALERTS", user="UCSM000", text="only you")
    assert [m.get("ephemeral_for") for m in slack.messages("cs-alerts")] == [None, "UCSM000"]
    assert eph["message_ts"] > ts
    with pytest.raises(SlackApiError) as outsider:
        client.chat_postEphemeral(channel="CCSM001", user="UCSM002", text="nope")
    assert _error(outsider) == "user_not_in_channel"

    link = client.chat_getPermalink(channel="CCSALERTS", message_ts=ts)["permalink"]
    assert link.startswith(slack.info()["ui_url"]) and ts.replace(".", "") in link

    client.chat_delete(channel="CCSALERTS", ts=ts)
    with pytest.raises(SlackApiError) as gone:
        client.chat_update(channel="CCSALERTS", ts=ts, text="x")
    assert _error(gone) == "message_not_found"
    with pytest.raises(SlackApiError) as empty, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="CCSALERTS", text="")
    assert _error(empty) == "no_text"


def test_form_encoded_bodies_and_token_in_the_form(slack: SlackSandbox, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage", data={"channel": "CCSM000", "text": "hi", "blocks": json.dumps(ALERT_BLOCKS)}
    )
    http = requests.Session()
    http.trust_env = False
    info = slack.info()
    answer = http.post(
        info["base_url"] + "chat.postMessage",
        data={"token": info["bot_token"], "channel": "csm-001", "text": "via form token"},
        timeout=5,
    ).json()
    assert answer["ok"] is True
    broken = http.post(
        info["base_url"] + "chat.postMessage",
        data=b"{not json",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {info['bot_token']}"},
        timeout=5,
    )
    assert (broken.status_code, broken.json()) == (200, {"ok": False, "error": "invalid_json"})
    assert slack.messages("CCSM000")[0]["blocks"] == ALERT_BLOCKS
    assert slack.messages("CCSM001")[0]["text"] == "via form token"


def test_block_kit_hard_limits_give_invalid_blocks(client: WebClient) -> None:
    divider = {"type": "divider"}
    client.chat_postMessage(channel="CCSALERTS", text="fifty", blocks=[divider] * 50)
    with pytest.raises(SlackApiError) as too_many:
        client.chat_postMessage(channel="CCSALERTS", text="fifty-one", blocks=[divider] * 51)
    assert _error(too_many) == "invalid_blocks"
    assert "no more than 50 items" in too_many.value.response["response_metadata"]["messages"][0]

    long_button = {"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "x" * 76}}
    with pytest.raises(SlackApiError) as long_text:
        client.chat_postMessage(
            channel="CCSALERTS", text="t", blocks=[{"type": "actions", "elements": [long_button]}]
        )
    assert "/blocks/0/elements/0/text" in long_text.value.response["response_metadata"]["messages"][0]
    with pytest.raises(SlackApiError) as long_section:
        client.chat_postMessage(
            channel="CCSALERTS",
            text="t",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}],
        )
    assert _error(long_section) == "invalid_blocks"

    client.views_publish(user_id="UCSM000", view={"type": "home", "blocks": [divider] * 100})
    with pytest.raises(SlackApiError) as home:
        client.views_publish(user_id="UCSM000", view={"type": "home", "blocks": [divider] * 101})
    assert _error(home) == "invalid_blocks"


def test_views_publish_update_and_hash_conflict(slack: SlackSandbox, client: WebClient) -> None:
    first = client.views_publish(user_id="UCSM001", view={"type": "home", "blocks": []})["view"]
    again = client.views_publish(
        user_id="UCSM001", view={"type": "home", "blocks": [{"type": "divider"}]}, hash=first["hash"]
    )["view"]
    assert again["id"] == first["id"] and slack.home_view("csm001@retainer.example") == again
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=first["id"], view={"type": "home", "blocks": []}, hash=first["hash"])
    assert _error(stale) == "hash_conflict"
    with pytest.raises(SlackApiError) as no_trigger:
        client.views_open(
            trigger_id="123.456.abc",
            view={"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
        )
    assert _error(no_trigger) == "invalid_trigger_id"


def test_files_upload_v2_steps(slack: SlackSandbox, client: WebClient) -> None:
    done = client.files_upload_v2(
        channel="CCSM002",
        content="account,arr\nAcme,1000\n",
        filename="export.csv",
        initial_comment="the export",
    )
    file = done["file"]
    assert file["name"] == "export.csv" and file["size"] == len("account,arr\nAcme,1000\n")
    [message] = slack.messages("CCSM002")
    assert message["text"] == "the export" and message["files"][0]["id"] == file["id"]
    http = requests.Session()
    http.trust_env = False
    assert http.get(file["url_private"], timeout=5).text == "account,arr\nAcme,1000\n"
    assert slack.server.log.count("POST", "^/upload/v1/") == 1


def test_one_message_per_second_per_channel(tmp_path: Path) -> None:
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    slack = start_slack(state_dir=tmp_path / "rl", csm_count=3)
    try:
        info = slack.info()
        client = WebClient(token=info["bot_token"], base_url=info["base_url"])
        client.chat_postMessage(channel="CCSM000", text="one")
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="CCSM000", text="two")
        assert limited.value.response.status_code == 429 and _error(limited) == "ratelimited"
        assert limited.value.response.headers["Retry-After"] == "1"
        client.chat_postMessage(channel="CCSM001", text="another channel is not limited")

        patient = WebClient(token=info["bot_token"], base_url=info["base_url"])
        patient.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
        patient.chat_postMessage(channel="CCSM000", text="three")
        assert [m["text"] for m in slack.messages("CCSM000")] == ["one", "three"]
        assert slack.server.log.count("POST", "chat.postMessage", status=429) >= 2
    finally:
        slack.stop()


def test_state_survives_a_restart(tmp_path: Path) -> None:
    first = start_slack(state_dir=tmp_path / "s", csm_count=3, post_interval=0)
    info = first.info()
    WebClient(token=info["bot_token"], base_url=info["base_url"]).chat_postMessage(
        channel="CCSM000", text="kept"
    )
    first.stop()

    second = start_slack(state_dir=tmp_path / "s", csm_count=50)  # an existing state is not reseeded
    try:
        again = second.info()
        assert (again["bot_token"], again["signing_secret"]) == (info["bot_token"], info["signing_secret"])
        assert [m["text"] for m in second.messages("CCSM000")] == ["kept"]
        client = WebClient(token=again["bot_token"], base_url=again["base_url"])
        with pytest.raises(SlackApiError):
            client.users_info(user="UCSM010")
    finally:
        second.stop()


def test_injected_faults_answer_like_slack(slack: SlackSandbox, client: WebClient) -> None:
    from sandbox.httpbase import Fault

    slack.server.faults.add(Fault(kind="status", status=429, count=1, path="chat.postMessage"))
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="CCSM000", text="x")
    assert limited.value.response.headers["Retry-After"] == "1" and _error(limited) == "ratelimited"
    slack.server.faults.add(Fault(kind="status", status=503, count=1))
    with pytest.raises(SlackApiError) as down:
        client.auth_test()
    assert down.value.response.status_code == 503
