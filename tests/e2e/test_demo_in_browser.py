"""The demo as a newcomer sees it, in Debian's chromium through Playwright: the real bot against the three
sandboxes, an alert in a CSM channel, Claim, Log outcome in the modal, and the Task/Note in the CRM panel."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.demo import Demo, demo
from tests.browser import browser_page, needs_chromium
from tests.browser import open_as as open_page_as

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page: Any, name: str) -> None:
    """Refresh the README's screenshots with UPDATE_SCREENSHOTS=1; otherwise take none."""
    if os.environ.get("UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / name))


pytestmark = needs_chromium


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    state = tmp_path_factory.mktemp("demo")
    with demo(accounts=60, seed=42, state_dir=Path(state), log=lambda _line: None) as d:
        yield d


@pytest.fixture
def page() -> Iterator[Any]:
    yield from browser_page(timeout_ms=15_000)


def open_as(page: Any, d: Demo, user: str, channel: str) -> None:
    open_page_as(page, d.ui_url, user, channel)


def test_claim_and_log_outcome_reach_the_crm(page: Any, running_demo: Demo) -> None:
    d = running_demo
    channel = next(
        c
        for c in ("CCSM000", "CCSM001")
        if any("Claim" in str(m.get("blocks")) for m in d.env.slack.messages(c))
    )
    user = "U" + channel[1:]
    open_as(page, d, user, channel)
    alert = page.locator("#messages .message").filter(has=page.get_by_role("button", name="Claim")).first
    title = alert.locator("h1, h2, h3, strong, b").first.inner_text()
    alert.get_by_role("button", name="Claim").click()
    page.get_by_text("Claimed by").first.wait_for()

    claimed = page.locator("#messages .message").filter(has_text="Claimed by").first
    claimed.get_by_role("button", name="Log outcome").click()
    modal = page.locator("#modal")
    modal.get_by_text("What was done").wait_for()
    modal.locator("[data-action-id=outcome_done]").fill("Called the champion; usage review booked")
    modal.locator("[data-action-id=outcome_result]").select_option("saved")
    modal.get_by_role("button", name="Save").click()
    page.locator("#modal-overlay").wait_for(state="hidden")
    page.get_by_text("Done – outcome").first.wait_for()

    d.container.drain()  # the outbox job, run now rather than at its next interval
    page.get_by_role("button", name="CRM activity").click()
    panel = page.locator("#crm-body")
    panel.get_by_text("Task/Note").first.wait_for()
    panel.get_by_text("sent").first.wait_for()
    assert title
    shot(page, "demo-crm-panel.png")


def test_manager_portfolio_and_csm_refused_an_admin_command(page: Any, running_demo: Demo) -> None:
    d = running_demo
    open_as(page, d, "UMANAGER", "CCSALERTS")
    page.locator("#slash-input").fill("/portfolio team")
    page.locator("#slash-input").press("Enter")
    page.get_by_text("Portfolio · team").first.wait_for()
    page.get_by_text("By health band").first.wait_for()
    shot(page, "demo-portfolio.png")

    page.locator("#user-switcher").select_option("UCSM000")
    page.locator("#slash-input").fill("/sync")
    page.locator("#slash-input").press("Enter")
    page.get_by_text("You can't").first.wait_for()
    page.get_by_text("Only visible to you").first.wait_for()
    assert page.get_by_text("Last sync runs").count() == 0


def test_app_home_and_time_travel(page: Any, running_demo: Demo) -> None:
    d = running_demo
    open_as(page, d, "UCSM000", "CCSM000")
    page.locator("#nav-home").click()
    page.get_by_text("open alert").first.wait_for()
    shot(page, "demo-app-home.png")
    before = d.env.clock.now()
    page.get_by_role("button", name="Time travel").click()
    page.get_by_text("Sandbox clock is now").wait_for()
    assert (d.env.clock.now() - before).days == 7
