"""Modal submissions: the ack parses the form with messages.submissions (errors go back into the modal);
after the ack, a lazy listener checks permission, calls one service with the view id as the redelivery
key, and updates the alert's message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.permissions import ALLOW
from bot.services import alerts as alert_service
from bot.services.errors import ServiceError
from bot.slack.deps import SlackDeps
from bot.slack.interaction import check_alert_permission, request_key, tell
from bot.slack.listeners.home import publish_home
from messages.actions import ActionDecodeError, ModalContext, ModalKind, ModalRef
from messages.submissions import (
    CHAMPION_IDS,
    ChampionChangeSubmission,
    FalsePositiveSubmission,
    OutcomeSubmission,
    ReassignSubmission,
    SnoozeSubmission,
    SubmissionError,
)

Parse = Callable[[SlackDeps, dict[str, Any], "ModalContext | None"], Any]  # state values -> a submission
Apply = Callable[[SlackDeps, ModalContext, Any, str, str], None]  # (deps, ctx, form, user, request_id)


def _outcome(deps: SlackDeps, ctx: ModalContext, form: OutcomeSubmission, user: str, request_id: str) -> None:
    alert_service.log_outcome(
        deps.engine,
        _alert(ctx),
        form.result,
        form.what_was_done,
        form.next_step,
        form.next_step_date,
        actor=user,
        request_id=request_id,
        clock=deps.clock,
    )


def _zone(ctx: ModalContext | None) -> ZoneInfo:
    """The time zone the user picked dates in (carried by the modal since it was opened), else UTC."""
    return ZoneInfo(ctx.tz) if ctx is not None and ctx.tz else ZoneInfo("UTC")


def _snooze_form(deps: SlackDeps, values: dict[str, Any], ctx: ModalContext | None) -> SnoozeSubmission:
    """A day after the user's own today: at 18:00 in Los Angeles, tomorrow is already today in UTC."""
    return SnoozeSubmission.parse(values, deps.clock.now().astimezone(_zone(ctx)).date())


def _snooze(deps: SlackDeps, ctx: ModalContext, form: SnoozeSubmission, user: str, request_id: str) -> None:
    until = datetime.combine(form.until, time(9), tzinfo=_zone(ctx)).astimezone(UTC)
    alert_service.snooze(deps.engine, _alert(ctx), until, actor=user, request_id=request_id, clock=deps.clock)


def _false_positive(
    deps: SlackDeps, ctx: ModalContext, form: FalsePositiveSubmission, user: str, request_id: str
) -> None:
    alert_service.mark_false_positive(
        deps.engine, _alert(ctx), form.reason, actor=user, request_id=request_id, clock=deps.clock
    )


def _reassign(
    deps: SlackDeps, ctx: ModalContext, form: ReassignSubmission, user: str, request_id: str
) -> None:
    alert_service.reassign(
        deps.engine, _alert(ctx), form.assignee, actor=user, request_id=request_id, clock=deps.clock
    )


def _champion_form(
    deps: SlackDeps, values: dict[str, Any], _ctx: ModalContext | None
) -> ChampionChangeSubmission:
    form = ChampionChangeSubmission.parse(values)
    if form.left_contact_id is None:
        raise SubmissionError({CHAMPION_IDS["left_name"]: "Pick the person from the CRM's contacts."})
    if form.replacement_name and not form.replacement_contact_id:
        raise SubmissionError(
            {CHAMPION_IDS["replacement_name"]: "Add this person to the CRM first, then pick them here."}
        )
    return form


def _champion(
    deps: SlackDeps, ctx: ModalContext, form: ChampionChangeSubmission, user: str, request_id: str
) -> None:
    if ctx.account_id is None:
        raise ServiceError("this form lost track of its account; open it again")
    assert form.left_contact_id is not None  # checked by _champion_form
    alert_service.record_champion_change(
        deps.engine,
        ctx.account_id,
        form.left_contact_id,
        form.replacement_contact_id,
        form.role,
        actor=user,
        request_id=request_id,
        clock=deps.clock,
        catalog=deps.rendering.catalog,
        default_channel=deps.default_channel,
    )


