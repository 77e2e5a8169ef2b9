"""HubSpot records -> canonical store rows, driven by `mapping.yml`.

Values arrive as strings. Picklists are mapped exactly as configured (case-sensitive); an unknown value,
an unparsable number or date raises `MappingError` naming the record and field, which the stream turns
into a `Rejection` (the record is reported, the rest of the page is written).

Amounts (a company's ARR, a deal's amount) are stored in the store currency: `currency.Money` converts
them with the account's exchange rates, a deal's with its own `hs_exchange_rate` when it has one. A deal
whose amount cannot be converted is stored without one and reported all the same (`deal_row` returns
the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from connectors.errors import ConfigurationError, MappingError
from connectors.hubspot.currency import Money
from connectors.sync import Rejection
from store import keys

SOURCE = "hubspot"
DEFAULT_MAPPING = Path(__file__).with_name("mapping.yml")


@dataclass(frozen=True)
class Mapping:
    raw: dict[str, Any]

    @classmethod
    def load(cls, path: Path = DEFAULT_MAPPING) -> Mapping:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read the HubSpot mapping {path}: {exc}", source=SOURCE) from exc
        for section in ("companies", "contacts", "deals", "tickets", "stakeholder_labels", "writeback"):
            if section not in (data or {}):
                raise ConfigurationError(f"{path}: missing section {section!r}", source=SOURCE)
        return cls(data)

    def modified(self, object_type: str) -> str:
        return str(self.raw[object_type]["modified"])

    def field(self, object_type: str, name: str) -> str:
        return str(self.raw[object_type]["fields"][name])

    def optional_field(self, object_type: str, name: str) -> str | None:
        value = self.raw[object_type]["fields"].get(name)
        return None if value is None else str(value)

    def properties(self, object_type: str) -> list[str]:
        return [*self.raw[object_type]["fields"].values(), self.modified(object_type)]

    def picklist(self, object_type: str, prop: str, value: str | None, record_id: str) -> Any:
        if value is None or value == "":
            return None
        options = self.raw[object_type].get("picklists", {}).get(prop, {})
        if value not in options:
            raise MappingError(
                f"unknown {prop} value {value!r} (mapped values: {', '.join(map(str, options))})",
                source=SOURCE,
                record_id=record_id,
                field=prop,
            )
        return options[value]

    def role_for_label(self, label: str) -> str | None:
        role = self.raw["stakeholder_labels"].get(label)
        return None if role is None else str(role)

    def label_for_role(self, role: str) -> str | None:
        for label, mapped in self.raw["stakeholder_labels"].items():
            if mapped == role:
                return str(label)
        return None

    @property
    def idempotency_property(self) -> str:
        return str(self.raw["writeback"]["idempotency_property"])

    def activity_association(self, object_type: str, to_type: str) -> int:
        return int(self.raw["writeback"]["association_types"][object_type][to_type])


# -- value parsing ---------------------------------------------------------------------------------


def _fail(record_id: str, field: str, message: str) -> MappingError:
    return MappingError(message, source=SOURCE, record_id=record_id, field=field)


def parse_datetime(value: str | None, record_id: str = "", field: str = "") -> datetime | None:
    if not value:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(record_id, field, f"{value!r} is not a date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_date(value: str | None, record_id: str = "", field: str = "") -> date | None:
    if not value:
        return None
    if len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _fail(record_id, field, f"{value!r} is not a date") from None
    parsed = parse_datetime(value, record_id, field)
    return parsed.date() if parsed else None


def parse_number(value: str | None, record_id: str = "", field: str = "") -> Decimal | None:
    """A number as HubSpot sent it, every digit kept (an amount is rounded once it is converted)."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _fail(record_id, field, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise _fail(record_id, field, f"{value!r} is not a finite number")
    return number


@lru_cache(maxsize=65_536)
def account_ref(crm_id: str) -> str:
    """The store id of a company a child row points at (cached: many children share a parent)."""
    return keys.account_key(SOURCE, crm_id)


@lru_cache(maxsize=65_536)
def contact_ref(crm_id: str) -> str:
    return keys.contact_key(SOURCE, crm_id)


# -- records -> rows -------------------------------------------------------------------------------


def _synced(record: Any, mapping: Mapping, object_type: str, now: datetime) -> dict[str, Any]:
    props = record.properties or {}
    modified = parse_datetime(props.get(mapping.modified(object_type)), record.id, "modified")
    return {
        "source": SOURCE,
        "crm_id": str(record.id),
        "crm_modified_at": modified or record.updated_at,
        "is_deleted": False,
        "synced_at": now,
    }


