"""Debian's chromium through Playwright, shared by the browser tests (never a downloaded browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

needs_chromium = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed (/usr/bin/chromium)"
    ),
]


def browser_page(timeout_ms: int = 10_000) -> Iterator[Any]:
    """A page in a fresh headless chromium; page errors and dialogs fail the test at teardown."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(timeout_ms)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
        yield page
        browser.close()
        assert errors == [], errors


def open_as(page: Any, ui_url: str, user: str, channel: str) -> None:
    """Open the sandbox's page acting as `user`, showing `channel`."""
    page.goto(ui_url)
    page.evaluate(
        "([u, c]) => { localStorage.setItem('retainer.user', u);"
        " localStorage.setItem('retainer.channel', c); }",
        [user, channel],
    )
    page.reload()
