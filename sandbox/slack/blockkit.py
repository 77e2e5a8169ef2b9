"""Block Kit checks the sandbox enforces the way Slack does: the hard limits answered with
``invalid_blocks`` and ``response_metadata.messages`` naming the JSON pointer (Slack's own format)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.slack.state import SlackError

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
BLOCK_TYPES = {
    "section", "header", "context", "divider", "actions", "input", "image", "rich_text", "file", "video",
}  # fmt: skip
SECTION_TEXT_MAX = 3000
HEADER_TEXT_MAX = 150
FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
BUTTON_TEXT_MAX = 75
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
ID_MAX = 255


def parse_blocks(raw: Any) -> list[dict[str, Any]] | None:
    """``blocks`` as sent: a JSON string (form-encoded) or a list (JSON body)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise SlackError("invalid_blocks_format") from exc
    if not isinstance(raw, list) or not all(isinstance(b, dict) for b in raw):
        raise SlackError("invalid_blocks_format")
    return raw


def _text_len(obj: Any) -> int:
    return len(obj.get("text", "")) if isinstance(obj, dict) else 0


def _problems(blocks: list[dict[str, Any]], surface: str) -> list[str]:
    out: list[str] = []
    limit = MAX_BLOCKS[surface]
    if len(blocks) > limit:
        out.append(f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]")
    for i, block in enumerate(blocks):
        at = f"/blocks/{i}"
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            out.append(f"[ERROR] unsupported type: {kind} [json-pointer:{at}/type]")
            continue
        if len(str(block.get("block_id", ""))) > ID_MAX:
            out.append(f"[ERROR] must be less than {ID_MAX + 1} characters [json-pointer:{at}/block_id]")
        if kind == "section":
            if "text" not in block and "fields" not in block:
                out.append(f"[ERROR] must provide text or fields [json-pointer:{at}]")
            if _text_len(block.get("text")) > SECTION_TEXT_MAX:
                out.append(
                    f"[ERROR] must be less than {SECTION_TEXT_MAX + 1} characters [json-pointer:{at}/text]"
                )
            fields = block.get("fields") or []
            if len(fields) > FIELDS_MAX:
                out.append(f"[ERROR] no more than {FIELDS_MAX} items allowed [json-pointer:{at}/fields]")
            for j, f in enumerate(fields):
                if _text_len(f) > FIELD_TEXT_MAX:
                    out.append(
                        f"[ERROR] must be less than {FIELD_TEXT_MAX + 1} characters "
                        f"[json-pointer:{at}/fields/{j}/text]"
                    )
            if isinstance(block.get("accessory"), dict):
                out.extend(_element_problems(block["accessory"], f"{at}/accessory"))
        elif kind == "header" and _text_len(block.get("text")) > HEADER_TEXT_MAX:
            out.append(f"[ERROR] must be less than {HEADER_TEXT_MAX + 1} characters [json-pointer:{at}/text]")
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements:
                out.append(f"[ERROR] must provide at least 1 item [json-pointer:{at}/elements]")
            if len(elements) > ACTIONS_ELEMENTS_MAX:
                out.append(
                    f"[ERROR] no more than {ACTIONS_ELEMENTS_MAX} items allowed [json-pointer:{at}/elements]"
                )
            for j, el in enumerate(elements):
                out.extend(_element_problems(el, f"{at}/elements/{j}"))
        elif kind == "context" and len(block.get("elements") or []) > CONTEXT_ELEMENTS_MAX:
            out.append(
                f"[ERROR] no more than {CONTEXT_ELEMENTS_MAX} items allowed [json-pointer:{at}/elements]"
            )
        elif kind == "input" and surface == "message":
            out.append(f"[ERROR] input blocks are not allowed in messages [json-pointer:{at}]")
    return out


def _element_problems(element: Any, at: str) -> list[str]:
    if not isinstance(element, dict):
        return [f"[ERROR] must be an object [json-pointer:{at}]"]
    out = []
    if element.get("type") == "button" and _text_len(element.get("text")) > BUTTON_TEXT_MAX:
        out.append(f"[ERROR] must be less than {BUTTON_TEXT_MAX + 1} characters [json-pointer:{at}/text]")
    if len(str(element.get("action_id", ""))) > ID_MAX:
        out.append(f"[ERROR] must be less than {ID_MAX + 1} characters [json-pointer:{at}/action_id]")
    return out


def validate(blocks: list[dict[str, Any]], surface: str) -> None:
    """Raise Slack's ``invalid_blocks`` error when `blocks` break a hard limit for `surface`."""
    problems = _problems(blocks, surface)
    if problems:
        raise SlackError("invalid_blocks", response_metadata={"messages": problems})


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, dict[str, Any]] | None:
    """The (block_id, element) with `action_id`: in actions elements, section accessories and inputs."""
    for block in blocks:
        candidates = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for el in candidates:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return str(block.get("block_id", "")), el
    return None
