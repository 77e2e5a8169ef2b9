"""`.env.example` documents every setting, each with a comment."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_every_setting_is_documented_with_a_comment() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    documented = {}
    for i, line in enumerate(lines):
        if line and not line.startswith("#") and "=" in line:
            documented[line.split("=", 1)[0].lower()] = lines[i - 1].startswith("#")
    assert set(documented) == set(Settings.model_fields)
    assert all(documented.values()), [k for k, v in documented.items() if not v]
