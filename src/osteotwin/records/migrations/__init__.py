"""Alembic migrations for the record store (``render_as_batch=True`` so SQLite can alter tables)."""
