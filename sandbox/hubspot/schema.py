"""The sandbox portal's schema: object types, their properties (with picklist options) and association
types with labels. Values are HubSpot's internal values; they are case-sensitive, as in HubSpot."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

OBJECT_TYPES = ("companies", "contacts", "deals", "tickets", "notes", "tasks")

# HubSpot's object type ids, used in v4 association responses.
OBJECT_TYPE_IDS = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tickets": "0-5",
    "notes": "0-46",
    "tasks": "0-27",
}

# Contacts carry their modification date in `lastmodifieddate`; the other objects in `hs_lastmodifieddate`.
MODIFIED_PROPERTY = {t: "hs_lastmodifieddate" for t in OBJECT_TYPES} | {"contacts": "lastmodifieddate"}


@dataclass(frozen=True)
class Prop:
    name: str
    type: str = "string"  # string | number | date | datetime | enumeration | bool
    field_type: str = "text"
    options: tuple[str, ...] = ()
    unique: bool = False
    label: str = ""
    option_labels: dict[str, str] = field(default_factory=dict)


def _enum(name: str, *options: str, **labels: str) -> Prop:
    return Prop(name, "enumeration", "select", options, option_labels=labels)


INDUSTRIES = (
    "COMPUTER_SOFTWARE",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "RETAIL",
    "MACHINERY",
    "EDUCATION_MANAGEMENT",
    "BROADCAST_MEDIA",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "OIL_ENERGY",
    "HOSPITALITY",
    "BIOTECHNOLOGY",
)
DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
DEAL_TYPES = ("newbusiness", "existingbusiness", "renewal", "expansion")
TICKET_STAGES = ("1", "2", "3", "4")
TICKET_PRIORITIES = ("LOW", "MEDIUM", "HIGH", "URGENT")
TASK_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")

# A deal's currency (ISO code): `amount` is in it. Its options are the account's currencies.
CURRENCY_PROPERTY = "deal_currency_code"
# A deal's own exchange rate (company currency per unit of its currency), kept by HubSpot: see
# `currencies_api.CurrenciesApi.with_exchange_rate`.
EXCHANGE_RATE_PROPERTY = "hs_exchange_rate"
CLOSED_DEAL_STAGES = ("closedwon", "closedlost")

_COMMON = (
    Prop("hs_object_id", "number", "number"),
    Prop("createdate", "datetime", "date"),
    Prop("hs_lastmodifieddate", "datetime", "date"),
)

PROPERTIES: dict[str, tuple[Prop, ...]] = {
    "companies": (
        *_COMMON,
        Prop("name"),
        Prop("domain"),
        _enum("industry", *INDUSTRIES),
        Prop("hubspot_owner_id", "enumeration", "select"),
        Prop("retainer_arr", "number", "number", label="ARR"),
        Prop("retainer_contract_start", "date", "date", label="Contract start"),
        Prop("retainer_renewal_date", "date", "date", label="Renewal date"),
        _enum("lifecyclestage", "lead", "opportunity", "customer", "evangelist", "other"),
    ),
    "contacts": (
        Prop("hs_object_id", "number", "number"),
        Prop("createdate", "datetime", "date"),
        Prop("lastmodifieddate", "datetime", "date"),
        Prop("firstname"),
        Prop("lastname"),
        Prop("email", unique=True),
        Prop("jobtitle"),
        Prop("associatedcompanyid", "number", "number"),
        Prop("retainer_left_company_on", "date", "date"),
    ),
    "deals": (
        *_COMMON,
        Prop("dealname"),
        _enum("dealstage", *DEAL_STAGES),
        _enum("dealtype", *DEAL_TYPES),
        Prop("pipeline"),
        Prop("amount", "number", "number"),
        Prop("closedate", "datetime", "date"),
        # The deal's currency: its options are the account's currencies (see `account_props`).
        Prop(CURRENCY_PROPERTY, "enumeration", "select", label="Currency"),
        Prop(EXCHANGE_RATE_PROPERTY, "number", "number", label="Exchange rate"),
    ),
    "tickets": (
        *_COMMON,
        Prop("subject"),
        _enum("hs_pipeline_stage", *TICKET_STAGES),
        _enum("hs_ticket_priority", *TICKET_PRIORITIES),
        Prop("hs_pipeline"),
        Prop("closed_date", "datetime", "date"),
    ),
    "notes": (
        *_COMMON,
        Prop("hs_note_body", field_type="html"),
        Prop("hs_timestamp", "datetime", "date"),
        Prop("retainer_key", unique=True),
    ),
    "tasks": (
        *_COMMON,
        Prop("hs_task_subject"),
        Prop("hs_task_body", field_type="html"),
        _enum("hs_task_status", *TASK_STATUSES),
        Prop("hs_timestamp", "datetime", "date"),
        Prop("retainer_key", unique=True),
    ),
}

DEFAULT_PROPERTIES = {
    "companies": ("name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"),
    "contacts": ("firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"),
    "deals": ("dealname", "amount", "dealstage", "closedate", "createdate", "hs_lastmodifieddate"),
    "tickets": ("subject", "hs_pipeline_stage", "hs_ticket_priority", "createdate", "hs_lastmodifieddate"),
    "notes": ("hs_note_body", "hs_timestamp", "createdate", "hs_lastmodifieddate"),
    "tasks": ("hs_task_subject", "hs_task_status", "hs_timestamp", "createdate", "hs_lastmodifieddate"),
}


def _in_account(p: Prop, currencies: tuple[str, ...]) -> Prop:
    if p.name != CURRENCY_PROPERTY:
        return p
    return replace(p, options=currencies, option_labels={c: c for c in currencies})


def prop(object_type: str, name: str, currencies: tuple[str, ...] = ()) -> Prop | None:
    """A property of the portal; `currencies` (the account's) are the options of a deal's currency."""
    for p in PROPERTIES[object_type]:
        if p.name == name:
            return _in_account(p, currencies)
    return None


def account_props(object_type: str, currencies: tuple[str, ...]) -> tuple[Prop, ...]:
    """The properties of `object_type` as an account with `currencies` lists them."""
    return tuple(_in_account(p, currencies) for p in PROPERTIES[object_type])


@dataclass(frozen=True)
class AssocType:
    from_type: str
    to_type: str
    type_id: int
    category: str = "HUBSPOT_DEFINED"
    label: str | None = None


# HubSpot defines association types in pairs (one id per direction). Primary company links use the
# HubSpot-defined "Primary" ids; the stakeholder labels are the portal's own (USER_DEFINED).
_PAIRS: tuple[tuple[str, str, int, int, str, str | None], ...] = (
    ("contacts", "companies", 279, 280, "HUBSPOT_DEFINED", None),
    ("contacts", "companies", 1, 2, "HUBSPOT_DEFINED", "Primary"),
    ("deals", "contacts", 3, 4, "HUBSPOT_DEFINED", None),
    ("deals", "companies", 341, 342, "HUBSPOT_DEFINED", None),
    ("deals", "companies", 5, 6, "HUBSPOT_DEFINED", "Primary"),
    ("tickets", "contacts", 16, 15, "HUBSPOT_DEFINED", None),
    ("tickets", "companies", 339, 340, "HUBSPOT_DEFINED", None),
    ("tickets", "companies", 26, 25, "HUBSPOT_DEFINED", "Primary"),
    ("notes", "companies", 190, 189, "HUBSPOT_DEFINED", None),
    ("notes", "contacts", 202, 201, "HUBSPOT_DEFINED", None),
    ("tasks", "companies", 192, 191, "HUBSPOT_DEFINED", None),
    ("tasks", "contacts", 204, 203, "HUBSPOT_DEFINED", None),
    ("companies", "contacts", 101, 102, "USER_DEFINED", "Champion"),
    ("companies", "contacts", 103, 104, "USER_DEFINED", "Executive sponsor"),
    ("companies", "contacts", 105, 106, "USER_DEFINED", "Admin"),
    ("companies", "contacts", 107, 108, "USER_DEFINED", "Finance"),
)

ASSOCIATION_TYPES: tuple[AssocType, ...] = tuple(
    t
    for a, b, ab, ba, category, label in _PAIRS
    for t in (AssocType(a, b, ab, category, label), AssocType(b, a, ba, category, label))
)
_BY_ID = {(t.from_type, t.to_type, t.type_id): t for t in ASSOCIATION_TYPES}
_INVERSE = {(a, b, ab): AssocType(b, a, ba, category, label) for a, b, ab, ba, category, label in _PAIRS} | {
    (b, a, ba): AssocType(a, b, ab, category, label) for a, b, ab, ba, category, label in _PAIRS
}


def association_type(from_type: str, to_type: str, type_id: int) -> AssocType | None:
    return _BY_ID.get((from_type, to_type, type_id))


def inverse(t: AssocType) -> AssocType:
    """The same link read from the other side."""
    return _INVERSE[(t.from_type, t.to_type, t.type_id)]


def unlabeled(from_type: str, to_type: str) -> AssocType:
    """The default (unlabeled) association type between two object types."""
    for t in ASSOCIATION_TYPES:
        if t.from_type == from_type and t.to_type == to_type and t.label is None:
            return t
    raise LookupError(f"no association between {from_type} and {to_type}")


def labels(from_type: str, to_type: str) -> list[AssocType]:
    return [t for t in ASSOCIATION_TYPES if t.from_type == from_type and t.to_type == to_type]
