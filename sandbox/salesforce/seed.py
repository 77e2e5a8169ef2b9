"""Loading the synthetic portfolio into the sandbox org as Salesforce would hold it.

Role mapping (portfolio role -> OpportunityContactRole.Role, a standard picklist value):

    champion     -> Influencer          the internal advocate who sways the decision
    exec_sponsor -> Executive Sponsor
    finance      -> Economic Buyer      signs off the spend
    admin        -> Technical Buyer     owns the tool day to day
    user         -> Business User

A role that ended (a departed champion) is an OpportunityContactRole that was deleted on the day it
ended, so queryAll returns it with IsDeleted = true; current roles are live records. Each contact's roles
sit on the account's first opportunity. Records keep the portfolio's history: CreatedDate and
SystemModstamp come from the portfolio's dates, not from the moment of loading.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from sandbox.portfolio_records import PAccount
from sandbox.salesforce.state import OrgState

ROLE_TO_SF = {
    "champion": "Influencer",
    "exec_sponsor": "Executive Sponsor",
    "finance": "Economic Buyer",
    "admin": "Technical Buyer",
    "user": "Business User",
}
DEAL_TYPE_TO_SF = {
    "new_business": "New Business",
    "renewal": "Renewal",
    "expansion": "Existing Customer - Upgrade",
}
PRIORITY_TO_SF = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "Critical"}
STATUS_TO_SF = {"new": "New", "working": "Working", "closed": "Closed"}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def load_portfolio(state: OrgState, accounts: Iterable[PAccount], *, with_cases: bool = True) -> int:
    """Create every portfolio account with its contacts, opportunities, roles and cases. Returns records."""
    users: dict[str, str] = {
        u["Email"]: u["Id"] for u in state.records["User"].values() if not u["IsDeleted"]
    }
    created = 0
    now = state.clock.now()
    with state.transaction():
        for acc in accounts:
            owner = users.get(acc.owner_email)
            if owner is None:
                local = acc.owner_email.split("@")[0]
                owner = users[acc.owner_email] = state.create(
                    "User",
                    {"Username": acc.owner_email, "Email": acc.owner_email, "LastName": local.upper()},
                    at=acc.created_at,
                )
            stamps: dict[str, Any] = {"CreatedDate": acc.created_at, "SystemModstamp": acc.modified_at}
            (account_id,) = state.seed(
                "Account",
                [
                    {
                        "Name": acc.name,
                        "Industry": acc.industry,
                        "Website": f"https://{acc.domain}",
                        "OwnerId": owner,
                        "AnnualRevenue": round(acc.arr * 40, 2),
                        "ARR__c": acc.arr,
                        "Contract_Start__c": acc.contract_start.isoformat(),
                        "Renewal_Date__c": acc.renewal_date.isoformat(),
                        "Type": "Customer",
                        **stamps,
                    }
                ],
                at=now,
            )
            contact_ids = state.seed(
                "Contact",
                [
                    {
                        "AccountId": account_id,
                        "FirstName": c.first_name,
                        "LastName": c.last_name,
                        "Email": c.email,
                        "Title": c.title,
                        "Left_Company_Date__c": c.left_on.isoformat() if c.left_on else None,
                        **stamps,
                    }
                    for c in acc.contacts
                ],
                at=now,
            )
            by_key = dict(zip((c.key for c in acc.contacts), contact_ids, strict=True))
            deal_ids = state.seed(
                "Opportunity",
                [
                    {
                        "AccountId": account_id,
                        "Name": d.name,
                        "StageName": d.stage,
                        "Type": DEAL_TYPE_TO_SF[d.kind],
                        "Amount": d.amount,
                        "CloseDate": d.close_date.isoformat(),
                        "CreatedDate": acc.created_at,
                        "SystemModstamp": acc.modified_at,
                    }
                    for d in acc.deals
                ],
                at=now,
            )
            roles = []
            if deal_ids:
                for c, contact_id in zip(acc.contacts, contact_ids, strict=True):
                    for span in c.roles:
                        start = _midnight(span.valid_from)
                        roles.append(
                            {
                                "OpportunityId": deal_ids[0],
                                "ContactId": contact_id,
                                "Role": ROLE_TO_SF[span.role],
                                "IsPrimary": span.role == "champion",
                                "CreatedDate": start,
                                "SystemModstamp": _midnight(span.valid_to) if span.valid_to else start,
                                "IsDeleted": span.valid_to is not None,
                            }
                        )
            state.seed("OpportunityContactRole", roles, at=now)
            cases = [
                {
                    "AccountId": account_id,
                    "ContactId": by_key.get(t.contact_key) if t.contact_key else None,
                    "Subject": t.subject,
                    "Priority": PRIORITY_TO_SF[t.priority],
                    "Status": STATUS_TO_SF[t.status],
                    "ClosedDate": t.closed_at.isoformat() if t.closed_at else None,
                    "CreatedDate": t.opened_at,
                    "SystemModstamp": t.closed_at or t.opened_at,
                }
                for t in (acc.tickets if with_cases else ())
            ]
            state.seed("Case", cases, at=now)
            created += 1 + len(contact_ids) + len(deal_ids) + len(roles) + len(cases)
    return created
