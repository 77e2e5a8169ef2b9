"""Paired encode/decode of the identities Slack carries back to us: `action_id`, `block_id`,
`callback_id`, `private_metadata` and option values.

Every interactive element names the object it acts on in its `action_id` (`alert.claim:<alert uuid>`), so
a click routes straight to a handler and the alert without looking anything up; modals carry their
context in `private_metadata` (`v1;alert=<uuid>;channel=C123;ts=1700000000.000100`). Nothing is JSON
smuggled through `value`. Each `decode` rejects anything it did not produce with `ActionDecodeError`.
Bolt listeners register with the patterns here, e.g. `app.action(AlertAction.pattern(AlertVerb.CLAIM))`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ActionDecodeError(ValueError):
    """A Slack identifier or metadata string is not one this module encoded."""


class AlertVerb(StrEnum):
    CLAIM = "claim"
    SNOOZE = "snooze"
    REASSIGN = "reassign"
    ESCALATE = "escalate"
    FALSE_POSITIVE = "false_positive"
    LOG_OUTCOME = "log_outcome"
    CHAMPION_CHANGE = "champion_change"


class ModalKind(StrEnum):
    LOG_OUTCOME = "log_outcome"
    SNOOZE_UNTIL = "snooze_until"
    FALSE_POSITIVE = "false_positive"
    CHAMPION_CHANGE = "champion_change"
    REASSIGN = "reassign"


class SnoozeChoice(StrEnum):
    """Option values of the Snooze menu; `UNTIL` opens the date modal."""

    ONE_DAY = "1d"
    ONE_WEEK = "1w"
    UNTIL = "until"


_UUID_RE: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_CHANNEL_RE: Final = re.compile(r"[CDG][A-Z0-9]{2,20}")
_USER_RE: Final = re.compile(r"[UW][A-Z0-9]{2,20}")
_TS_RE: Final = re.compile(r"\d{1,12}\.\d{1,8}")
_ZONE_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
_ACTION_RE: Final = re.compile(rf"alert\.([a-z_]+):({_UUID_RE})")
_BLOCK_RE: Final = re.compile(rf"alert:({_UUID_RE}):([a-z_]{{1,32}})")
_METADATA_KEYS: Final = {
    "alert": "alert_id",
    "account": "account_id",
    "channel": "channel_id",
    "ts": "message_ts",
    "tz": "tz",
}


def _uuid(value: str, what: str) -> str:
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise ActionDecodeError(f"{what} is not a UUID: {value!r}") from None
    if str(parsed) != value:
        raise ActionDecodeError(f"{what} is not a canonical lower-case UUID: {value!r}")
    return value


def check_user_id(value: str) -> str:
    """A Slack user id (`U…`/`W…`); raises ActionDecodeError otherwise."""
    if not _USER_RE.fullmatch(value):
        raise ActionDecodeError(f"not a Slack user id: {value!r}")
    return value


def check_channel_id(value: str) -> str:
    if not _CHANNEL_RE.fullmatch(value):
        raise ActionDecodeError(f"not a Slack channel id: {value!r}")
    return value


@dataclass(frozen=True)
class AlertAction:
    """`alert.<verb>:<alert uuid>`: the action_id of every button or menu acting on one alert."""

    verb: AlertVerb
    alert_id: str

    def __post_init__(self) -> None:
        _uuid(self.alert_id, "alert id")
        AlertVerb(self.verb)

    def encode(self) -> str:
        return f"alert.{self.verb.value}:{self.alert_id}"

    @classmethod
    def decode(cls, action_id: str) -> AlertAction:
        match = _ACTION_RE.fullmatch(action_id) if isinstance(action_id, str) else None
        if not match:
            raise ActionDecodeError(f"not an alert action_id: {action_id!r}")
        try:
            verb = AlertVerb(match.group(1))
        except ValueError:
            raise ActionDecodeError(f"unknown alert action {match.group(1)!r} in {action_id!r}") from None
        return cls(verb, match.group(2))

    @staticmethod
    def pattern(verb: AlertVerb) -> re.Pattern[str]:
        """The regex a Bolt listener registers to receive every `verb` click, whatever the alert."""
        return re.compile(rf"^alert\.{verb.value}:{_UUID_RE}$")


@dataclass(frozen=True)
class AlertBlock:
    """`alert:<alert uuid>:<part>`: block_id of each block of an alert message (part: actions, header…)."""

    alert_id: str
    part: str

    def __post_init__(self) -> None:
        _uuid(self.alert_id, "alert id")
        if not re.fullmatch(r"[a-z_]{1,32}", self.part):
            raise ValueError(f"block part must be 1-32 of [a-z_], got {self.part!r}")

    def encode(self) -> str:
        return f"alert:{self.alert_id}:{self.part}"

    @classmethod
    def decode(cls, block_id: str) -> AlertBlock:
        match = _BLOCK_RE.fullmatch(block_id) if isinstance(block_id, str) else None
        if not match:
            raise ActionDecodeError(f"not an alert block_id: {block_id!r}")
        return cls(match.group(1), match.group(2))


@dataclass(frozen=True)
class ModalRef:
    """`modal.<kind>`: a modal's callback_id; Bolt registers `app.view(ModalRef(kind).encode())`."""

    kind: ModalKind

    def encode(self) -> str:
        return f"modal.{self.kind.value}"

    @classmethod
    def decode(cls, callback_id: str) -> ModalRef:
        if not isinstance(callback_id, str) or not callback_id.startswith("modal."):
            raise ActionDecodeError(f"not a modal callback_id: {callback_id!r}")
        try:
            return cls(ModalKind(callback_id.removeprefix("modal.")))
        except ValueError:
            raise ActionDecodeError(f"unknown modal kind in {callback_id!r}") from None


