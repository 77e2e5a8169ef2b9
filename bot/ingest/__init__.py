"""Signal ingest (usage, NPS, contracts) from CSV or NDJSON: the CLI and the HTTP endpoint share it."""
