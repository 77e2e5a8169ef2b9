"""The sObjects the sandbox serves: fields, types, references, picklists; and their describe output.

Organization is read-only and holds one record: the org itself, with the currency it keeps amounts in
(`DefaultCurrencyIsoCode`). A multi-currency org (`org_schema(multi_currency=True)`) also has a
`CurrencyIsoCode` on each object that holds amounts: every record keeps its amounts in its own currency;
and a read-only CurrencyType with one record per currency and its conversion rate (`sandbox.salesforce.org`).
With advanced currency management (`dated=True`) it also has DatedConversionRate: each currency's rates
for date ranges (StartDate up to the next range's, NextStartDate). A single-currency org has neither, and
an org without advanced currency management has no DatedConversionRate: a query of an object the org
lacks is refused with INVALID_TYPE, as Salesforce refuses it.

Picklists are unrestricted, as most standard Salesforce picklists are: the API accepts any value, and
describe lists the values the org has defined. That is exactly why a connector must report values it does
not know instead of trusting describe.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sandbox.salesforce.ids import KEY_PREFIXES

EXTERNAL_KEY_FIELD = "Retainer_Key__c"


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str  # id string textarea email url phone picklist date datetime currency double boolean reference
    reference_to: str | None = None
    relationship: str | None = None
    picklist: tuple[str, ...] = ()
    required: bool = False
    writable: bool = True
    external_id: bool = False
    custom: bool = False


@dataclass
class SObjectDef:
    name: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    read_only: bool = False  # no record can be created, updated or deleted through the API

    @property
    def key_prefix(self) -> str:
        return KEY_PREFIXES[self.name]

    def relationships(self) -> dict[str, FieldDef]:
        return {f.relationship: f for f in self.fields.values() if f.relationship}


def _system() -> list[FieldDef]:
    return [
        FieldDef("Id", "id", writable=False),
        FieldDef("IsDeleted", "boolean", writable=False),
        FieldDef("CreatedDate", "datetime", writable=False),
        FieldDef("LastModifiedDate", "datetime", writable=False),
        FieldDef("SystemModstamp", "datetime", writable=False),
    ]


def _ref(name: str, to: str, required: bool = False) -> FieldDef:
    return FieldDef(
        name, "reference", reference_to=to, relationship=name.removesuffix("Id"), required=required
    )


def _obj(name: str, *fields: FieldDef) -> SObjectDef:
    return SObjectDef(name, {f.name: f for f in (*_system(), *fields)})


def _setup_obj(name: str, *fields: FieldDef) -> SObjectDef:
    """A read-only object the org's setup keeps (no IsDeleted: its records are never deleted)."""
    stamps = [
        FieldDef(n, "datetime", writable=False) for n in ("CreatedDate", "LastModifiedDate", "SystemModstamp")
    ]
    return SObjectDef(
        name, {f.name: f for f in (FieldDef("Id", "id", writable=False), *fields, *stamps)}, read_only=True
    )


OCR_ROLES = (
    "Business User",
    "Decision Maker",
    "Economic Buyer",
    "Economic Decision Maker",
    "Evaluator",
    "Executive Sponsor",
    "Influencer",
    "Technical Buyer",
    "Other",
)

