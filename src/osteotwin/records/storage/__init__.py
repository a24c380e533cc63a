"""Record store: SQLAlchemy models, engine, migrations, repository, accounts and audit."""

from osteotwin.records.storage.audit import Actor as Actor
from osteotwin.records.storage.audit import audit_trail as audit_trail
from osteotwin.records.storage.engine import make_engine as make_engine
from osteotwin.records.storage.engine import make_sessionmaker as make_sessionmaker
from osteotwin.records.storage.engine import resolve_database_url as resolve_database_url
from osteotwin.records.storage.engine import (
    scratch_postgres_database as scratch_postgres_database,
)
from osteotwin.records.storage.migrate import upgrade_to_head as upgrade_to_head
