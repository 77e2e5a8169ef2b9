"""Publishing alerts to Slack and keeping their messages current.

`publish_pending` renders every open alert that has no message yet and sends it through the posting
queue (1 message/s/channel, Retry-After, floods become one digest per channel). The alert's channel id
and message ts are stored only after Slack accepted the post. `refresh` re-renders an alert after a
state change and updates its message in place for everyone. Alerts that went out inside a digest keep
the digest's ts and `details.digest = true`; the digest is not rewritten when one of them changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, select

from bot.posting import FlushReport, Outgoing, PostQueue
from bot.slack.alert_views import alert_views
from bot.slack.crm_links import CrmLinks
from messages import models as view
from messages.alerts import alert_message
from messages.notices import digest_message
from plays.catalog import Catalog
from plays.segments import SegmentConfig
from store.models import OPEN_ALERT_STATES, Alert
from store.uow import unit_of_work

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Rendering:
    catalog: Catalog
    segments: SegmentConfig
    links: CrmLinks


def _record_post(engine: Engine, alert_id: str, digest: bool) -> Callable[[str, str], None]:
    def record(channel: str, ts: str) -> None:
        with unit_of_work(engine) as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                return
            alert.channel_id, alert.message_ts = channel, ts
            alert.details = {**(alert.details or {}), "digest": digest}

    return record


class AlertPublisher:
    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        rendering: Rendering,
        *,
        post_client: WebClient | None = None,
        min_interval: float = 1.0,
        digest_threshold: int = 5,
    ) -> None:
        """`client` updates messages; `post_client` (default: `client`) posts through the queue and
        should carry no 429 retry handler of its own, since the queue honours Retry-After itself."""
        self._engine = engine
        self._client = client
        self._rendering = rendering
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
        views = self.views([m.key for m in messages])
        items = [
            view.DigestItem(
                alert_id=v.id,
                play_id=v.play_id,
                play_name=v.play_name,
                account_id=v.account.id,
                account_name=v.account.name,
                reason=v.reason,
                severity=v.severity,
                arr=v.account.arr,
            )
            for v in views.values()
        ]
        rendered = digest_message(items, title=f"{len(items)} new alerts")
        callbacks = [_record_post(self._engine, m.key, digest=True) for m in messages]

        def record_all(channel_id: str, ts: str) -> None:
            for callback in callbacks:
                callback(channel_id, ts)

        return Outgoing(
            channel, rendered.text, [dict(b) for b in rendered.blocks], on_posted=record_all, key="digest"
        )

    def publish_pending(self, limit: int = 20_000) -> FlushReport:
        with unit_of_work(self._engine) as session:
            rows = session.execute(
                select(Alert.id, Alert.channel_id)
                .where(Alert.message_ts.is_(None), Alert.state.in_(OPEN_ALERT_STATES))
                .order_by(Alert.fired_at, Alert.id)
                .limit(limit)
            ).all()
        views = self.views([row.id for row in rows])
        for row in rows:
            alert = views.get(row.id)
            if alert is None or not row.channel_id:
                continue
            rendered = alert_message(alert, "csm")
            self._queue.submit(
                Outgoing(
                    row.channel_id,
                    rendered.text,
                    [dict(b) for b in rendered.blocks],
                    on_posted=_record_post(self._engine, row.id, digest=False),
                    key=row.id,
                )
            )
        report = self._queue.flush()
        log.info("alerts.published", posted=report.posted, digests=report.digests, failed=len(report.failed))
        return report

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
