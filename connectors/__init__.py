"""CRM connectors: vendor API <-> canonical records, sync streams and write-back clients."""
