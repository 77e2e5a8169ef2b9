"""The HubSpot streams end to end: sandbox portal -> SDK -> connector -> store (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.runner import StreamOptions, build_streams, sync_hubspot
from connectors.hubspot.streams import ObjectStream
from connectors.sync import Page
from sandbox.hubspot import HubSpotSandbox
from store import keys
from store.models import Account, Deal, StakeholderRole, SyncRun, Ticket
from store.uow import unit_of_work
from tests.hubspot.helpers import champion_and_peer, sandbox_state, store_state


def _sync(engine: Engine, calls: HubSpotCalls, *, full: bool = False, **options: int) -> dict[str, object]:
    streams = build_streams(engine, calls, options=StreamOptions(**options))
    return {r.stream: r for r in sync_hubspot(engine, streams, full=full)}


def test_initial_load_equals_the_portal(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    results = _sync(engine, calls, full=True)
    assert all(r.status == "ok" for r in results.values())  # type: ignore[attr-defined]
    assert store_state(engine) == sandbox_state(hubspot_sandbox)
    assert calls.stats.by_kind.get("search", 0) == 0  # the initial load pages with the list API
    with unit_of_work(engine) as s:
        acc = s.get(Account, keys.account_key("hubspot", str(hubspot_sandbox.ids("companies")[0])))
        assert acc is not None and acc.industry in {
            "Software",
            "Healthcare",
            "Retail",
            "Media",
            "Energy",
            "Logistics",
            "Education",
            "Manufacturing",
            "Hospitality",
            "Financial Services",
        }
        assert acc.renewal_date is not None and acc.crm_owner_id and acc.crm_owner_id.startswith("800")
        runs = s.scalar(select(func.count()).select_from(SyncRun).where(SyncRun.status == "ok"))
        assert runs == 5


def test_incremental_picks_up_edits_and_archives(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    hubspot_sandbox.advance(120)
    company = hubspot_sandbox.ids("companies")[5]
    deal = hubspot_sandbox.ids("deals")[3]
    hubspot_sandbox.update("companies", company, {"name": "Renamed & Co", "retainer_arr": "1234.50"})
    hubspot_sandbox.archive("deals", deal)
    calls.stats.by_kind.clear()
    results = _sync(engine, calls)
    assert calls.stats.by_kind.get("search", 0) >= 4 and results["companies"].records_upserted <= 3  # type: ignore[attr-defined]
    assert store_state(engine) == sandbox_state(hubspot_sandbox)
    with unit_of_work(engine) as s:
        acc = s.get(Account, keys.account_key("hubspot", str(company)))
        assert acc is not None and acc.name == "Renamed & Co" and str(acc.arr) == "1234.50"
        gone = s.get(Deal, keys.deal_key("hubspot", str(deal)))
        assert gone is not None and gone.is_deleted


def test_incremental_search_pages_by_key_past_the_result_cap(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    hubspot_sandbox.set_search_cap(20)  # the sandbox's 10,000 made small so the test stays fast
    hubspot_sandbox.advance(60)
    contacts = hubspot_sandbox.ids("contacts")
    for i, contact in enumerate(contacts):
        hubspot_sandbox.update("contacts", contact, {"jobtitle": f"Title {i}"})
    results = _sync(engine, calls, search_limit=7)
    assert results["contacts"].records_read == len(contacts)  # type: ignore[attr-defined]
    assert hubspot_sandbox.server.log.count("POST", "contacts/search", status=400) == 0
    assert store_state(engine) == sandbox_state(hubspot_sandbox)


class _EditAfterFirstPage:
    """A stream that lets a HubSpot user edit a record between the search's first and second page."""

    def __init__(self, stream: ObjectStream, edit: Any) -> None:
        self.inner, self.edit = stream, edit
        self.source, self.name = stream.source, stream.name

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        for i, page in enumerate(self.inner.pages(cursor, full=full)):
            if i == 0:
                self.edit()  # before the generator resumes, i.e. before the next search request
            yield page


