"""A CRM account named `<!channel> *bold* <https://evil|click>` renders inert in every builder."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from messages.alerts import alert_message
from messages.env import template_names
from messages.escape import escape_text
from tests.messages import samples
from tests.messages.inertness import assert_inert
from tests.messages.render_all import builders

INJECTED = builders(samples.INJECTION)
BASELINE = builders("Northwind Traders")
NO_CRM_TEXT = {"home_new_install", "portfolio_empty", "plays_report_empty", "sync_status_empty"}


@pytest.mark.parametrize("case", sorted(INJECTED))
def test_injection_is_inert(case: str) -> None:
    tainted = INJECTED[case]()
    assert_inert(tainted, BASELINE[case]())
    raw = json.dumps(tainted, ensure_ascii=False)
    shown = "&lt;!channel&gt; ∗bold∗ &lt;https://evil|click&gt;" in raw
    assert shown is (case not in NO_CRM_TEXT), "the CRM text is shown, escaped"


def test_quotes_backslashes_and_newlines_cannot_break_the_json() -> None:
    name = 'Acme "Corp"\\n\n}, {"type": "divider"} \u2028 </script>'
    payload = alert_message(samples.tainted_alert("ticket_spike", name)).as_kwargs()
    header = payload["blocks"][0]["text"]["text"]
    assert header.endswith(escape_text(name).strip())
    assert [b["type"] for b in payload["blocks"]].count("divider") == 0


def test_an_owner_id_that_is_not_a_user_id_is_shown_as_text() -> None:
    payload = alert_message(samples.alert("milestone", owner_slack_id="<!here>")).as_kwargs()
    raw = json.dumps(payload)
    assert "<!here>" not in raw and "&lt;!here&gt;" in raw


def test_a_crm_link_that_is_not_http_is_dropped() -> None:
    evil = samples.alert("milestone")
    for url in ("javascript:alert(1)", "https://ok.example/a b", "ftp://x.example/", "https://"):
        payload = alert_message(replace(evil, account=samples.account(crm_url=url))).as_kwargs()
        assert "url" not in json.dumps(payload), url


def test_template_names_cannot_leave_the_template_folder() -> None:
    with pytest.raises(ValueError, match="template names"):
        alert_message(samples.alert("../misc/refusal"))
    with pytest.raises(ValueError, match="template names"):
        template_names("alerts", "x", "../y")


@pytest.mark.parametrize("bypass", ["safe", "e", "escape", "forceescape", "urlize", "xmlattr"])
def test_templates_cannot_mark_crm_text_safe(bypass: str) -> None:
    from jinja2 import TemplateAssertionError

    from messages.env import environment

    with pytest.raises(TemplateAssertionError, match=f"No filter named '{bypass}'"):
        environment().from_string(f"{{{{ name|{bypass} }}}}")


def test_interpolation_escapes_by_default() -> None:
    from messages.env import environment

    assert environment().from_string("*{{ name }}*").render(name=samples.INJECTION) == (
        "*&lt;!channel&gt; ∗bold∗ &lt;https://evil|click&gt;*"
    )
