"""`retainer doctor`: checks configuration, the database and each configured service, one line each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.doctor_currency import currency_verdict, hubspot_currency, salesforce_currency
from bot.settings import Settings
from store import migrate
from store.db import make_engine

TIMEOUT_SECONDS = 10.0  # each request to a service: a doctor that hangs tells nothing


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    skipped: bool = False


def check_database(settings: Settings) -> Check:
    try:
        engine = make_engine(settings.database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return Check("database", False, f"cannot connect to DATABASE_URL: {reason}")
    url = engine.url.render_as_string(hide_password=True)
    if current != head:
        return Check(
            "database", False, f"{url}: schema at {current}, latest is {head}: run `retainer db upgrade`"
        )
    return Check("database", True, f"{url}: schema at latest revision {head}")


def check_salesforce(settings: Settings) -> Check:
    if not settings.salesforce_configured:
        return Check("salesforce", True, "not configured (SALESFORCE_INSTANCE_URL unset)", skipped=True)
    from bot.cli.salesforce_sync import salesforce_config
    from connectors.salesforce.client import connect

    try:
        sf = connect(replace(salesforce_config(settings), timeout=TIMEOUT_SECONDS))
        sf.session.request("GET", f"{sf.base_url}limits/", headers=sf.headers).raise_for_status()
        crm = salesforce_currency(sf)
    except Exception as exc:  # doctor reports every failure as one line; nothing is retried
        return Check("salesforce", False, f"{settings.salesforce_instance_url}: {_one_line(exc)}")
    ok, currency = currency_verdict(crm, settings.currency, "org")
    return Check(
        "salesforce", ok, f"{settings.salesforce_instance_url}: reachable, session valid; {currency}"
    )


def check_hubspot(settings: Settings) -> Check:
    if not settings.hubspot_configured or settings.hubspot_access_token is None:
        return Check("hubspot", True, "not configured (HUBSPOT_ACCESS_TOKEN unset)", skipped=True)
    from connectors.hubspot.calls import HubSpotCalls, RetryPolicy
    from connectors.hubspot.client import HubSpotConfig, connect

    try:
        client = connect(HubSpotConfig(settings.hubspot_access_token, settings.hubspot_host))
        client.crm.properties.core_api.get_all(object_type="companies", _request_timeout=TIMEOUT_SECONDS)
        # one attempt each: doctor reports what it finds, it does not retry
        calls = HubSpotCalls(client, retry=RetryPolicy(attempts=1), timeout=TIMEOUT_SECONDS)
        crm = hubspot_currency(calls)
    except Exception as exc:  # doctor reports every failure as one line
        return Check("hubspot", False, f"{settings.hubspot_host}: {_one_line(exc)}")
    ok, currency = currency_verdict(crm, settings.currency, "account")
    return Check("hubspot", ok, f"{settings.hubspot_host}: reachable, token accepted; {currency}")


def check_slack(settings: Settings) -> Check:
    if settings.slack_bot_token is None:
        return Check("slack", True, "not configured (SLACK_BOT_TOKEN unset)", skipped=True)
    from slack_sdk import WebClient

    base = settings.slack_api_base_url or WebClient.BASE_URL
    try:
        client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=base, timeout=10)
        auth = client.auth_test()
    except Exception as exc:  # doctor reports every failure as one line
        return Check("slack", False, f"{base}: {_one_line(exc)}")
    problems = [] if settings.slack_signing_secret else ["SLACK_SIGNING_SECRET is not set"]
    if settings.slack_mode == "socket" and settings.slack_app_token is None:
        problems.append("SLACK_APP_TOKEN is not set (SLACK_MODE=socket needs it)")
    if problems:
        return Check(
            "slack", False, f"{base}: token ok for team {auth.get('team')}, but " + "; ".join(problems)
        )
    return Check("slack", True, f"{base}: bot {auth.get('user')} in team {auth.get('team')}")


def _one_line(exc: BaseException) -> str:
    text_ = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text_[0] if text_ else ''}"[:300]


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_database,
    check_salesforce,
    check_hubspot,
    check_slack,
)


def run_checks(settings: Settings) -> list[Check]:
    return [check(settings) for check in CHECKS]
