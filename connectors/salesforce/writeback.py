"""Write-back to Salesforce (`connectors.writeback.WriteBackClient`), idempotent on the outbox key.

`outcome_activity` -> a Task on the Account, upserted by external id `Retainer_Key__c = <key>`:
    PATCH /sobjects/Task/Retainer_Key__c/<key>  {Subject, Description, Status, ActivityDate, WhatId, WhoId}
    A retry after a crash finds the same Task and updates it: never a second one.

`champion_change` -> contact roles:
    1. the departed contact's roles of that kind on the account's opportunities are looked up;
    2. the new contact (if any) gets the role through an upsert of one OpportunityContactRole keyed
       `Retainer_Key__c = <key>` (on the opportunity the departed contact's role was on, else the
       account's most recent opportunity; a retry reuses the opportunity of the record it already made);
    3. the departed contact's roles are deleted in one sObject Collections call (an already deleted one
       counts as done).

Permanent refusals (400/404: bad ids, unknown fields, an account that no longer exists) raise
`RecordRejected` so the drain parks the item; a record another transaction held (UNABLE_TO_LOCK_ROW,
in a call or in one record of a Collections result) is a `TransientError`, tried again with backoff;
everything else propagates as `connectors.errors`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from connectors.errors import RecordRejected, TransientError
from connectors.salesforce.api import RETRY_CODES, SOURCE, SalesforceApi
from connectors.salesforce.mapping import EntityMapping, load_mapping
from connectors.writeback import CHAMPION_CHANGE, OUTCOME_ACTIVITY

KEY_FIELD = "Retainer_Key__c"
_ID = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")
_DONE_ON_DELETE = {"ENTITY_IS_DELETED", "NOT_FOUND"}


def _soql_id(value: Any, what: str) -> str:
    """An id safe to put in SOQL (ids are alphanumeric); anything else is a permanent refusal."""
    if not isinstance(value, str) or not _ID.match(value):
        raise RecordRejected(f"{what} is not a Salesforce id: {value!r}", source=SOURCE, code="MALFORMED_ID")
    return value


def _quote(value: str) -> str:
    """A SOQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _key(value: str) -> str:
    if not value or len(value) > 255:
        raise RecordRejected(f"unusable idempotency key {value!r}", source=SOURCE, code="BAD_KEY")
    return value


@dataclass
class SalesforceWriteBack:
    api: SalesforceApi
    role_mapping: EntityMapping | None = None
    target: str = SOURCE

    def __post_init__(self) -> None:
        mapping = self.role_mapping or load_mapping()["stakeholder_role"]
        roles = mapping.picklists.get("role", {})
        # our role -> the first Salesforce picklist value that maps to it
        self._sf_role: dict[str, str] = {}
        for sf_value, ours in roles.items():
            if ours is not None:
                self._sf_role.setdefault(ours, sf_value)

    def send(self, kind: str, payload: Mapping[str, Any], idempotency_key: str) -> str:
        if kind == OUTCOME_ACTIVITY:
            return self._outcome(payload, _key(idempotency_key))
        if kind == CHAMPION_CHANGE:
            return self._champion_change(payload, _key(idempotency_key))
        raise RecordRejected(f"unknown write-back kind {kind!r}", source=SOURCE, code="UNKNOWN_KIND")

    def _outcome(self, payload: Mapping[str, Any], key: str) -> str:
        body = {
            "Subject": str(payload["subject"])[:255],
            "Description": str(payload["body"])[:32000],
            "Status": payload["status"],
            "ActivityDate": payload["activity_date"],
            "WhatId": _soql_id(payload["account_crm_id"], "account_crm_id"),
            "WhoId": payload.get("contact_crm_id") or None,
        }
        result = self.api.rest(f"sobjects/Task/{KEY_FIELD}/{quote(key, safe='')}", method="PATCH", json=body)
        return str(result["id"])

    def _champion_change(self, payload: Mapping[str, Any], key: str) -> str:
        account = _soql_id(payload["account_crm_id"], "account_crm_id")
        departed = _soql_id(payload["departed_contact_crm_id"], "departed_contact_crm_id")
        new_contact = payload.get("new_contact_crm_id")
        role = self._sf_role.get(str(payload["role"]))
        if role is None:
            raise RecordRejected(f"no Salesforce role for {payload['role']!r}", source=SOURCE, code="ROLE")
        old_roles = self.api.query(
            "SELECT Id, OpportunityId FROM OpportunityContactRole WHERE "
            f"ContactId = '{departed}' AND Role = {_quote(role)} AND Opportunity.AccountId = '{account}'"
        )
        record_id = departed
        if new_contact:
            record_id = self._grant_role(
                account, _soql_id(new_contact, "new_contact_crm_id"), role, key, old_roles
            )
        if old_roles:
            ids = ",".join(r["Id"] for r in old_roles)
            results = self.api.rest(
                "composite/sobjects", method="DELETE", params={"ids": ids, "allOrNone": "false"}
            )
            for result in results or []:
                codes = {e.get("statusCode") for e in result.get("errors") or []}
                if result.get("success") or codes <= _DONE_ON_DELETE:
                    continue
                message = f"could not remove role {result.get('id')}: {result.get('errors')}"
                if codes <= _DONE_ON_DELETE | RETRY_CODES:  # sent again, the upsert finds its record
                    raise TransientError(message, source=SOURCE, code="UNABLE_TO_LOCK_ROW")
                raise RecordRejected(message, source=SOURCE)
        return record_id

    def _grant_role(
        self, account: str, contact: str, role: str, key: str, old_roles: list[dict[str, Any]]
    ) -> str:
        existing = self.api.query(
            f"SELECT Id, OpportunityId FROM OpportunityContactRole WHERE {KEY_FIELD} = '{key}'"
        )
        if existing:
            opportunity = existing[0]["OpportunityId"]
        elif old_roles:
            opportunity = old_roles[0]["OpportunityId"]
        else:
            latest = self.api.query(
                f"SELECT Id FROM Opportunity WHERE AccountId = '{account}' "
                "ORDER BY CloseDate DESC, Id LIMIT 1"
            )
            if not latest:
                raise RecordRejected(
                    f"account {account} has no opportunity to hold a contact role", source=SOURCE
                )
            opportunity = latest[0]["Id"]
        result = self.api.rest(
            f"sobjects/OpportunityContactRole/{KEY_FIELD}/{quote(key, safe='')}",
            method="PATCH",
            json={"OpportunityId": opportunity, "ContactId": contact, "Role": role},
        )
        return str(result["id"])
