"""Alembic migrations of the erp-tui store."""

# The newest revision; a test checks it equals Alembic's head, so start-up can compare the
# database with it without importing Alembic.
HEAD_REVISION = "0006"
