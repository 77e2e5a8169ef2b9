"""The Jinja2 environment that renders Block Kit JSON, and the rule that keeps it safe.

Templates emit a stream of JSON values (one per block, whitespace between, no commas to get wrong);
`render_stream` parses them back. Two mechanisms make CRM text harmless:

* Escape by default. `finalize` sends every `{{ value }}` through `messages.escape.escape_text` unless
  the value is `Markup` (output of our own macros and helpers such as `mention`). Template literal
  text is trusted; anything interpolated is not. There is no way to print a CRM value unescaped.
* JSON by construction. A value reaches the JSON only through a filter that encodes it: `text(limit)`
  (escaped, truncated to `limit` with "…", then `json.dumps`-ed), `tojson` (numbers, booleans; strings
  escaped) or `ident` (identifiers we generated, validated instead of escaped). Quotes, backslashes and
  newlines in CRM text can never break the document.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from messages.actions import ActionDecodeError, check_user_id
from messages.escape import escape_text, truncate
from messages.money import money


class TemplateOutputError(RuntimeError):
    """A template rendered something that is not a stream of JSON objects (a template bug)."""


def _escaped(value: object) -> str:
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    return escape_text(str(value))


def _finalize(value: object) -> Markup:
    return Markup(_escaped(value))  # noqa: S704 - the value is escaped for Slack just above


def _json_safe(value: object) -> object:
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return escape_text(str(value))


def tojson(value: object) -> Markup:
    """JSON literal of `value`, its strings escaped for Slack (Markup ones are already escaped)."""
    return Markup(json.dumps(_json_safe(value), ensure_ascii=False))  # noqa: S704


def text(value: object, limit: int) -> Markup:
    """JSON string literal of escaped `value`, truncated to `limit` characters with "…".

    Slack rejects empty text, so text that is empty or blank (a CRM name of spaces) becomes "–".
    """
    body = truncate(_escaped(value).strip(), limit) or "\u2013"
    return Markup(json.dumps(body, ensure_ascii=False))  # noqa: S704 - escaped by _escaped


_IDENT = re.compile(r"[A-Za-z0-9_.:|\-]{1,255}")


def clip(value: object, limit: int) -> Markup:
    """Escaped `value` cut to `limit` characters with "…", for one item among several in a text."""
    return Markup(truncate(_escaped(value), limit))  # noqa: S704 - escaped by _escaped


def ident(value: object) -> Markup:
    """JSON literal of an identifier we generated (action_id, block_id, option value, style).

    Identifiers are validated, not escaped: escaping would change them and break the round trip.
    """
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        raise ValueError(f"not a valid Slack identifier: {value!r}")
    return Markup(json.dumps(value))  # noqa: S704 - validated against a strict character class


def mention(user_id: object) -> Markup | str:
    """`<@U123>` for a valid Slack user id; anything else is shown as (escaped) text."""
    if isinstance(user_id, str):
        try:
            return Markup(f"<@{check_user_id(user_id)}>")  # noqa: S704 - id checked against [UW][A-Z0-9]+
        except ActionDecodeError:
            pass
    return "someone" if user_id is None else str(user_id)


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 account`, `3 accounts` (`words` for an irregular plural)."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def signed(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    rounded = round(value)
    return f"+{rounded}" if rounded > 0 else f"\u2212{-rounded}" if rounded < 0 else "0"


def when(value: date | datetime | None) -> str:
    """A calendar date as `2026-11-24`; a moment as Slack's date token, which each reader sees in their own
    time zone ("Tomorrow at 9:00 AM"), falling back to `2026-11-24 09:00 UTC` where Slack cannot format
    it. Only for mrkdwn text: plain_text would show the token as it is."""
    if value is None:
        return "n/a"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give times in UTC")
        moment = value.astimezone(UTC)
        fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
        return Markup(f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>")  # noqa: S704 - digits and our own format only
    return value.isoformat()


_SPARKS = "▁▂▃▄▅▆▇█"


def spark(scores: Sequence[int]) -> str:
    """A sparkline of 0–100 scores: `▃▄▄▂▁`."""
    return "".join(_SPARKS[min(7, max(0, int(s) * 8 // 101))] for s in scores)


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def humanize(value: object) -> str:
    return str(value).replace("_", " ")


_UNSAFE_FILTERS = ("safe", "e", "escape", "forceescape", "urlize", "xmlattr")


@cache
def environment() -> Environment:
    """The shared, immutable environment (templates compile once per process)."""
    env = Environment(
        loader=PackageLoader("messages", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name in _UNSAFE_FILTERS:  # each returns Markup, which would skip the Slack escape
        del env.filters[name]
    env.filters.update(text=text, clip=clip, tojson=tojson, ident=ident)
    env.filters.update(money=money, signed=signed, when=when, humanize=humanize, spark=spark, percent=percent)
    env.filters.update(plural=plural)
    env.globals.update(mention=mention)
    return env


_SAFE_NAME = re.compile(r"[a-z0-9_]{1,64}")


def template_names(kind: str, name: str, variant: str | None = None) -> list[str]:
    """Candidates for `kind/name[.variant].j2`, most specific first, then `kind/generic.j2`."""
    if not _SAFE_NAME.fullmatch(name) or (variant is not None and not _SAFE_NAME.fullmatch(variant)):
        raise ValueError(f"template names are [a-z0-9_]: {name!r} {variant!r}")
    names = [f"{kind}/{name}.{variant}.j2"] if variant else []
    return [*names, f"{kind}/{name}.j2", f"{kind}/generic.j2"]


def render_stream(names: str | Sequence[str], context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Render the first existing template of `names` and parse its stream of JSON objects."""
    env = environment()
    template = env.select_template(names if not isinstance(names, str) else [names])
    output = template.render(context)
    decoder = json.JSONDecoder()
    values: list[dict[str, Any]] = []
    pos = 0
    while True:
        while pos < len(output) and output[pos].isspace():
            pos += 1
        if pos == len(output):
            return values
        try:
            value, pos = decoder.raw_decode(output, pos)
        except json.JSONDecodeError as exc:
            snippet = output[max(0, exc.pos - 80) : exc.pos + 80]
            raise TemplateOutputError(f"{template.name}: invalid JSON ({exc.msg}) near {snippet!r}") from None
        if not isinstance(value, dict):
            raise TemplateOutputError(f"{template.name}: expected JSON objects, got {type(value).__name__}")
        values.append(value)