SCHEMA: dict[str, SObjectDef] = {
    o.name: o
    for o in (
        _obj(
            "User",
            FieldDef("Username", "string", required=True),
            FieldDef("Email", "email", required=True),
            FieldDef("FirstName", "string"),
            FieldDef("LastName", "string", required=True),
            FieldDef("IsActive", "boolean"),
        ),
        _setup_obj(
            "Organization",
            FieldDef("Name", "string", writable=False),
            FieldDef("DefaultCurrencyIsoCode", "picklist", writable=False),
        ),
        _obj(
            "Account",
            FieldDef("Name", "string", required=True),
            FieldDef("Industry", "picklist", picklist=("Technology", "Finance", "Healthcare", "Retail")),
            FieldDef("Website", "url"),
            _ref("OwnerId", "User"),
            FieldDef("AnnualRevenue", "currency"),
            FieldDef("ARR__c", "currency", custom=True),
            FieldDef("Contract_Start__c", "date", custom=True),
            FieldDef("Renewal_Date__c", "date", custom=True),
            FieldDef("Type", "picklist", picklist=("Customer", "Prospect", "Partner", "Other")),
        ),
        _obj(
            "Contact",
            _ref("AccountId", "Account"),
            FieldDef("FirstName", "string"),
            FieldDef("LastName", "string", required=True),
            FieldDef("Email", "email"),
            FieldDef("Title", "string"),
            FieldDef("Left_Company_Date__c", "date", custom=True),
        ),
        _obj(
            "Opportunity",
            _ref("AccountId", "Account"),
            FieldDef("Name", "string", required=True),
            FieldDef(
                "StageName",
                "picklist",
                required=True,
                picklist=(
                    "Prospecting",
                    "Qualification",
                    "Proposal",
                    "Negotiation",
                    "Closed Won",
                    "Closed Lost",
                ),
            ),
            FieldDef("Type", "picklist", picklist=("New Business", "Renewal", "Existing Customer - Upgrade")),
            FieldDef("Amount", "currency"),
            FieldDef("CloseDate", "date", required=True),
            FieldDef("IsClosed", "boolean"),
            FieldDef("IsWon", "boolean"),
        ),
        _obj(
            "OpportunityContactRole",
            _ref("OpportunityId", "Opportunity", required=True),
            _ref("ContactId", "Contact", required=True),
            FieldDef("Role", "picklist", picklist=OCR_ROLES),
            FieldDef("IsPrimary", "boolean"),
            FieldDef(EXTERNAL_KEY_FIELD, "string", external_id=True, custom=True),
        ),
        _obj(
            "Case",
            _ref("AccountId", "Account"),
            _ref("ContactId", "Contact"),
            FieldDef("Subject", "string"),
            FieldDef("Priority", "picklist", picklist=("Low", "Medium", "High", "Critical")),
            FieldDef("Status", "picklist", picklist=("New", "Working", "Escalated", "Closed")),
            FieldDef("ClosedDate", "datetime"),
        ),
        _obj(
            "Task",
            FieldDef("WhatId", "reference", reference_to="Account", relationship="What"),
            FieldDef("WhoId", "reference", reference_to="Contact", relationship="Who"),
            FieldDef("Subject", "string"),
            FieldDef("Description", "textarea"),
            FieldDef(
                "Status", "picklist", required=True, picklist=("Not Started", "In Progress", "Completed")
            ),
            FieldDef("Priority", "picklist", picklist=("High", "Normal", "Low")),
            FieldDef("ActivityDate", "date"),
            FieldDef(EXTERNAL_KEY_FIELD, "string", external_id=True, custom=True),
        ),
    )
}


# The objects of a multi-currency org whose amounts are in each record's own currency.
MULTI_CURRENCY_OBJECTS = ("Account", "Opportunity")


def org_currencies(currency: str) -> tuple[str, ...]:
    """A multi-currency org's active currencies, its own (corporate) currency first."""
    return tuple(dict.fromkeys((currency, "EUR", "GBP", "USD")))


def org_schema(currency: str, multi_currency: bool, dated: bool = False) -> dict[str, SObjectDef]:
    """SCHEMA as one org has it: a multi-currency org adds `CurrencyIsoCode` (a picklist of its active
    currencies, the org's own first) to the objects that hold amounts, and the CurrencyType object (and
    DatedConversionRate with advanced currency management, `dated`); a single-currency org is SCHEMA."""
    if not multi_currency:
        return SCHEMA
    codes = org_currencies(currency)
    currency_field = FieldDef("CurrencyIsoCode", "picklist", picklist=codes, required=True)
    schema = {
        name: replace(obj, fields={**obj.fields, currency_field.name: currency_field})
        if name in MULTI_CURRENCY_OBJECTS
        else obj
        for name, obj in SCHEMA.items()
    }
    schema["CurrencyType"] = _setup_obj(
        "CurrencyType",
        FieldDef("IsoCode", "picklist", picklist=codes, writable=False),
        FieldDef("ConversionRate", "double", writable=False),
        FieldDef("DecimalPlaces", "double", writable=False),
        FieldDef("IsActive", "boolean", writable=False),
        FieldDef("IsCorporate", "boolean", writable=False),
    )
    if dated:
        schema["DatedConversionRate"] = _setup_obj(
            "DatedConversionRate",
            FieldDef("IsoCode", "picklist", picklist=codes, writable=False),
            FieldDef("ConversionRate", "double", writable=False),
            FieldDef("StartDate", "date", writable=False),
            FieldDef("NextStartDate", "date", writable=False),
        )
    return schema


def describe(obj: SObjectDef, version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {
        "name": obj.name,
        "label": obj.name,
        "keyPrefix": obj.key_prefix,
        "custom": False,
        "queryable": True,
        "createable": not obj.read_only,
        "updateable": not obj.read_only,
        "deletable": not obj.read_only,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "custom": f.custom,
                "externalId": f.external_id,
                "idLookup": f.external_id or f.name == "Id",
                "nillable": not f.required and f.writable,
                "createable": f.writable,
                "updateable": f.writable,
                "referenceTo": [f.reference_to] if f.reference_to else [],
                "relationshipName": f.relationship,
                "restrictedPicklist": False,
                "picklistValues": [
                    {"value": v, "label": v, "active": True, "defaultValue": False} for v in f.picklist
                ],
            }
            for f in obj.fields.values()
        ],
    }
