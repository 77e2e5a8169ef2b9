"""What builders return: a validated message or view, ready for slack_sdk."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from messages.limits import MAX_URL, validate_message, validate_view

_FILE_ID = re.compile(r"F[A-Z0-9]{2,30}")


@dataclass(frozen=True)
class Message:
    """A chat.postMessage/update/postEphemeral payload; `text` is the notification fallback."""

    text: str
    blocks: tuple[Mapping[str, Any], ...]

    def __post_init__(self) -> None:
        validate_message(self.as_kwargs())

    def as_kwargs(self) -> dict[str, Any]:
        """`client.chat_postMessage(channel=..., **message.as_kwargs())`."""
        return {"text": self.text, "blocks": [dict(b) for b in self.blocks]}


@dataclass(frozen=True)
class View:
    """A views.open/update/publish view (modal or home)."""

    payload: Mapping[str, Any]

    def __post_init__(self) -> None:
        validate_view(self.payload)

    def as_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.payload))  # type: ignore[no-any-return]


def split_stream(values: Sequence[Mapping[str, Any]]) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Separate a rendered stream into (fallback text, modal meta, blocks)."""
    fallback = ""
    meta: dict[str, Any] = {}
    blocks: list[dict[str, Any]] = []
    for value in values:
        if "fallback" in value:
            fallback = str(value["fallback"])
        elif "modal" in value:
            meta = dict(value["modal"])
        else:
            blocks.append(dict(value))
    return fallback, meta, blocks


def file_id_literal(file_id: str | None) -> Markup | None:
    """A JSON string literal for a Slack file id (``F`` and capitals or digits), or None otherwise."""
    if not file_id or not _FILE_ID.fullmatch(file_id):
        return None
    return Markup(json.dumps(file_id))  # noqa: S704 - validated above; a JSON literal, never mrkdwn


def url_literal(url: str | None) -> Markup | None:
    """A JSON string literal for a link button's `url`, or None when the URL is not a plain http(s) link.

    URLs are validated instead of escaped (escaping would corrupt them): http/https only, a host, no
    whitespace or control characters, at most 3,000 characters.
    """
    if not url or len(url) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return Markup(json.dumps(url))  # noqa: S704 - validated above; a JSON literal, never mrkdwn
