"""Alert routing: routes by priority, owner's home channel, default channel."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.services.routing import Router
from store import keys
from store.models import Account, ChannelRoute, CsmAssignment, SlackUser
from store.uow import unit_of_work


def _seed(engine: Engine) -> tuple[str, str]:
    a1, a2 = keys.account_key("salesforce", "A1"), keys.account_key("salesforce", "A2")
    with unit_of_work(engine) as session:
        for aid, crm in ((a1, "A1"), (a2, "A2")):
            session.add(
                Account(
                    id=aid,
                    source="salesforce",
                    crm_id=crm,
                    name=crm,
                    crm_owner_id="005OWNER",
                    extra={},
                    synced_at=datetime.now(UTC),
                )
            )
        session.add(SlackUser(slack_user_id="UMGR", role="manager"))
        session.add(
            SlackUser(
                slack_user_id="UCSM1",
                crm_owner_id="005OWNER",
                home_channel_id="CCSM1",
                manager_slack_id="UMGR",
            )
        )
        session.add(SlackUser(slack_user_id="UCSM2", home_channel_id="CCSM2"))
        session.flush()
        session.add(CsmAssignment(account_id=a2, slack_user_id="UCSM2", role="owner"))
    return a1, a2


def test_owner_home_channel_then_default(engine: Engine) -> None:
    a1, a2 = _seed(engine)
    with unit_of_work(engine) as session:
        router = Router.load(session, "#cs-alerts")
    route = router.route(account_id=a1, crm_owner_id="005OWNER", tier="mid", play_id="usage_decline")
    assert (route.channel, route.owner_slack_id, route.manager_slack_id) == ("CCSM1", "UCSM1", "UMGR")
    assigned = router.route(account_id=a2, crm_owner_id="005OWNER", tier="mid", play_id="usage_decline")
    assert (assigned.channel, assigned.owner_slack_id) == ("CCSM2", "UCSM2")
    orphan = router.route(account_id="x", crm_owner_id="005NOBODY", tier="tech", play_id="milestone")
    assert (orphan.channel, orphan.owner_slack_id) == ("#cs-alerts", None)


def test_routes_match_by_priority_and_fields(engine: Engine) -> None:
    a1, _ = _seed(engine)
    with unit_of_work(engine) as session:
        session.add(ChannelRoute(priority=10, tier="high", channel_id="CHIGH"))
        session.add(ChannelRoute(priority=5, tier="high", play_id="renewal_risk", channel_id="CRENEWALS"))
        session.add(ChannelRoute(priority=50, csm_slack_id="UCSM1", channel_id="CCSM1-ALERTS"))
    with unit_of_work(engine) as session:
        router = Router.load(session, "#cs-alerts")
    assert router.route(
        account_id=a1, crm_owner_id="005OWNER", tier="high", play_id="renewal_risk"
    ).channel == ("CRENEWALS")
    assert (
        router.route(account_id=a1, crm_owner_id="005OWNER", tier="high", play_id="milestone").channel
        == "CHIGH"
    )
    assert router.route(account_id=a1, crm_owner_id="005OWNER", tier="mid", play_id="milestone").channel == (
        "CCSM1-ALERTS"
    )