def company_row(record: Any, m: Mapping, now: datetime, money: Money) -> dict[str, Any]:
    p, rid = record.properties or {}, str(record.id)

    def get(name: str) -> Any:
        return p.get(m.field("companies", name))

    return {
        "id": keys.account_key(SOURCE, rid),
        **_synced(record, m, "companies", now),
        "name": (get("name") or get("domain") or f"HubSpot company {rid}")[:255],
        "domain": get("domain"),
        "industry": m.picklist("companies", m.field("companies", "industry"), get("industry"), rid),
        "crm_owner_id": get("owner"),
        "arr": money.company_amount(parse_number(get("arr"), rid, m.field("companies", "arr"))),
        "currency": money.target,
        "contract_start": parse_date(get("contract_start"), rid, m.field("companies", "contract_start")),
        "renewal_date": parse_date(get("renewal_date"), rid, m.field("companies", "renewal_date")),
        "lifecycle_stage": m.picklist(
            "companies", m.field("companies", "lifecycle_stage"), get("lifecycle_stage"), rid
        ),
        "extra": {},
    }


def contact_row(record: Any, m: Mapping, now: datetime, company_id: str | None) -> dict[str, Any]:
    p, rid = record.properties or {}, str(record.id)

    def get(name: str) -> Any:
        return p.get(m.field("contacts", name))

    return {
        "id": keys.contact_key(SOURCE, rid),
        **_synced(record, m, "contacts", now),
        "account_id": account_ref(str(company_id)) if company_id else None,
        "first_name": get("first_name"),
        "last_name": get("last_name"),
        "email": get("email"),
        "title": get("title"),
        "left_company_at": parse_date(get("left_company_at"), rid, m.field("contacts", "left_company_at")),
    }


def deal_row(
    record: Any, m: Mapping, now: datetime, company_id: str | None, money: Money
) -> tuple[dict[str, Any], Rejection | None]:
    """The deal's row, and the reason its amount could not be converted (the row has none then)."""
    p, rid = record.properties or {}, str(record.id)

    def get(name: str) -> Any:
        return p.get(m.field("deals", name))

    stage = m.picklist("deals", m.field("deals", "stage"), get("stage"), rid) or {}
    currency_field = m.optional_field("deals", "currency")
    rate_field = m.optional_field("deals", "exchange_rate")
    amount, why = money.deal_amount(
        parse_number(get("amount"), rid, m.field("deals", "amount")),
        p.get(currency_field) if currency_field else None,
        p.get(rate_field) if rate_field else None,
    )
    problem = None
    if why:
        name = (get("name") or "").strip()
        deal = f"deal {rid} ({name})" if name else f"deal {rid}"
        problem = Rejection(rid, f"{deal} stored without an amount: {why}", currency_field or "")
    row = {
        "id": keys.deal_key(SOURCE, rid),
        **_synced(record, m, "deals", now),
        "account_id": account_ref(company_id) if company_id else None,
        "name": (get("name") or "")[:255],
        "stage": stage.get("stage"),
        "kind": m.picklist("deals", m.field("deals", "kind"), get("kind"), rid),
        "amount": amount,
        "close_date": parse_date(get("close_date"), rid, m.field("deals", "close_date")),
        "is_closed": bool(stage.get("is_closed", False)),
        "is_won": bool(stage.get("is_won", False)),
    }
    return row, problem


def ticket_row(
    record: Any, m: Mapping, now: datetime, company_id: str | None, contact_id: str | None
) -> dict[str, Any]:
    p, rid = record.properties or {}, str(record.id)

    def get(name: str) -> Any:
        return p.get(m.field("tickets", name))

    opened = parse_datetime(p.get("createdate"), rid, "createdate") or record.created_at
    return {
        "id": keys.ticket_key(SOURCE, rid),
        **_synced(record, m, "tickets", now),
        "account_id": account_ref(company_id) if company_id else None,
        "contact_id": contact_ref(contact_id) if contact_id else None,
        "subject": (get("subject") or "")[:255],
        "priority": m.picklist("tickets", m.field("tickets", "priority"), get("priority"), rid),
        "status": m.picklist("tickets", m.field("tickets", "status"), get("status"), rid),
        "opened_at": opened,
        "closed_at": parse_datetime(get("closed_at"), rid, m.field("tickets", "closed_at")),
    }
