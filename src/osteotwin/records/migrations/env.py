"""Alembic environment: uses the engine handed over in ``config.attributes['engine']``."""

from __future__ import annotations

from alembic import context

from osteotwin.records.storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when alembic is run by hand
    from osteotwin.records.storage.engine import make_engine

    engine = make_engine()

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
