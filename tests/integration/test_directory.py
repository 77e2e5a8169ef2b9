"""Slack users imported from the Slack sandbox's directory; a re-import keeps what it was not given."""

from __future__ import annotations

from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.permissions import RoleConfig
from bot.services.directory import import_slack_users
from sandbox.slack import start_slack
from store.models import SlackUser
from store.uow import unit_of_work


def test_import_then_reimport_keeps_channels_owner_ids_and_choices(engine: Engine, tmp_path: Path) -> None:
    slack = start_slack(state_dir=tmp_path / "slack", csm_count=3)
    try:
        client = WebClient(token=slack.info()["bot_token"], base_url=slack.info()["base_url"])
        roles = RoleConfig.from_csv("UADMIN", "UMANAGER")
        count = import_slack_users(
            engine,
            client,
            roles,
            home_channels={"csm001@retainer.example": "CCSM001"},
            crm_owner_ids={"csm001@retainer.example": "80000001"},
            default_manager="UMANAGER",
        )
        assert count == 5  # three CSMs, the manager and the admin; the bot is left out
        with unit_of_work(engine) as session:
            session.get(SlackUser, "UCSM001").digest_mode = "daily"
        assert import_slack_users(engine, client, roles) == 5
        with unit_of_work(engine) as session:
            csm = session.get(SlackUser, "UCSM001")
            assert (csm.email, csm.role, csm.home_channel_id) == ("csm001@retainer.example", "csm", "CCSM001")
            assert (csm.crm_owner_id, csm.manager_slack_id, csm.digest_mode) == (
                "80000001",
                "UMANAGER",
                "daily",
            )
            assert session.get(SlackUser, "UADMIN").role == "admin"
            assert session.get(SlackUser, "UMANAGER").role == "manager"
    finally:
        slack.stop()