@dataclass(frozen=True)
class ModalContext:
    """What a modal's submission needs to act: the alert and/or account, and the message to update."""

    alert_id: str | None = None
    account_id: str | None = None
    channel_id: str | None = None
    message_ts: str | None = None
    tz: str | None = None  # the user's IANA time zone, for dates picked in the modal

    def __post_init__(self) -> None:
        if self.tz is not None:
            check_zone(self.tz)
        if self.alert_id is not None:
            _uuid(self.alert_id, "alert id")
        if self.account_id is not None:
            _uuid(self.account_id, "account id")
        if self.channel_id is not None:
            check_channel_id(self.channel_id)
        if self.message_ts is not None and not _TS_RE.fullmatch(self.message_ts):
            raise ActionDecodeError(f"not a Slack message ts: {self.message_ts!r}")
        if (self.channel_id is None) != (self.message_ts is None):
            raise ActionDecodeError("channel and ts go together: give both or neither")

    def encode(self) -> str:
        parts = ["v1"]
        for key, attr in _METADATA_KEYS.items():
            value = getattr(self, attr)
            if value is not None:
                parts.append(f"{key}={value}")
        return ";".join(parts)

    @classmethod
    def decode(cls, private_metadata: str) -> ModalContext:
        if not isinstance(private_metadata, str):
            kind = type(private_metadata).__name__
            raise ActionDecodeError(f"private_metadata must be a string, got {kind}")
        version, *pairs = private_metadata.split(";")
        if version != "v1":
            raise ActionDecodeError(f"unknown private_metadata format: {private_metadata[:60]!r}")
        values: dict[str, str] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or key not in _METADATA_KEYS or _METADATA_KEYS[key] in values:
                raise ActionDecodeError(f"bad private_metadata entry {pair[:60]!r}")
            values[_METADATA_KEYS[key]] = value
        return cls(**values)


def check_zone(name: str) -> ZoneInfo:
    """An IANA time zone by name, or ActionDecodeError."""
    if not _ZONE_RE.fullmatch(name):
        raise ActionDecodeError(f"not a time zone: {name[:60]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ActionDecodeError(f"unknown time zone {name[:60]!r}") from None


def decode_snooze_choice(value: str) -> SnoozeChoice:
    try:
        return SnoozeChoice(value)
    except ValueError:
        raise ActionDecodeError(f"unknown snooze choice {value!r}") from None


class SurfaceAction(StrEnum):
    """Fixed action_ids of the manager and admin surfaces (the object travels in the option value)."""

    ACCOUNT_PICK = "account.pick"  # value: account uuid
    RETRY_FAILED = "outbox.retry_failed"
    DIGEST_MODE = "home.digest_mode"  # value: DigestMode


class DigestMode(StrEnum):
    REALTIME = "realtime"
    HOURLY = "hourly"
    DAILY = "daily"


def decode_account_pick(value: str) -> str:
    """The account id carried by an `account.pick` option value."""
    return _uuid(value, "account id")


CRM_LINK_PATTERN: Final = re.compile(rf"^crm_link:{_UUID_RE}$")


def crm_link_action_id(object_id: str) -> str:
    """action_id of an "Open in <CRM>" link button. Slack opens the URL itself but still sends
    block_actions: register `app.action(CRM_LINK_PATTERN)` with a listener that only acks."""
    return f"crm_link:{_uuid(object_id, 'object id')}"
