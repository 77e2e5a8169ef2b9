"""The `associations` stream: company -> contact association labels -> stakeholder roles.

HubSpot gives associations no modification date, so every run sweeps the synced companies in batches
of up to 1,000 (one associations v4 batch read each) and compares the labels with the open roles in the
store: a new label opens a role (valid_from = today), a removed label closes it (valid_to = today), so
champion changes keep their history. The roles of a deleted company close at the end of the sweep.
The cursor (the last company id swept) is committed with each batch; a finished sweep resets it.
Labels not in `mapping.yml` are reported as rejections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from connectors.hubspot import mapping as m
from connectors.hubspot.calls import HubSpotCalls
from connectors.sync import Page, Rejection, TableWrite
from store import keys
from store.models import STAKEHOLDER_ROLE_KEY, Account, Contact, StakeholderRole
from store.types import utcnow
from store.uow import unit_of_work

ROLE_CONFLICT = STAKEHOLDER_ROLE_KEY


@dataclass
class RoleStream:
    engine: Engine
    calls: HubSpotCalls
    mapping: m.Mapping
    name: str = "associations"
    source: str = m.SOURCE
    batch_size: int = 1_000
    today: Callable[[], date] = field(default=lambda: utcnow().date())

    def pages(self, cursor: dict[str, Any], *, full: bool) -> Iterator[Page]:
        after = "" if full else str(cursor.get("after") or "")
        while True:
            with unit_of_work(self.engine) as session:
                batch: list[tuple[str, str]] = [
                    (crm_id, account_id)
                    for crm_id, account_id in session.execute(
                        select(Account.crm_id, Account.id)
                        .where(
                            Account.source == m.SOURCE, Account.is_deleted.is_(False), Account.crm_id > after
                        )
                        .order_by(Account.crm_id)
                        .limit(self.batch_size)
                    )
                ]
            if not batch:
                yield from self._end_roles_of_deleted(after)
                yield Page(cursor={"after": "", "swept_at": utcnow().isoformat()})
                return
            before = self.calls.stats.requests
            labels, rejected = self._labels([crm_id for crm_id, _ in batch])
            page = self._diff([account_id for _, account_id in batch], labels)
            page.rejected = rejected
            page.records_read = sum(len(v) for v in labels.values())
            page.requests_made = self.calls.stats.requests - before
            after = batch[-1][0]
            page.cursor = {"after": after}
            yield page

    def _end_roles_of_deleted(self, after: str) -> Iterator[Page]:
        """A company deleted in HubSpot (archived, or purged and found gone by a full sync) is not swept
        above, so the roles its contacts held would stay open forever: they end here, on the day the
        store learnt of the deletion, as a removed label would."""
        with unit_of_work(self.engine) as session:
            gone = list(
                session.scalars(
                    select(StakeholderRole.account_id)
                    .distinct()
                    .join(Account, Account.id == StakeholderRole.account_id)
                    .where(
                        StakeholderRole.source == m.SOURCE,
                        StakeholderRole.valid_to.is_(None),
                        Account.is_deleted.is_(True),
                    )
                    .order_by(StakeholderRole.account_id)
                )
            )
        for start in range(0, len(gone), self.batch_size):
            page = self._diff(gone[start : start + self.batch_size], {})
            page.cursor = {"after": after}
            yield page

    def _labels(self, company_ids: list[str]) -> tuple[dict[str, set[tuple[str, str]]], list[Rejection]]:
        """{company id: {(contact id, role)}} from the labels on company -> contact associations."""
        out: dict[str, set[tuple[str, str]]] = {c: set() for c in company_ids}
        rejected: list[Rejection] = []
        pending = [{"id": c} for c in company_ids]
        while pending:
            data = self.calls.read_associations("companies", "contacts", pending)
            pending = []
            for result in data.results:
                company = str(result._from.id)
                for target in result.to or []:
                    for spec in target.association_types or []:
                        if spec.category == "HUBSPOT_DEFINED" or not spec.label:
                            continue
                        role = self.mapping.role_for_label(spec.label)
                        if role is None:
                            rejected.append(
                                Rejection(
                                    f"{company}/{target.to_object_id}",
                                    f"unknown association label {spec.label!r}",
                                    "association_label",
                                )
                            )
                            continue
                        out[company].add((str(target.to_object_id), role))
                if result.paging and result.paging.next:
                    pending.append({"id": company, "after": result.paging.next.after})
        return out, rejected

    def _diff(self, account_ids: list[str], labels: dict[str, set[tuple[str, str]]]) -> Page:
        today = self.today()
        wanted = {
            (keys.account_key(m.SOURCE, company), keys.contact_key(m.SOURCE, contact), role): (
                company,
                contact,
            )
            for company, pairs in labels.items()
            for contact, role in pairs
        }
        with unit_of_work(self.engine) as session:
            open_rows = session.scalars(
                select(StakeholderRole).where(
                    StakeholderRole.account_id.in_(account_ids),
                    StakeholderRole.source == m.SOURCE,
                    StakeholderRole.valid_to.is_(None),
                )
            ).all()
            current = {(r.account_id, r.contact_id, r.role): (r.valid_from, r.crm_id) for r in open_rows}
            contact_ids = {k[1] for k in wanted}
            known = (
                set(session.scalars(select(Contact.id).where(Contact.id.in_(contact_ids))).all())
                if contact_ids
                else set()
            )
        rows = [
            {
                "account_id": k[0],
                "contact_id": k[1],
                "role": k[2],
                "valid_from": today,
                "valid_to": None,
                "source": m.SOURCE,
                "crm_id": f"{company}:{contact}",
                "recorded_by": None,
            }
            for k, (company, contact) in sorted(wanted.items())
            if k not in current and k[1] in known  # unknown contacts arrive with the next contacts sync
        ]
        rows += [
            {
                "account_id": k[0],
                "contact_id": k[1],
                "role": k[2],
                "valid_from": valid_from,
                "valid_to": today,
                "source": m.SOURCE,
                "crm_id": crm_id,  # the stored row's: part of the key it is found by
                "recorded_by": None,
            }
            for k, (valid_from, crm_id) in sorted(current.items())
            if k not in wanted
        ]
        write = TableWrite(
            StakeholderRole, rows, conflict_columns=ROLE_CONFLICT, update_columns=("valid_to",)
        )
        return Page(writes=[write])
