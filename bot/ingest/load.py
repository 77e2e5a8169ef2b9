"""Match rows to accounts (set-based: three queries for a whole file) and load the good rows in one
transaction. Bad rows are reported with their line; with `strict`, any bad row means nothing is loaded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, tuple_
from sqlalchemy.orm import Session

from bot.ingest.records import AccountRef, ContractRow, NpsRow, Parsed, RowError, UsageRow, parse
from store.models import Account, Contact, Contract, NpsResponse, UsageDaily
from store.uow import unit_of_work
from store.upsert import bulk_upsert


@dataclass
class IngestResult:
    kind: str
    loaded: int = 0
    errors: list[RowError] = field(default_factory=list)
    account_ids: list[str] = field(default_factory=list)  # accounts whose signals changed

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "loaded": self.loaded,
            "rejected": len(self.errors),
            "errors": [{"line": e.line, "message": e.message} for e in self.errors],
        }


def _resolve(session: Session, refs: list[AccountRef]) -> dict[int, str | list[str] | None]:
    """id(ref) -> account id, a list of candidates when ambiguous, or None when nothing matches."""
    live = Account.is_deleted.is_(False)
    ids = {r.account_id for r in refs if r.account_id}
    pairs = {(r.source, r.crm_id) for r in refs if not r.account_id and r.source and r.crm_id}
    domains = {
        r.domain.lower() for r in refs if not r.account_id and not (r.source and r.crm_id) and r.domain
    }
    by_id = set(session.scalars(select(Account.id).where(Account.id.in_(ids), live))) if ids else set()
    by_pair: dict[tuple[str, str], str] = {}
    if pairs:
        query = select(Account.source, Account.crm_id, Account.id).where(
            tuple_(Account.source, Account.crm_id).in_(pairs), live
        )
        by_pair = {(s, c): i for s, c, i in session.execute(query)}
    by_domain: dict[str, list[str]] = defaultdict(list)
    if domains:
        for d, i in session.execute(
            select(func.lower(Account.domain), Account.id).where(
                func.lower(Account.domain).in_(domains), live
            )
        ):
            by_domain[d].append(i)
    out: dict[int, str | list[str] | None] = {}
    for r in refs:
        if r.account_id:
            out[id(r)] = r.account_id if r.account_id in by_id else None
        elif r.source and r.crm_id:
            out[id(r)] = by_pair.get((r.source, r.crm_id))
        else:
            found = by_domain.get((r.domain or "").lower(), [])
            out[id(r)] = found[0] if len(found) == 1 else (found or None)
    return out


def _row(kind: str, r: Any, account_id: str, contacts: dict[tuple[str, str], str]) -> dict[str, Any]:
    if isinstance(r, UsageRow):
        return {
            "account_id": account_id,
            "day": r.day,
            "active_users": r.active_users or 0,
            "weekly_active_users": r.weekly_active_users,
            "key_feature_events": r.key_feature_events,
            "licensed_seats": r.licensed_seats,
        }
    if isinstance(r, NpsRow):
        return {
            "external_id": r.external_id,
            "account_id": account_id,
            "contact_id": contacts.get((account_id, (r.contact_email or "").lower())),
            "score": r.score,
            "comment": r.comment,
            "responded_at": r.responded_at,
        }
    assert isinstance(r, ContractRow)
    return {
        "external_id": r.external_id,
        "account_id": account_id,
        "start_date": r.start_date,
        "end_date": r.end_date,
        "arr": r.arr,
        "currency": r.currency,
        "status": r.status,
        "ingested_at": datetime.now(UTC),
    }


_TARGETS = {
    "usage": (UsageDaily, ("account_id", "day")),
    "nps": (NpsResponse, ("external_id",)),
    "contracts": (Contract, ("external_id",)),
}


def _conflict_key(row: dict[str, Any], conflict: tuple[str, ...]) -> tuple[Any, ...]:
    """The row's key as the table's upsert sees it (external_id alone for nps and contracts, whichever
    account the row names): two rows with one key in a file would overwrite each other, so the second
    is reported as a duplicate instead of both counting as loaded."""
    return tuple(row[c] for c in conflict)


def load(engine: Engine, kind: str, parsed: Parsed, *, strict: bool = False) -> IngestResult:
    result = IngestResult(kind, errors=list(parsed.errors))
    with unit_of_work(engine) as session:
        matched = _resolve(session, [r for _, r in parsed.rows])
        emails = {
            (r.contact_email or "").lower()
            for _, r in parsed.rows
            if isinstance(r, NpsRow) and r.contact_email
        }
        contacts: dict[tuple[str, str], str] = {}
        if emails:
            query = select(Contact.account_id, func.lower(Contact.email), Contact.id).where(
                func.lower(Contact.email).in_(emails)
            )
            contacts = {(a, e): i for a, e, i in session.execute(query) if a}
        model, conflict = _TARGETS[kind]
        rows: list[dict[str, Any]] = []
        first_line: dict[tuple[Any, ...], int] = {}
        for line, r in parsed.rows:
            account = matched[id(r)]
            if account is None:
                result.errors.append(RowError(line, f"no account matches {r.describe()}"))
                continue
            if isinstance(account, list):
                result.errors.append(
                    RowError(
                        line, f"{r.describe()} matches {len(account)} accounts; use account_id or crm_id"
                    )
                )
                continue
            row = _row(kind, r, account, contacts)
            key = _conflict_key(row, conflict)
            if key in first_line:
                result.errors.append(RowError(line, f"duplicate of line {first_line[key]}"))
                continue
            first_line[key] = line
            rows.append(row)
        result.errors.sort(key=lambda e: e.line)
        if strict and result.errors:
            return result
        bulk_upsert(session, model, rows, conflict)
        result.loaded = len(rows)
        result.account_ids = sorted({row["account_id"] for row in rows})
    return result


def ingest_text(engine: Engine, kind: str, text: str, fmt: str, *, strict: bool = False) -> IngestResult:
    return load(engine, kind, parse(kind, text, fmt), strict=strict)
