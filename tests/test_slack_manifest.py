"""The Slack app manifest parses, declares every command the bot serves, and the scopes and events
it needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.slack_manifest import BOT_EVENTS, BOT_SCOPES, SLASH_COMMANDS, ManifestError, load_manifest

BOT_DIR = Path(__file__).resolve().parent.parent / "bot"
_REGISTERED = re.compile(r"""\.command\(\s*["'](/[a-z_-]+)["']""")


def _registered_commands() -> set[str]:
    """Slash commands registered with Bolt anywhere in bot/ (`app.command("/x")`)."""
    return {
        m for path in BOT_DIR.rglob("*.py") for m in _REGISTERED.findall(path.read_text(encoding="utf-8"))
    }


def test_manifest_declares_every_command_the_bot_serves() -> None:
    manifest = load_manifest()
    declared = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(declared) == sorted(SLASH_COMMANDS)
    assert len(declared) == len(set(declared))
    assert _registered_commands() <= set(declared), "a listener serves a command the manifest lacks"
    for command in manifest["features"]["slash_commands"]:
        assert re.fullmatch(r"/[a-z][a-z0-9_-]{0,31}", command["command"])
        assert 0 < len(command["description"]) <= 100
        assert command["url"].startswith("https://")


def test_manifest_scopes_events_and_interactivity() -> None:
    manifest = load_manifest()
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == BOT_EVENTS
    assert settings["interactivity"]["is_enabled"] is True
    assert isinstance(settings["socket_mode_enabled"], bool)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert len(manifest["display_information"]["name"]) <= 35


def test_a_broken_manifest_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.yml"
    bad.write_text("features: [unclosed", encoding="utf-8")
    with pytest.raises(ManifestError, match="cannot read Slack manifest"):
        load_manifest(bad)
    bad.write_text("- just a list", encoding="utf-8")
    with pytest.raises(ManifestError, match="not a mapping"):
        load_manifest(bad)
