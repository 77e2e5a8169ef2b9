"""The canonical store: SQLAlchemy 2 models, unit of work, bulk upserts and Alembic migrations."""
