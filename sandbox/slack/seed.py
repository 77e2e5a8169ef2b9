"""The seeded workspace: CSMs csm000..csmNNN, a manager, an admin, the bot, and the alert channels.

Ids are readable and deterministic (``UCSM007``, ``CCSM007``) so tests and the demo can name them.
"""

from __future__ import annotations

import secrets
from typing import Any

TEAM_ID = "T0RETAINER"
TEAM_DOMAIN = "retainer"
APP_ID = "A0RETAINER"
BOT_ID = "B0RETAINER"
BOT_USER_ID = "U0RETAINERBOT"
EMAIL_DOMAIN = "retainer.example"


def user(uid: str, name: str, real_name: str, *, email: str | None, **flags: bool) -> dict[str, Any]:
    profile: dict[str, Any] = {"real_name": real_name, "display_name": name}
    if email is not None:
        profile["email"] = email
    return {
        "id": uid,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": real_name,
        "deleted": False,
        "tz": "Europe/London",
        "is_admin": flags.get("is_admin", False),
        "is_owner": flags.get("is_admin", False),
        "is_bot": flags.get("is_bot", False),
        "is_app_user": False,
        "profile": profile,
    }


def channel(cid: str, name: str, members: list[str], purpose: str, created: int) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "is_channel": True,
        "is_private": False,
        "is_im": False,
        "is_archived": False,
        "created": created,
        "creator": BOT_USER_ID,
        "purpose": {"value": purpose},
        "topic": {"value": ""},
        "members": sorted(members),
    }


def seed_workspace(csm_count: int, created: int) -> dict[str, Any]:
    """A fresh workspace state (the JSON document the sandbox persists)."""
    users = [user(BOT_USER_ID, "retainer", "retainer", email=None, is_bot=True)]
    users.append(user("UMANAGER", "manager", "Morgan Manager", email=f"manager@{EMAIL_DOMAIN}"))
    users.append(user("UADMIN", "admin", "Alex Admin", email=f"admin@{EMAIL_DOMAIN}", is_admin=True))
    csm_ids = [f"UCSM{i:03d}" for i in range(csm_count)]
    for i, uid in enumerate(csm_ids):
        users.append(user(uid, f"csm{i:03d}", f"CSM {i:03d}", email=f"csm{i:03d}@{EMAIL_DOMAIN}"))
    everyone = [u["id"] for u in users]
    channels = [
        channel("CCSALERTS", "cs-alerts", everyone, "Account health alerts", created),
        channel(
            "CCSESCALATIONS",
            "cs-escalations",
            [BOT_USER_ID, "UMANAGER", "UADMIN"],
            "Escalated alerts",
            created,
        ),
    ]
    for i, uid in enumerate(csm_ids):
        channels.append(
            channel(
                f"CCSM{i:03d}",
                f"csm-{i:03d}",
                [BOT_USER_ID, uid, "UMANAGER"],
                f"Alerts for csm{i:03d}",
                created,
            )
        )
    return {
        "bot_token": "xoxb-" + secrets.token_hex(12),
        "app_token": "xapp-1-" + secrets.token_hex(12),  # app-level token: Socket Mode only
        "signing_secret": secrets.token_hex(16),
        "users": {u["id"]: u for u in users},
        "channels": {c["id"]: c for c in channels},
        "messages": {c["id"]: [] for c in channels},
        "views": {},
        "home": {},
        "files": {},
    }
