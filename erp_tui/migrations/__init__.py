"""Alembic migrations of the erp-tui store."""
