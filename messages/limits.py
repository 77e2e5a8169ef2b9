"""Validation of rendered Block Kit against Slack's documented limits, before anything is sent.

Builders truncate CRM text so valid input always fits; this module is the last check, and a violation
is a bug in a builder or template. `SlackLimitError` lists every violation with its JSON path, e.g.
`blocks[3].fields[1].text: 2017 characters, limit 2000`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

MAX_MESSAGE_BLOCKS: Final = 50
MAX_VIEW_BLOCKS: Final = 100  # modals and App Home
MAX_MESSAGE_TEXT: Final = 40_000
MAX_SECTION_TEXT: Final = 3_000
MAX_FIELDS: Final = 10
MAX_FIELD_TEXT: Final = 2_000
MAX_HEADER_TEXT: Final = 150
MAX_BUTTON_TEXT: Final = 75
MAX_OPTION_TEXT: Final = 75
MAX_OPTION_VALUE: Final = 150
MAX_ID: Final = 255  # action_id, block_id, callback_id, external_id
MAX_PRIVATE_METADATA: Final = 3_000
MAX_VIEW_TITLE: Final = 24
MAX_PLACEHOLDER: Final = 150
MAX_CONTEXT_ELEMENTS: Final = 10
MAX_ACTIONS_ELEMENTS: Final = 25
MAX_OVERFLOW_OPTIONS: Final = 5
MAX_SELECT_OPTIONS: Final = 100
MAX_URL: Final = 3_000
MAX_BUTTON_VALUE: Final = 2_000
MAX_INPUT_LABEL: Final = 2_000

Surface = Literal["message", "modal", "home"]


class SlackLimitError(ValueError):
    """Rendered Block Kit breaks one or more of Slack's limits; `violations` lists each one."""

    def __init__(self, surface: str, violations: Sequence[str]) -> None:
        self.violations = tuple(violations)
        shown = "; ".join(self.violations[:10])
        more = f" (+{len(self.violations) - 10} more)" if len(self.violations) > 10 else ""
        super().__init__(f"{surface} breaks Slack limits: {shown}{more}")


