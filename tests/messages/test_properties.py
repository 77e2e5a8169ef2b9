"""Property: whatever a CRM holds, every builder yields valid JSON within Slack's limits, and the CRM
text cannot add a single Slack control character to it."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.messages.inertness import assert_inert
from tests.messages.render_all import builders

BASELINE = {case: build() for case, build in builders("Northwind Traders").items()}
slack_ish = st.text(alphabet=st.sampled_from("<>&*_~`|!@#:\"'\\\n\t {}[],. aZ9é😀"), max_size=80)


def _check(crm_text: str, *, exact: bool) -> None:
    for case, build in builders(crm_text).items():
        payload = build()  # Message/View validate Slack's limits when constructed
        assert json.loads(json.dumps(payload)) == payload
        assert_inert(payload, BASELINE[case], exact=exact)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | slack_ish)
def test_any_short_crm_text_is_inert_and_within_limits(crm_text: str) -> None:
    _check(crm_text, exact=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("<&*x _\n"), min_size=2_000, max_size=6_000))
def test_long_crm_text_is_truncated_never_rejected(crm_text: str) -> None:
    _check(crm_text, exact=False)
