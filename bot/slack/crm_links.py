"""Deep links to CRM records, built from base URLs the composition root passes in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrmLinks:
    salesforce_instance_url: str | None = None
    hubspot_app_url: str = "https://app.hubspot.com"
    hubspot_portal_id: str = "0"

    def account_url(self, source: str, crm_id: str) -> str | None:
        if source == "salesforce" and self.salesforce_instance_url:
            return f"{self.salesforce_instance_url.rstrip('/')}/lightning/r/Account/{crm_id}/view"
        if source == "hubspot":
            return f"{self.hubspot_app_url.rstrip('/')}/contacts/{self.hubspot_portal_id}/company/{crm_id}"
        return None
