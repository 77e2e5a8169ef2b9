"""How the injection and property tests decide that CRM text rendered inert."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

# Characters Slack parses in text: mentions/links (<, >), entities (&), mrkdwn formatting (* _ ~ `).
CONTROL = "<>*_~`"
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")
# The one `<!...>` the templates write: a moment as Slack's date token (`messages.env.when`)
DATE_TOKEN = re.compile(r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>")


def control_counts(payload: dict[str, Any]) -> Counter[str]:
    """Count Slack control characters in the serialized payload (entities we wrote are not counted)."""
    raw = json.dumps(payload, ensure_ascii=False)
    counts = Counter(ch for ch in raw if ch in CONTROL)
    counts["&"] = len(_BARE_AMP.findall(raw))
    return counts


def assert_inert(tainted: dict[str, Any], baseline: dict[str, Any], *, exact: bool = True) -> None:
    """`tainted` was rendered from CRM text full of control characters, `baseline` from plain text:
    every control character in the output must come from the templates, so the counts match (or, when
    truncation may have cut template text, do not exceed the baseline)."""
    raw = DATE_TOKEN.sub("", json.dumps(tainted, ensure_ascii=False))
    assert (
        "<!" not in raw
        and "<http" not in raw
        and "<@" not in raw.replace("<@U0CSM001>", "").replace("<@U0MGR001>", "")
    )
    got, want = control_counts(tainted), control_counts(baseline)
    for ch in CONTROL + "&":
        if exact:
            assert got[ch] == want[ch], f"{ch!r}: {got[ch]} in tainted output, {want[ch]} from templates"
        else:
            assert got[ch] <= want[ch], f"{ch!r}: {got[ch]} in tainted output, {want[ch]} from templates"