def test_a_record_edited_while_search_pages_skips_no_other_record(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    hubspot_sandbox.advance(60)
    companies = hubspot_sandbox.ids("companies")[:10]
    for i, company in enumerate(companies):
        hubspot_sandbox.advance(1)
        hubspot_sandbox.update("companies", company, {"name": f"Edited {i}"})

    def edit_first_result() -> None:  # it moves to the end of the modification-date order
        hubspot_sandbox.advance(1)
        hubspot_sandbox.update("companies", companies[0], {"name": "Edited 0 again"})

    (stream,) = build_streams(engine, calls, options=StreamOptions(search_limit=3), only=("companies",))
    assert isinstance(stream, ObjectStream)
    sync_hubspot(engine, [_EditAfterFirstPage(stream, edit_first_result)])
    assert store_state(engine) == sandbox_state(hubspot_sandbox)
    with unit_of_work(engine) as s:
        names = {a.crm_id: a.name for a in s.scalars(select(Account).where(Account.source == "hubspot"))}
    assert [names[str(c)] for c in companies] == ["Edited 0 again", *(f"Edited {i}" for i in range(1, 10))]


# (object, its HubSpot-defined unlabeled company association type): a second, non-primary company link
SECOND_COMPANY = {"deals": 341, "tickets": 339}


@pytest.mark.parametrize("full", [True, False], ids=["list", "search"])
@pytest.mark.parametrize("object_type", ["deals", "tickets"])
def test_the_primary_company_wins_over_another_linked_company(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls, object_type: str, full: bool
) -> None:
    lowest = hubspot_sandbox.ids("companies")[0]
    linked = hubspot_sandbox.state.associated(object_type, hubspot_sandbox.ids(object_type), "companies")
    record, companies = next((r, c) for r, c in linked.items() if lowest not in c)
    (primary,) = companies
    if not full:
        _sync(engine, calls, full=True)
        hubspot_sandbox.advance(60)
    # a partner company (with a lower id) is linked too, without the Primary label
    spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": SECOND_COMPANY[object_type]}
    calls.associate(object_type, str(record), "companies", str(lowest), [spec])
    name = "subject" if object_type == "tickets" else "dealname"
    hubspot_sandbox.update(object_type, record, {name: "Touched"})
    _sync(engine, calls, full=full)
    model, key = (Ticket, keys.ticket_key) if object_type == "tickets" else (Deal, keys.deal_key)
    with unit_of_work(engine) as s:
        stored = s.get(model, key("hubspot", str(record)))
        assert stored is not None and stored.account_id == keys.account_key("hubspot", str(primary))


def test_unknown_picklist_values_are_rejected_and_the_rest_is_written(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    deals = hubspot_sandbox.ids("deals")
    hubspot_sandbox.update_raw("deals", deals[0], {"dealstage": "ClosedWon"})  # wrong case: not a known value
    results = _sync(engine, calls, full=True)
    run = results["deals"]
    assert run.status == "partial" and run.records_rejected == 1  # type: ignore[attr-defined]
    assert run.errors[0]["record_id"] == str(deals[0]) and "ClosedWon" in run.errors[0]["error"]  # type: ignore[attr-defined]
    with unit_of_work(engine) as s:
        assert s.get(Deal, keys.deal_key("hubspot", str(deals[0]))) is None
        assert s.scalar(select(func.count()).select_from(Deal)) == len(deals) - 1
        recorded = s.scalars(select(SyncRun).where(SyncRun.stream == "deals")).one()
        assert recorded.records_rejected == 1 and "dealstage" in recorded.errors[0]["field"]


def test_label_changes_close_and_open_stakeholder_roles(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    labels = sorted(hubspot_sandbox.role_labels())
    company, old, new = champion_and_peer(labels)
    hubspot_sandbox.set_role_label(company, old, "champion", on=False)
    hubspot_sandbox.set_role_label(company, new, "champion", on=True)
    _sync(engine, calls)
    assert store_state(engine) == sandbox_state(hubspot_sandbox)
    with unit_of_work(engine) as s:
        history = s.scalars(
            select(StakeholderRole).where(
                StakeholderRole.account_id == keys.account_key("hubspot", str(company)),
                StakeholderRole.role == "champion",
            )
        ).all()
        by_contact = {r.contact_id: r for r in history}
        assert by_contact[keys.contact_key("hubspot", str(old))].valid_to is not None
        assert by_contact[keys.contact_key("hubspot", str(new))].valid_to is None
