"""Roles and permission decisions."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.permissions import Role, RoleConfig, may_act_on_alert, may_run_command, role_of
from store.models import SlackUser
from store.uow import unit_of_work


def test_roles_from_settings_then_store_then_csm(engine: Engine) -> None:
    config = RoleConfig.from_csv("UADMIN, ", "UMGR1,UMGR2")
    with unit_of_work(engine) as session:
        session.add(SlackUser(slack_user_id="UMGR3", role="manager"))
        session.add(SlackUser(slack_user_id="UODD", role="superuser"))
    with unit_of_work(engine) as session:
        assert role_of("UADMIN", config, session) is Role.ADMIN
        assert role_of("UMGR2", config, session) is Role.MANAGER
        assert role_of("UMGR3", config, session) is Role.MANAGER
        assert role_of("UODD", config, session) is Role.CSM
        assert role_of("USOMEONE", config, session) is Role.CSM


def test_command_permissions() -> None:
    assert may_run_command("/portfolio", Role.CSM).allowed
    refusal = may_run_command("/sync", Role.CSM)
    assert not refusal.allowed
    assert "for admins" in refusal.reason
    assert may_run_command("/sync", Role.ADMIN).allowed
    assert not may_run_command("/rm-rf", Role.ADMIN).allowed


def test_alert_permissions() -> None:
    assert may_act_on_alert("UOWNER", Role.CSM, "UOWNER", []).allowed
    assert may_act_on_alert("UPEER", Role.CSM, "UOWNER", ["UPEER"]).allowed
    assert may_act_on_alert("UBOSS", Role.MANAGER, "UOWNER", []).allowed
    refused = may_act_on_alert("UOTHER", Role.CSM, "UOWNER", ["UPEER"])
    assert not refused.allowed
    assert "<@UOWNER>" in refused.reason
