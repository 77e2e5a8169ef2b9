"""`/account <name or CRM id>`: find the account a person means.

Ranking: an exact CRM id (or our own id) first, then an exact name, then names starting with the
query, then names containing it (all case-insensitive; LIKE wildcards in the query are literal). One
best match resolves the card; several at the best rank come back as candidates for a picker.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import Session

from store.models import Account

EXACT_ID, EXACT_NAME, PREFIX, CONTAINS = 0, 1, 2, 3


@dataclass(frozen=True)
class AccountMatch:
    account_id: str
    name: str
    source: str
    crm_id: str
    arr: Decimal | None
    rank: int


@dataclass(frozen=True)
class AccountSearch:
    query: str
    matches: tuple[AccountMatch, ...]

    @property
    def chosen(self) -> AccountMatch | None:
        """The account meant, when the best rank has exactly one match."""
        best = [m for m in self.matches if m.rank == self.matches[0].rank] if self.matches else []
        return best[0] if len(best) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return bool(self.matches) and self.chosen is None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_accounts(session: Session, query: str, limit: int = 10) -> AccountSearch:
    text = query.strip()
    if not text:
        return AccountSearch(query, ())
    lowered = text.lower()
    pattern = _like_escape(lowered)
    name = func.lower(Account.name)
    rank = case(
        (or_(Account.crm_id == text, Account.id == text), literal(EXACT_ID)),
        (name == lowered, literal(EXACT_NAME)),
        (name.like(f"{pattern}%", escape="\\"), literal(PREFIX)),
        else_=literal(CONTAINS),
    ).label("rank")
    rows = session.execute(
        select(Account.id, Account.name, Account.source, Account.crm_id, Account.arr, rank)
        .where(
            Account.is_deleted.is_(False),
            or_(
                Account.crm_id == text,
                Account.id == text,
                name.like(f"%{pattern}%", escape="\\"),
            ),
        )
        .order_by(rank, func.length(Account.name), Account.name, Account.id)
        .limit(limit)
    )
    return AccountSearch(
        query, tuple(AccountMatch(r.id, r.name, r.source, r.crm_id, r.arr, r.rank) for r in rows)
    )
