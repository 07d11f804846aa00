"""Alembic migrations of the tgassist schema."""
