"""Salesforce connector: streams (Account, Contact, Opportunity, OpportunityContactRole, Case) and
write-back (Tasks, contact roles) through simple-salesforce."""
