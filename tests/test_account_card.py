"""`/account`'s data: ranked fuzzy search with a picker, and the account card."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from bot.services.account_card import CrmLinkBases, account_card, crm_link, find_accounts
from bot.services.account_search import CONTAINS, EXACT_ID, EXACT_NAME, PREFIX
from store import keys
from store.models import Account, Contact, Outcome, StakeholderRole
from store.uow import unit_of_work
from tests.surface_data import NOW, TODAY, alert, load_book, snapshot


def _account(crm_id: str, name: str, *, source: str = "salesforce", deleted: bool = False) -> Account:
    return Account(
        id=keys.account_key(source, crm_id),
        source=source,
        crm_id=crm_id,
        name=name,
        arr=Decimal(1000),
        is_deleted=deleted,
        extra={},
    )


def _seed_names(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add_all(
            [
                _account("001A", "Acme Corp"),
                _account("001B", "Acme Labs"),
                _account("001C", "Big Acme"),
                _account("001D", "ACME"),
                _account("001E", "Acme Gone", deleted=True),
                _account("001F", "100% Cotton"),
                _account("001G", "1000 Widgets"),
                _account("9001", "Account with id 001A in its name", source="hubspot"),
            ]
        )


def test_search_on_an_empty_store_finds_nothing(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        search = find_accounts(session, "acme")
        blank = find_accounts(session, "   ")
    assert search.matches == () and search.chosen is None and not search.ambiguous
    assert blank.matches == ()


def test_exact_id_then_exact_name_then_prefix_then_contains(engine: Engine) -> None:
    _seed_names(engine)
    with unit_of_work(engine) as session:
        by_id = find_accounts(session, "001A")
        by_name = find_accounts(session, "acme")
        prefix = find_accounts(session, "acm")
        literal = find_accounts(session, "100%")
    assert by_id.chosen is not None and by_id.chosen.name == "Acme Corp" and by_id.chosen.rank == EXACT_ID
    assert [m.rank for m in by_id.matches] == [EXACT_ID, CONTAINS]
    assert by_name.chosen is not None and by_name.chosen.name == "ACME" and by_name.chosen.rank == EXACT_NAME
    assert prefix.ambiguous and prefix.chosen is None
    assert [(m.name, m.rank) for m in prefix.matches] == [
        ("ACME", PREFIX),
        ("Acme Corp", PREFIX),
        ("Acme Labs", PREFIX),
        ("Big Acme", CONTAINS),
    ]
    assert [m.name for m in literal.matches] == ["100% Cotton"]


def test_crm_links_are_built_from_the_bases_passed_in() -> None:
    bases = CrmLinkBases(salesforce_instance_url="https://sf.example/", hubspot_portal_id="123")
    assert crm_link(bases, "salesforce", "001A") == "https://sf.example/lightning/r/Account/001A/view"
    assert crm_link(bases, "hubspot", "9001") == "https://app.hubspot.com/contacts/123/company/9001"
    assert crm_link(CrmLinkBases(), "salesforce", "001A") is None


def test_unknown_or_deleted_account_has_no_card(engine: Engine) -> None:
    _seed_names(engine)
    with unit_of_work(engine) as session:
        assert account_card(session, "no-such-id", TODAY) is None
        assert account_card(session, keys.account_key("salesforce", "001E"), TODAY) is None


def test_a_new_account_has_an_empty_but_complete_card(engine: Engine) -> None:
    _seed_names(engine)
    with unit_of_work(engine) as session:
        card = account_card(
            session, keys.account_key("hubspot", "9001"), TODAY, links=CrmLinkBases(None, "77")
        )
    assert card is not None
    assert card.health is None and card.trend == () and card.stakeholders == ()
    assert card.single_threaded and card.open_deals == () and card.alerts == () and card.outcomes == ()
    assert card.crm_url == "https://app.hubspot.com/contacts/77/company/9001"
    assert card.tier == "tech" and card.renewal_date is None and card.days_to_renewal is None


def test_card_has_health_trend_stakeholders_deals_alerts_and_outcomes(engine: Engine) -> None:
    accounts = load_book(engine)
    acc = next(a for a in accounts if a.crm_id == "ACC-0000001")  # champion + exec sponsor, one open deal
    with unit_of_work(engine) as session:
        for weeks in range(15):
            day = TODAY - timedelta(days=7 * weeks)
            session.add(snapshot(acc.id, day, 80 - weeks, "healthy", [{"driver": f"w{weeks}"}]))
        session.add(alert(acc.id, "usage_decline", NOW - timedelta(days=3)))
        # held back by a timing experiment until tomorrow: not on the card yet
        session.add(
            alert(acc.id, "renewal_risk", NOW - timedelta(hours=1), deliver_at=NOW + timedelta(days=1))
        )
        old = alert(acc.id, "ticket_spike", NOW - timedelta(days=30), state="done")
        session.add(old)
        session.flush()
        session.add(
            Outcome(
                alert_id=old.id,
                play_id="ticket_spike",
                account_id=acc.id,
                result="saved",
                what_was_done="Called the champion",
                logged_by="A1",
                logged_at=NOW - timedelta(days=29),
            )
        )
    with unit_of_work(engine) as session:
        card = account_card(session, acc.id, TODAY, links=CrmLinkBases("https://sf.example"))
    assert card is not None and card.name == acc.name
    assert card.crm_url == "https://sf.example/lightning/r/Account/ACC-0000001/view"
    assert card.health is not None and (card.health.score, card.health.as_of) == (80, TODAY)
    assert card.health.drivers == ({"driver": "w0"},)
    assert len(card.trend) == 12 and card.trend[-1].score == 80 and card.trend[0].score == 69
    assert [s.roles for s in card.stakeholders] == [("champion",), ("exec_sponsor",)]
    assert not card.single_threaded
    assert len(card.open_deals) == 1
    assert card.days_to_renewal == (acc.renewal_date - TODAY).days
    assert [a.play_id for a in card.alerts] == ["usage_decline", "ticket_spike"]
    assert [(o.result, o.what_was_done) for o in card.outcomes] == [("saved", "Called the champion")]


def test_single_threading_counts_only_engaged_current_stakeholders(engine: Engine) -> None:
    accounts = load_book(engine)
    acc = next(a for a in accounts if a.crm_id == "ACC-0000001")
    with unit_of_work(engine) as session:
        sponsor = session.scalars(
            select(Contact).where(Contact.account_id == acc.id, Contact.crm_id == "ACC-0000001-C1")
        ).one()
        sponsor.left_company_at = TODAY - timedelta(days=1)
        # an expired role does not count either
        former = Contact(
            id=keys.contact_key("salesforce", "X1"), source="salesforce", crm_id="X1", account_id=acc.id
        )
        session.add(former)
        session.flush()
        session.add(
            StakeholderRole(
                account_id=acc.id,
                contact_id=former.id,
                role="admin",
                valid_from=date(2024, 1, 1),
                valid_to=date(2025, 1, 1),
                source="slack",
            )
        )
    with unit_of_work(engine) as session:
        card = account_card(session, acc.id, TODAY)
    assert card is not None
    assert [(s.roles, s.engaged) for s in card.stakeholders] == [
        (("champion",), True),
        (("exec_sponsor",), False),
    ]
    assert card.single_threaded


def test_a_role_held_through_two_crm_records_is_listed_once(engine: Engine) -> None:
    """A champion on a renewal's and an upsell's contact role has two spells, one person, one role."""
    accounts = load_book(engine)
    acc = next(a for a in accounts if a.crm_id == "ACC-0000001")
    with unit_of_work(engine) as session:
        role = session.scalars(
            select(StakeholderRole).where(
                StakeholderRole.account_id == acc.id, StakeholderRole.role == "champion"
            )
        ).one()
        session.add(
            StakeholderRole(
                account_id=acc.id,
                contact_id=role.contact_id,
                role="champion",
                valid_from=role.valid_from,
                source="salesforce",
                crm_id="00K000000000002AAA",
            )
        )
    with unit_of_work(engine) as session:
        card = account_card(session, acc.id, TODAY)
    assert card is not None
    assert [s.roles for s in card.stakeholders] == [("champion",), ("exec_sponsor",)]
