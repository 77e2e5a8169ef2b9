"""Snapshot tests: each builder's output as pretty-printed JSON in tests/messages/snapshots/.

Regenerate after an intended change with `UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/messages`; a
mismatch fails with a unified diff. Every snapshot also passes our limits and slack_sdk's own Block Kit
model validation (an independent check of the same limits).
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View as SdkView

from messages.limits import validate_message, validate_view
from tests.messages.render_all import builders

SNAPSHOTS = Path(__file__).parent / "snapshots"
CASES = builders()


def _pretty(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_snapshot(case: str) -> None:
    rendered = _pretty(CASES[case]())
    path = SNAPSHOTS / f"{case}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(rendered, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path.name} yet: run with UPDATE_SNAPSHOTS=1 and review it")
    expected = path.read_text(encoding="utf-8")
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                rendered.splitlines(keepends=True),
                fromfile=f"snapshots/{path.name}",
                tofile="rendered",
            )
        )
        pytest.fail(f"{case} differs from its snapshot (UPDATE_SNAPSHOTS=1 to accept):\n{diff}")


def test_every_snapshot_file_has_a_case() -> None:
    stale = sorted(p.stem for p in SNAPSHOTS.glob("*.json") if p.stem not in CASES)
    assert not stale, f"snapshots without a builder case (delete them): {stale}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_within_limits_by_our_check_and_slack_sdk(case: str) -> None:
    payload = CASES[case]()
    if payload.get("type") in ("modal", "home"):
        validate_view(payload)
        SdkView(**payload).validate_json()
    else:
        validate_message(payload)
        assert payload["text"], "fallback text is always set"
    for block in payload["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, f"slack_sdk does not know block {block.get('type')}"
        parsed.validate_json()
