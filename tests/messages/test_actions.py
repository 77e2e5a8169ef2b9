"""action_id / block_id / callback_id / private_metadata: encode and decode are exact inverses, and
decode rejects anything it did not produce."""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messages.actions import (
    ActionDecodeError,
    AlertAction,
    AlertBlock,
    AlertVerb,
    ModalContext,
    ModalKind,
    ModalRef,
    SnoozeChoice,
    decode_snooze_choice,
)
from messages.limits import MAX_ID, MAX_PRIVATE_METADATA

uuids = st.uuids().map(str)


@given(verb=st.sampled_from(AlertVerb), alert_id=uuids)
def test_alert_action_round_trip(verb: AlertVerb, alert_id: str) -> None:
    encoded = AlertAction(verb, alert_id).encode()
    assert len(encoded) <= MAX_ID
    assert AlertAction.decode(encoded) == AlertAction(verb, alert_id)
    assert AlertAction.pattern(verb).match(encoded)
    others = [v for v in AlertVerb if v is not verb]
    assert not any(AlertAction.pattern(v).match(encoded) for v in others)


@given(alert_id=uuids, part=st.from_regex(r"[a-z_]{1,32}", fullmatch=True))
def test_alert_block_round_trip(alert_id: str, part: str) -> None:
    assert AlertBlock.decode(AlertBlock(alert_id, part).encode()) == AlertBlock(alert_id, part)


@pytest.mark.parametrize("kind", list(ModalKind))
def test_modal_ref_round_trip(kind: ModalKind) -> None:
    assert ModalRef.decode(ModalRef(kind).encode()) == ModalRef(kind)


@given(
    alert_id=st.none() | uuids,
    account_id=st.none() | uuids,
    where=st.none()
    | st.tuples(
        st.from_regex(r"C[A-Z0-9]{8,11}", fullmatch=True), st.from_regex(r"\d{10}\.\d{6}", fullmatch=True)
    ),
)
def test_modal_context_round_trip(
    alert_id: str | None, account_id: str | None, where: tuple[str, str] | None
) -> None:
    channel, ts = where or (None, None)
    context = ModalContext(alert_id, account_id, channel, ts)
    encoded = context.encode()
    assert len(encoded) <= MAX_PRIVATE_METADATA
    assert ModalContext.decode(encoded) == context


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "alert.claim:",
        "alert.claim:not-a-uuid",
        "alert.explode:" + str(uuid.uuid4()),
        "alert.claim:" + str(uuid.uuid4()).upper(),
        "alert.claim:" + str(uuid.uuid4()) + ":extra",
        '{"verb": "claim"}',
        "crm_link:" + str(uuid.uuid4()),
    ],
)
def test_alert_action_decode_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ActionDecodeError, match="alert action"):
        AlertAction.decode(garbage)


def test_modal_context_carries_the_users_time_zone() -> None:
    context = ModalContext(str(uuid.uuid4()), tz="America/Los_Angeles")
    assert ModalContext.decode(context.encode()) == context


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("", "unknown private_metadata format"),
        ('{"alert": "x"}', "unknown private_metadata format"),
        ("v1;alert=nope", "alert id is not a UUID"),
        ("v1;color=red", "bad private_metadata entry"),
        ("v1;alert", "bad private_metadata entry"),
        (f"v1;alert={uuid.uuid4()};alert={uuid.uuid4()}", "bad private_metadata entry"),
        ("v1;channel=C123", "channel and ts go together"),
        ("v1;channel=C123;ts=now", "not a Slack message ts"),
        ("v1;channel=#general;ts=1.2", "not a Slack channel id"),
        ("v1;tz=Mars/Olympus", "unknown time zone"),
        ("v1;tz=../../etc/passwd", "not a time zone"),
    ],
)
def test_modal_context_decode_rejects_garbage(metadata: str, message: str) -> None:
    with pytest.raises(ActionDecodeError, match=re.escape(message)):
        ModalContext.decode(metadata)


@pytest.mark.parametrize("garbage", ["", "modal.", "modal.delete_everything", "view.log_outcome", None])
def test_modal_ref_decode_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ActionDecodeError):
        ModalRef.decode(garbage)


def test_snooze_choices() -> None:
    assert [decode_snooze_choice(c.value) for c in SnoozeChoice] == list(SnoozeChoice)
    with pytest.raises(ActionDecodeError, match="unknown snooze choice"):
        decode_snooze_choice("forever")


def test_constructing_with_a_bad_id_fails_early() -> None:
    with pytest.raises(ActionDecodeError):
        AlertAction(AlertVerb.CLAIM, "42")


def _action_ids(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["action_id"]] if "action_id" in node else []
        return found + [a for v in node.values() for a in _action_ids(v)]
    if isinstance(node, list):
        return [a for v in node for a in _action_ids(v)]
    return []


def test_every_action_id_in_every_builder_routes_to_a_decoder() -> None:
    from messages.actions import CRM_LINK_PATTERN, SurfaceAction
    from messages.submissions import CHAMPION_IDS, FALSE_POSITIVE_IDS, OUTCOME_IDS, REASSIGN_IDS, SNOOZE_IDS
    from tests.messages.render_all import builders

    modal_inputs = {
        v
        for ids in (CHAMPION_IDS, FALSE_POSITIVE_IDS, OUTCOME_IDS, REASSIGN_IDS, SNOOZE_IDS)
        for v in ids.values()
    }
    surfaces = {a.value for a in SurfaceAction}
    seen = 0
    for build in builders().values():
        for action_id in _action_ids(build()):
            seen += 1
            if action_id in modal_inputs or action_id in surfaces or CRM_LINK_PATTERN.match(action_id):
                continue
            AlertAction.decode(action_id)  # raises for anything unroutable
    assert seen > 50
