"""The one escape for CRM-derived text, and truncation that never splits what the escape produced.

Slack reads three characters as control sequences in every text field: `&`, `<` and `>`. Escaping them
as `&amp;`, `&lt;` and `&gt;` makes `<!channel>`, `<@U123>` and `<https://evil|click>` inert: Slack shows
the characters and never parses a mention or a link.

mrkdwn has no escape for its formatting characters (`*bold*`, `_italic_`, `~strike~`, `` `code` ``).
We replace each with a look-alike that Slack's parser does not know: `*` -> `∗` (U+2217), `_` -> `ˍ`
(U+02CD), `~` -> `∼` (U+223C), `` ` `` -> `ˋ` (U+02CB). A replacement is guaranteed inert, unlike
zero-width characters whose effect on Slack's word-boundary rules is undocumented (a zero-width space
is known to *enable* formatting inside words). The cost is that a copied value carries the look-alike
characters; for names, reasons and notes shown to people that is the right trade.

The same escape is applied to every CRM-derived value whatever text object it lands in (plain_text
or mrkdwn), so there is one rule to check: no CRM character reaches Slack unescaped.
"""

from __future__ import annotations

from typing import Final

ELLIPSIS: Final = "…"

_REPLACEMENTS: Final[dict[str, str]] = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "*": "\u2217",
    "_": "\u02cd",
    "~": "\u223c",
    "`": "\u02cb",
}
_TABLE: Final = str.maketrans(_REPLACEMENTS)

# Characters that Slack's mrkdwn treats as markup; tests assert none reach Slack from CRM text.
MRKDWN_CONTROL: Final = frozenset(_REPLACEMENTS)


def escape_text(value: str) -> str:
    """Escape one CRM-derived string for any Slack text field (see the module docstring)."""
    return value.translate(_TABLE)


def truncate(text: str, limit: int) -> str:
    """Cut already-escaped `text` to at most `limit` characters, ending with "…" when cut.

    Never cuts inside an entity (`&amp;`, `&lt;`, `&gt;`) or inside a `<...>` token we wrote (a mention,
    a date): a cut one would show as raw text. Python strings are code points, so nothing else needs care.
    """
    if limit < 1:
        raise ValueError(f"truncate limit must be at least 1, got {limit}")
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    amp = text.rfind("&", max(0, cut - 4), cut)
    if amp != -1 and text.find(";", amp, cut) == -1:
        cut = amp  # the entity starting at `amp` would be split: drop it whole
    opening = text.rfind("<", 0, cut)
    if opening != -1 and text.find(">", opening, cut) == -1:
        cut = opening  # a mention or date token of ours (CRM text has no bare "<") would be split
    return text[:cut].rstrip() + ELLIPSIS


def escape_truncate(value: str, limit: int) -> str:
    """Escape then truncate: the limit applies to what Slack receives."""
    return truncate(escape_text(value), limit)
