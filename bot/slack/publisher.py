"""Publishing alerts to Slack and keeping their messages current.

`publish_pending` renders every open alert that has no message yet and sends it through the posting
queue (1 message/s/channel, Retry-After, floods become one digest per channel). The alert's channel id
and message ts are stored only after Slack accepted the post. `refresh` re-renders an alert after a
state change and updates its message in place for everyone. Alerts that went out inside a digest keep
the digest's ts and `details.digest = true`; the digest is not rewritten when one of them changes.
Owners who chose hourly or daily digests, or set active hours, get their alerts when
`bot.slack.delivery_policy` says so: one digest per channel, grouped by play and account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, or_, select, update

from bot.posting import FlushReport, Outgoing, PostQueue
from bot.slack.alert_views import alert_views
from bot.slack.crm_links import CrmLinks
from bot.slack.delivery_policy import Waiting, plan_delivery, record_digest
from messages import models as view
from messages.alerts import alert_message
from messages.models import Audience
from messages.notices import digest_message
from plays.catalog import Catalog
from plays.clock import Clock, SystemClock
from plays.segments import SegmentConfig
from store.models import OPEN_ALERT_STATES, Account, Alert, AlertEvent, SlackUser
from store.models.alerts import NOTICE_PENDING, NOTICE_SENT, NOTICE_SKIPPED
from store.uow import unit_of_work

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Rendering:
    catalog: Catalog
    segments: SegmentConfig
    links: CrmLinks


def _record_post(engine: Engine, alert_id: str) -> Callable[[str, str], None]:
    def record(channel: str, ts: str) -> None:
        with unit_of_work(engine) as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                return
            alert.channel_id, alert.message_ts = channel, ts
            alert.details = {**(alert.details or {}), "digest": False}

    return record


PUBLISH_LIMIT = 20_000  # alerts one publishing pass takes on; the rest waits for the next
NOTICE_MAX_AGE = timedelta(days=1)  # a notice Slack could not take for this long is no longer news
NOTICE_TITLES = {"escalation": "{} alerts unclaimed past their SLA", "step": "{} follow-up steps due"}


def _digest_item(v: view.Alert) -> view.DigestItem:
    return view.DigestItem(
        alert_id=v.id,
        play_id=v.play_id,
        play_name=v.play_name,
        account_id=v.account.id,
        account_name=v.account.name,
        reason=v.reason,
        severity=v.severity,
        arr=v.account.arr,
    )


NoticeText = Callable[[view.Alert, Any, str], str | None]  # (alert, event row, alert's text) -> message


@dataclass(frozen=True)
class _Notice:
    row: Any  # the pending event, joined to its alert and the owner's manager
    to: str | None
    text: NoticeText
    audience: Audience


class AlertPublisher:
    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        rendering: Rendering,
        *,
        clock: Clock | None = None,
        post_client: WebClient | None = None,
        min_interval: float = 1.0,
        digest_threshold: int = 5,
    ) -> None:
        """`client` updates messages; `post_client` (default: `client`) posts through the queue and
        should carry no 429 retry handler of its own, since the queue honours Retry-After itself."""
        self._engine = engine
        self._client = client
        self._rendering = rendering
        self._clock = clock or SystemClock()
        # One publishing pass at a time: two passes reading the same unposted alert would post it twice.
        self._publishing = threading.Lock()
        self._queue = PostQueue(
            post_client or client,
            digest_builder=self.digest_builder,
            min_interval=min_interval,
            digest_threshold=digest_threshold,
        )

    def views(self, alert_ids: Sequence[str]) -> dict[str, view.Alert]:
        r = self._rendering
        with unit_of_work(self._engine) as session:
            return alert_views(session, alert_ids, r.catalog, r.segments, r.links)

    def digest_builder(self, channel: str, messages: Sequence[Outgoing]) -> Outgoing:
        if messages[0].kind != "alert":
            return self._notice_digest(channel, messages)
        return self._digest(channel, [key for m in messages for key in (m.keys or (m.key,))])

    def _notice_digest(self, channel: str, messages: Sequence[Outgoing]) -> Outgoing:
        """A flood of escalation notices or step reminders for one recipient, as one message listing the
        alerts. The alerts keep their own messages; each notice counts as sent once the digest is."""
        kind, views = messages[0].kind, self.views([m.key for m in messages])
        items = [_digest_item(v) for v in (views.get(m.key) for m in messages) if v is not None]
        title = NOTICE_TITLES[kind].format(len(messages))
        rendered = digest_message(items, title=title)

        def record_all(channel_id: str, ts: str) -> None:
            for m in messages:
                if m.on_posted is not None:
                    m.on_posted(channel_id, ts)

        blocks = [dict(b) for b in rendered.blocks]
        return Outgoing(channel, rendered.text, blocks, on_posted=record_all, key=kind, kind=kind)

    def _digest(self, channel: str, alert_ids: Sequence[str]) -> Outgoing:
        views = self.views(alert_ids)
        items = [_digest_item(v) for v in views.values()]
        rendered = digest_message(items, title=f"{len(items)} new alerts")
        ids = tuple(views)

        def record_all(channel_id: str, ts: str) -> None:
            with unit_of_work(self._engine) as session:
                record_digest(session, ids, channel_id, ts, self._clock.now())

        blocks = [dict(b) for b in rendered.blocks]
        return Outgoing(channel, rendered.text, blocks, on_posted=record_all, key="digest", keys=ids)

    def publish_pending(self, limit: int = PUBLISH_LIMIT) -> FlushReport:
        """Post what is due now: real-time alerts one by one, digest owners' alerts as one digest per
        channel; the rest stays waiting (no message) for a later run."""
        with self._publishing:
            return self._publish_pending(limit)

    def publish_soon(self, wait: float = 2.0) -> FlushReport | None:
        """What a Slack action calls after its change (a champion change fires an alert: post it now),
        without queueing behind a long publishing pass: if one is running (it may be pacing a flood at
        1 message/s/channel), give up after `wait` seconds. What it leaves is posted by the next pass."""
        if not self._publishing.acquire(timeout=wait):
            log.info("alerts.publish_deferred")
            return None
        try:
            return self._publish_pending(PUBLISH_LIMIT)
        finally:
            self._publishing.release()

    def _publish_pending(self, limit: int) -> FlushReport:
        now = self._clock.now()
        with unit_of_work(self._engine) as session:
            rows = session.execute(
                select(
                    Alert.id,
                    Alert.channel_id,
                    Alert.owner_slack_id,
                    Alert.play_id,
                    Alert.account_id,
                    Account.name,
                    Alert.fired_at,
                )
                .join(Account, Account.id == Alert.account_id)
                .where(
                    Alert.message_ts.is_(None),
                    Alert.state.in_(OPEN_ALERT_STATES),
                    Alert.channel_id.is_not(None),
                    or_(Alert.deliver_at.is_(None), Alert.deliver_at <= now),  # a delayed arm waits
                )
                .order_by(Alert.fired_at, Alert.id)
                .limit(limit)
            ).all()
            waiting = [Waiting(r.id, r.channel_id or "", *r[2:]) for r in rows]
            plan = plan_delivery(session, waiting, now)
        views = self.views([alert_id for alert_id, _ in plan.now])
        for alert_id, channel in plan.now:
            alert = views.get(alert_id)
            if alert is None:
                continue
            rendered = alert_message(alert, "csm")
            blocks = [dict(b) for b in rendered.blocks]
            self._queue.submit(
                Outgoing(channel, rendered.text, blocks, _record_post(self._engine, alert_id), alert_id)
            )
        for channel, alert_ids in plan.digests.items():
            self._queue.submit(self._digest(channel, alert_ids))
        report = self._queue.flush()
        report.held = len(plan.held)
        log.info(
            "alerts.published",
            posted=report.posted,
            digests=report.digests,
            held=report.held,
            failed=len(report.failed),
        )
        return report

    def notify_escalations(self, fallback_channel: str) -> int:
        """Tell each manager about alerts the SLA sweep escalated: the alert rendered for the manager
        audience, to the owner's manager (a DM) or else the escalation channel. An alert claimed or
        closed since needs no notice. Returns the messages posted."""

        def text(_alert: view.Alert, _row: Any, rendered: str) -> str:
            return f"Unclaimed past its SLA: {rendered}"

        with self._publishing:
            rows = self._pending("escalate", ("firing",))
            notices = [_Notice(r, r.manager_slack_id or fallback_channel, text, "manager") for r in rows]
            return self._send(notices, "escalation")

    def notify_steps(self) -> int:
        """Remind each owner of a play's follow-up step that came due (the sweep's `step_due` events):
        the alert rendered for the CSM, with its buttons, to the owner (a DM) or, without an owner, to
        the alert's channel, while the alert is still open. Returns the messages posted."""

        def text(alert: view.Alert, row: Any, rendered: str) -> str | None:
            step = (row.details or {}).get("step")
            if not isinstance(step, int) or not 0 <= step < len(alert.steps):
                return None
            return f"Next step due, {alert.steps[step]}: {rendered}"

        with self._publishing:
            rows = self._pending("step_due", ("firing", "claimed"))
            notices = [_Notice(row, row.owner_slack_id or row.channel_id, text, "csm") for row in rows]
            return self._send(notices, "step")

    def _pending(self, action: str, states: Sequence[str]) -> list[Any]:
        """Pending notices of `action`, oldest first. Those whose alert has left `states`, or older than
        NOTICE_MAX_AGE (a long outage: the news is stale), are marked skipped instead."""
        now = self._clock.now()
        with unit_of_work(self._engine) as session:
            rows = session.execute(
                select(
                    AlertEvent.id,
                    AlertEvent.alert_id,
                    AlertEvent.at,
                    AlertEvent.details,
                    Alert.state,
                    Alert.owner_slack_id,
                    Alert.channel_id,
                    SlackUser.manager_slack_id,
                )
                .join(Alert, Alert.id == AlertEvent.alert_id)
                .join(SlackUser, SlackUser.slack_user_id == Alert.owner_slack_id, isouter=True)
                .where(AlertEvent.notice == NOTICE_PENDING, AlertEvent.action == action)
                .order_by(AlertEvent.at, AlertEvent.id)
            ).all()
        live = [r for r in rows if r.state in states and r.at >= now - NOTICE_MAX_AGE]
        dropped = [r.id for r in rows if r not in live]
        if dropped:
            log.info("notices.skipped", action=action, count=len(dropped))
            self._settle(dropped, NOTICE_SKIPPED)
        return live

    def _settle(self, event_ids: Sequence[int], notice: str) -> None:
        with unit_of_work(self._engine) as session:
            session.execute(
                update(AlertEvent)
                .where(AlertEvent.id.in_(event_ids), AlertEvent.notice == NOTICE_PENDING)
                .values(notice=notice)
            )

    def _sent(self, event_id: int) -> Callable[[str, str], None]:
        def record(_channel: str, _ts: str) -> None:
            self._settle([event_id], NOTICE_SENT)

        return record

    def _send(self, notices: Sequence[_Notice], kind: str) -> int:
        """Post each notice; its event is marked sent once Slack accepted it (alone or in a digest),
        stays pending when Slack refused, and is skipped when there is no one to tell or nothing left
        to say."""
        views = self.views(sorted({n.row.alert_id for n in notices}))
        submitted, skipped = 0, []
        for n in notices:
            alert = views.get(n.row.alert_id)
            rendered = alert_message(alert, n.audience) if alert is not None else None
            text = n.text(alert, n.row, rendered.text) if alert is not None and rendered else None
            if rendered is None or text is None or not n.to:
                skipped.append(n.row.id)
                continue
            blocks = [dict(b) for b in rendered.blocks]
            self._queue.submit(Outgoing(n.to, text, blocks, self._sent(n.row.id), n.row.alert_id, kind=kind))
            submitted += 1
        if skipped:
            self._settle(skipped, NOTICE_SKIPPED)
        return self._queue.flush().posted if submitted else 0

    def refresh(self, alert_id: str) -> bool:
        """Update the alert's own message in place; False when it has none (not posted, or digested)."""
        with unit_of_work(self._engine) as session:
            alert = session.get(Alert, alert_id)
            if (
                alert is None
                or not alert.message_ts
                or not alert.channel_id
                or (alert.details or {}).get("digest")
            ):
                return False
            channel, ts = alert.channel_id, alert.message_ts
        rendered = alert_message(self.views([alert_id])[alert_id], "csm")
        try:
            self._client.chat_update(
                channel=channel, ts=ts, text=rendered.text, blocks=[dict(b) for b in rendered.blocks]
            )
        except SlackApiError as exc:
            log.warning("alerts.update_failed", alert=alert_id, error=str(exc.response.get("error")))
            return False
        return True
