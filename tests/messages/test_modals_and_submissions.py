"""Modals carry their identity and context; submissions parse into dataclasses or name what is wrong."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from messages.actions import ModalContext, ModalKind, ModalRef
from messages.modals import champion_change_modal
from messages.models import Contact
from messages.submissions import (
    CHAMPION_IDS,
    OUTCOME_IDS,
    REASSIGN_IDS,
    SNOOZE_IDS,
    ChampionChangeSubmission,
    FalsePositiveSubmission,
    OutcomeSubmission,
    ReassignSubmission,
    SnoozeSubmission,
    SubmissionError,
)
from tests.messages import samples
from tests.messages.render_all import CTX, builders

KINDS = {
    "modal_log_outcome": ModalKind.LOG_OUTCOME,
    "modal_snooze": ModalKind.SNOOZE_UNTIL,
    "modal_false_positive": ModalKind.FALSE_POSITIVE,
    "modal_reassign": ModalKind.REASSIGN,
    "modal_champion_change": ModalKind.CHAMPION_CHANGE,
}


@pytest.mark.parametrize("case", sorted(KINDS))
def test_modal_identity_round_trips(case: str) -> None:
    view = builders()[case]()
    assert ModalRef.decode(view["callback_id"]) == ModalRef(KINDS[case])
    assert ModalContext.decode(view["private_metadata"]) == CTX
    for block in view["blocks"]:
        if block["type"] == "input":
            assert block["element"]["action_id"] == block["block_id"], "one input per block, same id"


def _text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _select(value: str | None) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value} if value else None}


def _state(**blocks: dict[str, Any]) -> dict[str, Any]:
    return {block_id: {block_id: element} for block_id, element in blocks.items()}


def test_outcome_submission() -> None:
    state = _state(
        **{
            OUTCOME_IDS["what_was_done"]: _text("  Called the VP; agreed a training plan  "),
            OUTCOME_IDS["result"]: _select("saved"),
            OUTCOME_IDS["next_step"]: _text(""),
            OUTCOME_IDS["next_step_date"]: {"type": "datepicker", "selected_date": "2026-12-01"},
        }
    )
    parsed = OutcomeSubmission.parse(state)
    assert parsed == OutcomeSubmission(
        "Called the VP; agreed a training plan", "saved", None, date(2026, 12, 1)
    )


def test_outcome_submission_names_every_problem() -> None:
    state = _state(
        **{
            OUTCOME_IDS["what_was_done"]: _text("   "),
            OUTCOME_IDS["result"]: _select("churned_maybe"),
            OUTCOME_IDS["next_step_date"]: {"type": "datepicker", "selected_date": "tomorrow"},
        }
    )
    with pytest.raises(SubmissionError) as info:
        OutcomeSubmission.parse(state)
    assert info.value.errors == {
        "outcome_done": "Please fill this in.",
        "outcome_result": "Unknown choice 'churned_maybe'.",
        "outcome_next_date": "Not a date: 'tomorrow'.",
    }


def test_snooze_submission_needs_a_future_date() -> None:
    today = date(2026, 11, 2)
    ok = _state(**{SNOOZE_IDS["until"]: {"selected_date": "2026-11-09"}})
    assert SnoozeSubmission.parse(ok, today) == SnoozeSubmission(date(2026, 11, 9), None)
    past = _state(**{SNOOZE_IDS["until"]: {"selected_date": "2026-11-02"}})
    with pytest.raises(SubmissionError, match="Pick a date after 2026-11-02"):
        SnoozeSubmission.parse(past, today)


def test_false_positive_and_reassign_submissions() -> None:
    assert FalsePositiveSubmission.parse(_state(fp_reason=_text("pilot"))).reason == "pilot"
    with pytest.raises(SubmissionError):
        FalsePositiveSubmission.parse({})
    state = _state(**{REASSIGN_IDS["assignee"]: {"selected_user": "U0CSM002"}})
    assert ReassignSubmission.parse(state) == ReassignSubmission("U0CSM002", None)
    with pytest.raises(SubmissionError, match="choose a person"):
        ReassignSubmission.parse(_state(**{REASSIGN_IDS["assignee"]: {"selected_user": "<!channel>"}}))


def test_champion_change_with_contacts() -> None:
    people = samples.contacts()
    state = _state(
        **{
            CHAMPION_IDS["left"]: _select(people[0].id),
            CHAMPION_IDS["replacement"]: _select(people[1].id),
            CHAMPION_IDS["role"]: _select("champion"),
        }
    )
    assert ChampionChangeSubmission.parse(state) == ChampionChangeSubmission(
        people[0].id, None, people[1].id, None, "champion"
    )
    same = _state(
        **{
            CHAMPION_IDS["left"]: _select(people[0].id),
            CHAMPION_IDS["replacement"]: _select(people[0].id),
            CHAMPION_IDS["role"]: _select("champion"),
        }
    )
    with pytest.raises(SubmissionError, match="cannot be the person who left"):
        ChampionChangeSubmission.parse(same)


def test_champion_change_without_contacts_takes_names() -> None:
    # The modal offers no contact select when none are synced, so the typed name is required.
    state = _state(
        **{
            CHAMPION_IDS["left_name"]: _text("Sam Ortega"),
            CHAMPION_IDS["replacement_name"]: _text("Jo Park <jo@northwind.example>"),
            CHAMPION_IDS["role"]: _select("exec_sponsor"),
        }
    )
    parsed = ChampionChangeSubmission.parse(state)
    assert (parsed.left_name, parsed.replacement_name, parsed.role) == (
        "Sam Ortega",
        "Jo Park <jo@northwind.example>",
        "exec_sponsor",
    )


def test_champion_modal_lists_at_most_100_contacts_and_keeps_the_current_champion() -> None:
    many = [Contact(samples.uid(f"p{i}"), f"Person {i}") for i in range(250)]
    current = many[200]
    view = champion_change_modal(samples.account(), CTX, many, current).as_dict()
    select = view["blocks"][1]["element"]
    assert len(select["options"]) == 100
    assert select["options"][0]["value"] == current.id
    assert select["initial_option"]["value"] == current.id
    assert "150 more are not listed" in view["blocks"][-1]["elements"][0]["text"]
