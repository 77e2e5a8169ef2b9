"""Modal submissions: parse with messages.submissions (errors go back into the modal), ack, then call one
service with the view id as the redelivery key, and update the alert's message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.permissions import ALLOW
from bot.services import alerts as alert_service
from bot.services.errors import ServiceError
from bot.slack.deps import SlackDeps
from bot.slack.interaction import check_alert_permission, request_key, tell
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

Submit = Callable[[SlackDeps, ModalContext, dict[str, Any], str, str], None]


def _outcome(deps: SlackDeps, ctx: ModalContext, values: dict[str, Any], user: str, request_id: str) -> None:
    form = OutcomeSubmission.parse(values)
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


def _snooze(deps: SlackDeps, ctx: ModalContext, values: dict[str, Any], user: str, request_id: str) -> None:
    form = SnoozeSubmission.parse(values, deps.clock.now().date())
    until = datetime.combine(form.until, time(9), tzinfo=UTC)
    alert_service.snooze(deps.engine, _alert(ctx), until, actor=user, request_id=request_id, clock=deps.clock)


def _false_positive(
    deps: SlackDeps, ctx: ModalContext, values: dict[str, Any], user: str, request_id: str
) -> None:
    form = FalsePositiveSubmission.parse(values)
    alert_service.mark_false_positive(
        deps.engine, _alert(ctx), form.reason, actor=user, request_id=request_id, clock=deps.clock
    )


def _reassign(deps: SlackDeps, ctx: ModalContext, values: dict[str, Any], user: str, request_id: str) -> None:
    form = ReassignSubmission.parse(values)
    alert_service.reassign(
        deps.engine, _alert(ctx), form.assignee, actor=user, request_id=request_id, clock=deps.clock
    )


def _champion(deps: SlackDeps, ctx: ModalContext, values: dict[str, Any], user: str, request_id: str) -> None:
    form = ChampionChangeSubmission.parse(values)
    if form.left_contact_id is None:
        raise SubmissionError({CHAMPION_IDS["left_name"]: "Pick the person from the CRM's contacts."})
    if form.replacement_name and not form.replacement_contact_id:
        raise SubmissionError(
            {CHAMPION_IDS["replacement_name"]: "Add this person to the CRM first, then pick them here."}
        )
    if ctx.account_id is None:
        raise ServiceError("this form lost track of its account; open it again")
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


def _alert(ctx: ModalContext) -> str:
    if ctx.alert_id is None:
        raise ServiceError("this form lost track of its alert; open it again")
    return ctx.alert_id


SUBMITS: dict[ModalKind, tuple[str, Submit]] = {
    ModalKind.LOG_OUTCOME: ("log an outcome", _outcome),
    ModalKind.SNOOZE_UNTIL: ("snooze this alert", _snooze),
    ModalKind.FALSE_POSITIVE: ("mark this alert a false positive", _false_positive),
    ModalKind.REASSIGN: ("reassign this alert", _reassign),
    ModalKind.CHAMPION_CHANGE: ("record a champion change", _champion),
}


def _listener(deps: SlackDeps, attempted: str, submit: Submit) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        user = body["user"]["id"]
        try:
            ctx = ModalContext.decode(view.get("private_metadata") or "")
        except ActionDecodeError as exc:
            ack()
            tell(client, user, None, attempted, str(exc))
            return
        # An alert's modal needs the same permission as its buttons; `/champion` is open to every CSM.
        decision = check_alert_permission(deps, client, user, ctx.alert_id) if ctx.alert_id else ALLOW
        if not decision.allowed:
            ack()
            tell(client, user, ctx.channel_id, attempted, decision.reason)
            return
        try:
            submit(deps, ctx, view["state"]["values"], user, request_key("view", str(view["id"])))
        except SubmissionError as exc:
            ack(response_action="errors", errors=exc.errors)
            return
        except ServiceError as exc:
            ack()
            tell(client, user, ctx.channel_id, attempted, str(exc))
            return
        ack()
        if ctx.alert_id is not None:
            deps.publisher.refresh(ctx.alert_id)
        if deps.after_change is not None:
            deps.after_change()

    return listener


def register(app: App, deps: SlackDeps) -> None:
    for kind, (attempted, submit) in SUBMITS.items():
        app.view(ModalRef(kind).encode())(_listener(deps, attempted, submit))
