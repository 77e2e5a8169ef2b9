"""The Slack-like web page in Chromium (Playwright): it shows a message posted through WebClient, a click
reaches the tiny Bolt app as a signed request, and the bot's update, modal and replies show up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from sandbox.slack import SlackSandbox
from tests.browser import browser_page, needs_chromium, open_as
from tests.slack_sandbox.tiny_bolt import ALERT_BLOCKS, TinyBot

pytestmark = needs_chromium


@pytest.fixture
def page() -> Iterator[Any]:
    yield from browser_page()


def _open(page: Any, slack: SlackSandbox, user: str, channel: str) -> None:
    open_as(page, slack.info()["ui_url"], user, channel)


def test_page_shows_the_message_sends_a_signed_click_and_shows_the_update(
    page: Any, slack: SlackSandbox, client: WebClient, bot: TinyBot
) -> None:
    evil = "<script>window.pwned=1</script> <!channel> *bold* <https://evil|click>"
    blocks = [*ALERT_BLOCKS, {"type": "section", "text": {"type": "plain_text", "text": evil}}]
    client.chat_postMessage(channel="CCSM001", text="Acme at risk", blocks=blocks)
    _open(page, slack, "UCSM001", "CCSM001")

    page.get_by_text("Usage decline: Acme").wait_for()
    page.get_by_text(evil).wait_for()  # CRM text shows literally, as text
    assert page.evaluate("window.pwned") is None and page.locator("script:not([src])").count() == 0

    page.get_by_role("button", name="Claim").click()
    page.get_by_text("Claimed by @csm001").wait_for()
    assert slack.deliveries()[-1].status == 200 and bot.clicks[0]["user"]["id"] == "UCSM001"

    client.chat_postMessage(channel="CCSM001", text="Beta at risk", blocks=ALERT_BLOCKS)
    page.get_by_role("button", name="Log outcome").click()
    modal = page.locator("#modal")
    modal.get_by_text("What was done").wait_for()
    modal.locator("[data-action-id=what]").fill("nothing")
    modal.locator("[data-action-id=result]").select_option("saved")
    modal.get_by_role("button", name="Save").click()
    modal.get_by_text("Say what was done").wait_for()  # the bot's response_action=errors
    modal.locator("[data-action-id=what]").fill("Called the champion")
    modal.locator("[data-action-id=result]").select_option("saved")
    modal.locator("[data-action-id=date]").fill("2026-12-01")
    modal.get_by_role("button", name="Save").click()
    page.get_by_text("Outcome logged by @csm001").wait_for()
    assert page.locator("#modal-overlay").is_hidden()
    assert bot.submissions[0]["next"]["date"]["selected_date"] == "2026-12-01"


def test_slash_command_box_app_home_user_switcher_and_time_travel(
    page: Any, slack: SlackSandbox, bot: TinyBot
) -> None:
    slack.set_crm_activity(
        lambda: {"salesforce": [{"Subject": "<b>Call</b>", "WhatId": "001"}], "hubspot": []}
    )
    _open(page, slack, "UMANAGER", "CCSALERTS")
    page.locator("#slash-input").fill("/portfolio at-risk")
    page.locator("#slash-input").press("Enter")
    page.get_by_text("Portfolio for @manager: at-risk").wait_for()
    page.get_by_text("Only visible to you").wait_for()

    page.locator("#user-switcher").select_option("UCSM000")
    page.locator("#messages").get_by_text("Portfolio summary posted").wait_for()  # the in_channel reply
    assert page.get_by_text("Portfolio for @manager").count() == 0  # someone else's ephemeral message

    page.locator("#nav-home").click()
    page.get_by_text("Hello @csm000").wait_for()

    page.get_by_role("button", name="CRM activity").click()
    page.locator("#crm-body").get_by_text("<b>Call</b>").wait_for()

    before = slack.server.clock.now()
    page.get_by_role("button", name="Time travel").click()
    page.get_by_text("Sandbox clock is now").wait_for()
    assert (slack.server.clock.now() - before).days == 7
