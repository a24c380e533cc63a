"""Engine and session factory: SQLite by default (WAL, foreign keys on), PostgreSQL by URL.

The database URL comes from the caller, else ``OSTEOTWIN_DATABASE_URL``, else the SQLite file
``./var/osteotwin.sqlite3``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from osteotwin.errors import UserInputError

DEFAULT_SQLITE_PATH = Path("var") / "osteotwin.sqlite3"
ENV_DATABASE_URL = "OSTEOTWIN_DATABASE_URL"


def resolve_database_url(url: str | None = None) -> str:
    """The database URL to use: ``url``, else ``$OSTEOTWIN_DATABASE_URL``, else the default SQLite file."""
    chosen = url or os.environ.get(ENV_DATABASE_URL)
    if chosen:
        return chosen
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # FULL: a committed (acknowledged) transaction survives a crash of the server process or host.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _private_sqlite_file(path: Path) -> None:
    """Create the folder (owner only) and an empty database file readable by its owner only, if
    they are new: the file holds health records (an existing file's permissions are left as its
    owner set them). SQLite gives its WAL and shared-memory files the database file's mode."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite files get their folder created and the pragmas above on each connection."""
    resolved = resolve_database_url(url)
    try:
        parsed = make_url(resolved)
    except Exception as exc:  # sqlalchemy raises ArgumentError for malformed URLs
        raise UserInputError("--db", resolved, "a SQLAlchemy URL such as sqlite:///var/osteotwin.sqlite3"
                             " or postgresql+psycopg://user@host/db", problem="malformed URL") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            _private_sqlite_file(Path(database).expanduser().resolve())
        engine = create_engine(resolved, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=20)
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    if backend == "postgresql":
        # no pre-ping (a round trip per request); connections are recycled every 30 min instead
        return create_engine(resolved, pool_size=20, max_overflow=20, pool_recycle=1800)
    raise UserInputError("--db", resolved, "sqlite:///FILE or postgresql+psycopg://...",
                         problem="unsupported database")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def scratch_postgres_database(base_url: str, *, prefix: str = "osteotwin_scratch") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server at ``base_url``; dropped on exit.

    Yields its URL. Used by the storage tests and the load benchmark, which must never touch a
    database that holds real records.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
