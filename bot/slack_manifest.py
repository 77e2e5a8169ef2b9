"""What the Slack app manifest (`bot/slack_manifest.yml`) must declare: the slash commands the bot
serves, the bot scopes and the events. The Bolt app registers its commands from `SLASH_COMMANDS`, and
a test keeps the manifest, this module and the registered listeners in step."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

MANIFEST_PATH: Final = Path(__file__).with_name("slack_manifest.yml")

SLASH_COMMANDS: Final = ("/portfolio", "/account", "/plays", "/sync", "/champion")
BOT_SCOPES: Final = frozenset(
    {
        "chat:write",
        "chat:write.public",
        "commands",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "channels:read",
        "groups:read",
        "im:write",
        "files:write",
    }
)
BOT_EVENTS: Final = frozenset({"app_home_opened"})


class ManifestError(ValueError):
    """The manifest file is missing, not YAML, or not a mapping."""


def load_manifest(path: Path = MANIFEST_PATH) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ManifestError(f"cannot read Slack manifest {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"Slack manifest {path} is not a mapping")
    return data
