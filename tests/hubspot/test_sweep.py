"""Reconciliation: a complete full sync marks deleted the rows of records HubSpot no longer lists at all
(purged, not archived), and refuses to when that would delete an implausible share of the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from connectors.hubspot.calls import HubSpotCalls
from connectors.hubspot.runner import build_streams, sync_hubspot
from connectors.sync import RunResult
from sandbox.hubspot import HubSpotSandbox
from store import keys
from store.models import Account, Deal, StakeholderRole
from store.uow import unit_of_work


def _sync(engine: Engine, calls: HubSpotCalls, *, full: bool, **kwargs: Any) -> dict[str, RunResult]:
    return {r.stream: r for r in sync_hubspot(engine, build_streams(engine, calls), full=full, **kwargs)}


def _deleted(engine: Engine, model: type[Account] | type[Deal], ids: list[int]) -> list[bool]:
    key = keys.account_key if model is Account else keys.deal_key
    with unit_of_work(engine) as s:
        found = {i: gone for i, gone in s.execute(select(model.id, model.is_deleted))}
    return [found[key("hubspot", str(i))] for i in ids]


def test_a_full_sync_marks_purged_records_deleted_and_an_incremental_one_cannot(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    company, deal = hubspot_sandbox.ids("companies")[4], hubspot_sandbox.ids("deals")[2]
    kept = hubspot_sandbox.ids("companies")[5]
    hubspot_sandbox.purge("companies", company)
    hubspot_sandbox.purge("deals", deal)
    hubspot_sandbox.advance(60)

    _sync(engine, calls, full=False)
    assert _deleted(engine, Account, [company, kept]) == [False, False]  # nothing tells an increment

    results = _sync(engine, calls, full=True)
    assert _deleted(engine, Account, [company, kept]) == [True, False]
    assert _deleted(engine, Deal, [deal]) == [True]
    assert results["companies"].status == "ok" and results["companies"].records_deleted == 1
    assert results["deals"].records_deleted == 1


def test_a_record_read_but_rejected_is_not_swept(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    company = hubspot_sandbox.ids("companies")[3]
    hubspot_sandbox.update_raw("companies", company, {"industry": "AVIATION"})  # not mapped: rejected
    hubspot_sandbox.advance(60)
    results = _sync(engine, calls, full=True)
    assert any(e.get("record_id") == str(company) for e in results["companies"].errors)
    assert _deleted(engine, Account, [company]) == [False]


def test_a_full_sync_that_misses_too_much_deletes_nothing_and_says_why(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    _sync(engine, calls, full=True)
    purged = hubspot_sandbox.ids("companies")[:12]  # 12 of 30: more than 10 rows and 10%
    for company in purged:
        hubspot_sandbox.purge("companies", company)
    hubspot_sandbox.advance(60)

    results = _sync(engine, calls, full=True)
    companies = results["companies"]
    assert companies.status == "partial" and companies.records_deleted == 0
    refusal = next(e for e in companies.errors if e.get("kind") == "sweep_refused")
    assert "12 of 30 live accounts rows" in refusal["error"] and "--allow-mass-delete" in refusal["error"]
    assert not any(_deleted(engine, Account, purged))

    allowed = _sync(engine, calls, full=True, sweep_limit=None)  # the admin confirms the deletions
    assert allowed["companies"].records_deleted == 12 and all(_deleted(engine, Account, purged))


def test_the_roles_of_a_deleted_company_end(
    engine: Engine, hubspot_sandbox: HubSpotSandbox, calls: HubSpotCalls
) -> None:
    """A deleted company's contacts no longer hold roles there (archived: the next sync; purged: the
    full sync that finds it gone), whichever way the store learns of the deletion."""
    _sync(engine, calls, full=True)
    labels = sorted(hubspot_sandbox.role_labels())
    archived, purged = sorted({company for company, _, _ in labels})[:2]

    def open_roles(company: int) -> int:
        with unit_of_work(engine) as s:
            return len(
                s.scalars(
                    select(StakeholderRole.id).where(
                        StakeholderRole.account_id == keys.account_key("hubspot", str(company)),
                        StakeholderRole.valid_to.is_(None),
                    )
                ).all()
            )

    assert open_roles(archived) > 0 and open_roles(purged) > 0
    untouched = {company: open_roles(company) for company, _, _ in labels[-3:]}
    hubspot_sandbox.archive("companies", archived)
    hubspot_sandbox.purge("companies", purged)
    hubspot_sandbox.advance(60)

    results = _sync(engine, calls, full=False)
    assert open_roles(archived) == 0 and open_roles(purged) > 0  # an increment cannot see a purge
    assert results["associations"].status == "ok"
    _sync(engine, calls, full=True)
    assert (open_roles(archived), open_roles(purged)) == (0, 0)
    assert {company: open_roles(company) for company in untouched} == untouched