def _parser(submission: Any) -> Parse:
    def parse(deps: SlackDeps, values: dict[str, Any], ctx: ModalContext | None) -> Any:
        return submission.parse(values)

    return parse


def _alert(ctx: ModalContext) -> str:
    if ctx.alert_id is None:
        raise ServiceError("this form lost track of its alert; open it again")
    return ctx.alert_id


SUBMITS: dict[ModalKind, tuple[str, Parse, Apply]] = {
    ModalKind.LOG_OUTCOME: ("log an outcome", _parser(OutcomeSubmission), _outcome),
    ModalKind.SNOOZE_UNTIL: ("snooze this alert", _snooze_form, _snooze),
    ModalKind.FALSE_POSITIVE: (
        "mark this alert a false positive",
        _parser(FalsePositiveSubmission),
        _false_positive,
    ),
    ModalKind.REASSIGN: ("reassign this alert", _parser(ReassignSubmission), _reassign),
    ModalKind.CHAMPION_CHANGE: ("record a champion change", _champion_form, _champion),
}


def _ack(deps: SlackDeps, parse: Parse) -> Callable[..., None]:
    def ack_submission(ack: Ack, body: dict[str, Any]) -> None:
        """Check the form (no store access): errors go back into the modal, else it closes."""
        try:
            parse(deps, body["view"]["state"]["values"], _context_or_none(body["view"]))
        except SubmissionError as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        ack()

    return ack_submission


def _with_what_was_typed(reason: str, view: dict[str, Any]) -> str:
    """The modal closed when its form was accepted; if the change then fails (the alert moved on
    meanwhile), give back what the person wrote so it is not lost."""
    typed = [
        str(action["value"]).strip()
        for block in ((view.get("state") or {}).get("values") or {}).values()
        for action in block.values()
        if isinstance(action, dict) and action.get("type") == "plain_text_input" and action.get("value")
    ]
    typed = [t for t in typed if t]
    if not typed:
        return reason
    return f"{reason}. What you wrote, to copy: " + " / ".join(f"“{t[:1200]}”" for t in typed)


def _context_or_none(view: dict[str, Any]) -> ModalContext | None:
    try:
        return ModalContext.decode(view.get("private_metadata") or "")
    except ActionDecodeError:
        return None  # the listener after the ack reports it


def _listener(deps: SlackDeps, attempted: str, parse: Parse, apply: Apply) -> Callable[..., None]:
    def listener(body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        user = body["user"]["id"]
        try:
            ctx = ModalContext.decode(view.get("private_metadata") or "")
        except ActionDecodeError as exc:
            tell(client, user, None, attempted, str(exc))
            return
        try:
            form = parse(deps, view["state"]["values"], ctx)
        except SubmissionError:
            return  # the ack sent the errors back into the modal
        # An alert's modal needs the same permission as its buttons; `/champion` is open to every CSM.
        decision = check_alert_permission(deps, client, user, ctx.alert_id) if ctx.alert_id else ALLOW
        if not decision.allowed:
            tell(client, user, ctx.channel_id, attempted, decision.reason)
            return
        try:
            apply(deps, ctx, form, user, request_key("view", str(view["id"])))
        except ServiceError as exc:
            tell(client, user, ctx.channel_id, attempted, _with_what_was_typed(str(exc), view))
            return
        if ctx.alert_id is not None:
            deps.publisher.refresh(ctx.alert_id)
            if ctx.channel_id is None:  # opened from App Home: show the alert's new state there
                publish_home(deps, client, user)
        if deps.after_change is not None:
            deps.after_change()

    return listener


def register(app: App, deps: SlackDeps) -> None:
    for kind, (attempted, parse, apply) in SUBMITS.items():
        app.view(ModalRef(kind).encode())(
            ack=_ack(deps, parse), lazy=[_listener(deps, attempted, parse, apply)]
        )
