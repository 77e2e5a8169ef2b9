"""Parse modal submissions (`view["state"]["values"]`) into frozen dataclasses.

A missing or invalid value raises `SubmissionError`, whose `errors` map block_id -> message: return
`{"response_action": "errors", "errors": exc.errors}` from the view listener and Slack shows them next
to the inputs. Free text from people is kept exactly as typed; it is escaped when rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from messages.actions import ActionDecodeError, check_user_id
from messages.models import OUTCOME_RESULTS, STAKEHOLDER_ROLES


class SubmissionError(ValueError):
    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


# Block ids double as action ids: one input per block.
OUTCOME_IDS: Final = {
    "what_was_done": "outcome_done",
    "result": "outcome_result",
    "next_step": "outcome_next",
    "next_step_date": "outcome_next_date",
}
SNOOZE_IDS: Final = {"until": "snooze_until", "comment": "snooze_comment"}
FALSE_POSITIVE_IDS: Final = {"reason": "fp_reason"}
REASSIGN_IDS: Final = {"assignee": "reassign_user", "note": "reassign_note"}
CHAMPION_IDS: Final = {
    "left": "champion_left",
    "left_name": "champion_left_name",
    "replacement": "champion_new",
    "replacement_name": "champion_new_name",
    "role": "champion_role",
}


class _Values:
    def __init__(self, state_values: Mapping[str, Any]) -> None:
        self._values = state_values
        self.errors: dict[str, str] = {}

    def _raw(self, block_id: str) -> Mapping[str, Any]:
        block = self._values.get(block_id) or {}
        element = block.get(block_id) if isinstance(block, Mapping) else None
        return element if isinstance(element, Mapping) else {}

    def text(self, block_id: str, *, required: bool) -> str | None:
        value = self._raw(block_id).get("value")
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            if required:
                self.errors[block_id] = "Please fill this in."
            return None
        return value

    def choice(self, block_id: str, allowed: tuple[str, ...] | None, *, required: bool) -> str | None:
        option = self._raw(block_id).get("selected_option")
        value = option.get("value") if isinstance(option, Mapping) else None
        if value is None:
            if required:
                self.errors[block_id] = "Please choose one."
            return None
        if allowed is not None and value not in allowed:
            self.errors[block_id] = f"Unknown choice {value!r}."
            return None
        return str(value)

    def day(self, block_id: str, *, required: bool, after: date | None = None) -> date | None:
        raw = self._raw(block_id).get("selected_date")
        if not raw:
            if required:
                self.errors[block_id] = "Please pick a date."
            return None
        try:
            value = date.fromisoformat(str(raw))
        except ValueError:
            self.errors[block_id] = f"Not a date: {raw!r}."
            return None
        if after is not None and value <= after:
            self.errors[block_id] = f"Pick a date after {after.isoformat()}."
            return None
        return value

    def user(self, block_id: str, *, required: bool) -> str | None:
        value = self._raw(block_id).get("selected_user")
        if isinstance(value, str):
            try:
                return check_user_id(value)
            except ActionDecodeError:
                pass
        if required:
            self.errors[block_id] = "Please choose a person."
        return None

    def done(self) -> None:
        if self.errors:
            raise SubmissionError(self.errors)


@dataclass(frozen=True)
class OutcomeSubmission:
    what_was_done: str
    result: str  # one of OUTCOME_RESULTS
    next_step: str | None
    next_step_date: date | None

    @classmethod
    def parse(cls, state_values: Mapping[str, Any]) -> OutcomeSubmission:
        v = _Values(state_values)
        done = v.text(OUTCOME_IDS["what_was_done"], required=True)
        result = v.choice(OUTCOME_IDS["result"], OUTCOME_RESULTS, required=True)
        next_step = v.text(OUTCOME_IDS["next_step"], required=False)
        next_date = v.day(OUTCOME_IDS["next_step_date"], required=False)
        v.done()
        assert done is not None and result is not None
        return cls(done, result, next_step, next_date)


@dataclass(frozen=True)
class SnoozeSubmission:
    until: date
    comment: str | None

    @classmethod
    def parse(cls, state_values: Mapping[str, Any], today: date) -> SnoozeSubmission:
        v = _Values(state_values)
        until = v.day(SNOOZE_IDS["until"], required=True, after=today)
        comment = v.text(SNOOZE_IDS["comment"], required=False)
        v.done()
        assert until is not None
        return cls(until, comment)


@dataclass(frozen=True)
class FalsePositiveSubmission:
    reason: str

    @classmethod
    def parse(cls, state_values: Mapping[str, Any]) -> FalsePositiveSubmission:
        v = _Values(state_values)
        reason = v.text(FALSE_POSITIVE_IDS["reason"], required=True)
        v.done()
        assert reason is not None
        return cls(reason)


@dataclass(frozen=True)
class ReassignSubmission:
    assignee: str
    note: str | None

    @classmethod
    def parse(cls, state_values: Mapping[str, Any]) -> ReassignSubmission:
        v = _Values(state_values)
        assignee = v.user(REASSIGN_IDS["assignee"], required=True)
        note = v.text(REASSIGN_IDS["note"], required=False)
        v.done()
        assert assignee is not None
        return cls(assignee, note)


@dataclass(frozen=True)
class ChampionChangeSubmission:
    """Who left (a contact id, or a typed name when no contacts were offered), who replaces them (a
    contact id and/or a typed name; both may be empty: nobody yet), and the new person's role."""

    left_contact_id: str | None
    left_name: str | None
    replacement_contact_id: str | None
    replacement_name: str | None
    role: str  # one of STAKEHOLDER_ROLES

    @classmethod
    def parse(cls, state_values: Mapping[str, Any]) -> ChampionChangeSubmission:
        v = _Values(state_values)
        offered_contacts = CHAMPION_IDS["left"] in state_values
        left_id = v.choice(CHAMPION_IDS["left"], None, required=offered_contacts)
        left_name = v.text(CHAMPION_IDS["left_name"], required=not offered_contacts)
        new_id = v.choice(CHAMPION_IDS["replacement"], None, required=False)
        new_name = v.text(CHAMPION_IDS["replacement_name"], required=False)
        role = v.choice(CHAMPION_IDS["role"], STAKEHOLDER_ROLES, required=True)
        if left_id is not None and left_id == new_id:
            v.errors[CHAMPION_IDS["replacement"]] = "The replacement cannot be the person who left."
        v.done()
        assert role is not None
        return cls(left_id, left_name, new_id, new_name, role)
