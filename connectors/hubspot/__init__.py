"""HubSpot connector: streams (companies, contacts, deals, tickets, associations) and write-back
(notes/tasks, association labels) through hubspot-api-client."""