class _Checker:
    def __init__(self) -> None:
        self.violations: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.violations.append(f"{path}: {problem}")

    def length(self, path: str, value: object, limit: int, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.fail(path, "missing")
            return
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {type(value).__name__}")
        elif required and not value:
            self.fail(path, "empty")
        elif len(value) > limit:
            self.fail(path, f"{len(value)} characters, limit {limit}")

    def count(self, path: str, items: object, limit: int, *, minimum: int = 0) -> list[Any]:
        if items is None:
            items = []
        if not isinstance(items, list):
            self.fail(path, f"expected a list, got {type(items).__name__}")
            return []
        if len(items) > limit:
            self.fail(path, f"{len(items)} items, limit {limit}")
        if len(items) < minimum:
            self.fail(path, f"{len(items)} items, at least {minimum} required")
        return items

    def text_object(self, path: str, obj: object, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, Mapping):
            self.fail(path, "missing text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
            self.fail(f"{path}.type", f"{kind!r} not allowed here")
        self.length(f"{path}.text", obj.get("text"), limit, required=True)

    def option(self, path: str, opt: object) -> None:
        if not isinstance(opt, Mapping):
            self.fail(path, "expected an option object")
            return
        self.text_object(f"{path}.text", opt.get("text"), MAX_OPTION_TEXT)
        self.length(f"{path}.value", opt.get("value"), MAX_OPTION_VALUE, required=True)
        if "description" in opt:
            self.text_object(f"{path}.description", opt["description"], MAX_OPTION_TEXT)

    def image_source(self, path: str, block: Mapping[str, Any]) -> None:
        """An image block shows a public `image_url` or an uploaded `slack_file` (by id or url): one."""
        if ("image_url" in block) == ("slack_file" in block):
            self.fail(path, "an image needs exactly one of image_url and slack_file")
        elif "image_url" in block:
            self.length(f"{path}.image_url", block.get("image_url"), MAX_URL, required=True)
        else:
            source = block["slack_file"]
            if not isinstance(source, Mapping) or not (source.get("id") or source.get("url")):
                self.fail(f"{path}.slack_file", "needs an id or a url")

    def element(self, path: str, el: object) -> None:
        if not isinstance(el, Mapping):
            self.fail(path, "expected an element object")
            return
        kind = el.get("type")
        if kind != "image":
            self.length(f"{path}.action_id", el.get("action_id"), MAX_ID)
        if "placeholder" in el:
            self.text_object(f"{path}.placeholder", el["placeholder"], MAX_PLACEHOLDER, plain_only=True)
        if kind == "button":
            self.text_object(f"{path}.text", el.get("text"), MAX_BUTTON_TEXT, plain_only=True)
            self.length(f"{path}.url", el.get("url"), MAX_URL)
            self.length(f"{path}.value", el.get("value"), MAX_BUTTON_VALUE)
        elif kind == "overflow":
            opts = self.count(f"{path}.options", el.get("options"), MAX_OVERFLOW_OPTIONS, minimum=1)
            for i, opt in enumerate(opts):
                self.option(f"{path}.options[{i}]", opt)
        elif kind in ("static_select", "radio_buttons", "checkboxes"):
            opts = self.count(f"{path}.options", el.get("options"), MAX_SELECT_OPTIONS, minimum=1)
            for i, opt in enumerate(opts):
                self.option(f"{path}.options[{i}]", opt)
            if "initial_option" in el:
                self.option(f"{path}.initial_option", el["initial_option"])
        elif kind == "plain_text_input":
            self.length(f"{path}.initial_value", el.get("initial_value"), MAX_SECTION_TEXT)
        elif kind == "image":
            self.length(f"{path}.image_url", el.get("image_url"), MAX_URL, required=True)
            self.length(f"{path}.alt_text", el.get("alt_text"), MAX_FIELD_TEXT, required=True)

    def block(self, path: str, block: object) -> None:
        if not isinstance(block, Mapping):
            self.fail(path, "expected a block object")
            return
        self.length(f"{path}.block_id", block.get("block_id"), MAX_ID)
        kind = block.get("type")
        if kind == "header":
            self.text_object(f"{path}.text", block.get("text"), MAX_HEADER_TEXT, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail(path, "a section needs text or fields")
            if "text" in block:
                self.text_object(f"{path}.text", block["text"], MAX_SECTION_TEXT)
            fields = self.count(f"{path}.fields", block.get("fields"), MAX_FIELDS)
            for i, field in enumerate(fields):
                self.text_object(f"{path}.fields[{i}]", field, MAX_FIELD_TEXT)
            if "accessory" in block:
                self.element(f"{path}.accessory", block["accessory"])
        elif kind == "context":
            items = self.count(f"{path}.elements", block.get("elements"), MAX_CONTEXT_ELEMENTS, minimum=1)
            for i, item in enumerate(items):
                if isinstance(item, Mapping) and item.get("type") == "image":
                    self.element(f"{path}.elements[{i}]", item)
                else:
                    self.text_object(f"{path}.elements[{i}]", item, MAX_SECTION_TEXT)
        elif kind == "actions":
            items = self.count(f"{path}.elements", block.get("elements"), MAX_ACTIONS_ELEMENTS, minimum=1)
            for i, item in enumerate(items):
                self.element(f"{path}.elements[{i}]", item)
        elif kind == "input":
            self.text_object(f"{path}.label", block.get("label"), MAX_INPUT_LABEL, plain_only=True)
            if "hint" in block:
                self.text_object(f"{path}.hint", block["hint"], MAX_INPUT_LABEL, plain_only=True)
            self.element(f"{path}.element", block.get("element"))
        elif kind == "image":
            self.image_source(path, block)
            self.length(f"{path}.alt_text", block.get("alt_text"), MAX_FIELD_TEXT, required=True)
            if "title" in block:
                self.text_object(f"{path}.title", block["title"], MAX_FIELD_TEXT, plain_only=True)
        elif kind != "divider":
            self.fail(f"{path}.type", f"unsupported block type {kind!r}")

    def blocks(self, blocks: object, limit: int) -> None:
        items = self.count("blocks", blocks, limit)
        for i, block in enumerate(items):
            self.block(f"blocks[{i}]", block)


def validate_message(message: Mapping[str, Any]) -> None:
    """Check a chat.postMessage/update/postEphemeral payload (`text` + `blocks`)."""
    checker = _Checker()
    checker.length("text", message.get("text"), MAX_MESSAGE_TEXT, required=True)
    checker.blocks(message.get("blocks"), MAX_MESSAGE_BLOCKS)
    if checker.violations:
        raise SlackLimitError("message", checker.violations)


def validate_view(view: Mapping[str, Any]) -> None:
    """Check a views.open/update/publish view (modal or App Home)."""
    checker = _Checker()
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("type", f"expected 'modal' or 'home', got {kind!r}")
    checker.blocks(view.get("blocks"), MAX_VIEW_BLOCKS)
    checker.length("callback_id", view.get("callback_id"), MAX_ID)
    checker.length("external_id", view.get("external_id"), MAX_ID)
    checker.length("private_metadata", view.get("private_metadata"), MAX_PRIVATE_METADATA)
    if kind == "modal":
        checker.text_object("title", view.get("title"), MAX_VIEW_TITLE, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text_object(key, view[key], MAX_VIEW_TITLE, plain_only=True)
        has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in view.get("blocks", []))
        if has_input and "submit" not in view:
            checker.fail("submit", "a modal with input blocks needs a submit button")
    if checker.violations:
        raise SlackLimitError(str(kind), checker.violations)
