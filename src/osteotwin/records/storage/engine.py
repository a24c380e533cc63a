"""Engine and session factory: SQLite by default (WAL, foreign keys on), PostgreSQL by URL.

The database URL comes from the caller, else ``OSTEOTWIN_DATABASE_URL``, else the SQLite file
``./var/osteotwin.sqlite3``.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
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


#: A password given as a URL query parameter or a libpq keyword (``?password=...``, ``password=...``).
_PASSWORD_PARAMETER = re.compile(r"(?i)((?:^|[?&;\s])password=)[^&;\s]*")


def masked_url(url: str) -> str:
    """``url`` as it may be shown (messages, logs, the ``serve`` banner): any password replaced by
    ``***``, in the user part or as a query parameter, also when the URL is malformed."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # malformed (a bad port, ...): mask what looks like user:password@
        scheme, separator, rest = url.partition("://")
        shown = url
        if separator and "@" in rest:
            userinfo, _, host = rest.rpartition("@")
            user, colon, _ = userinfo.partition(":")
            shown = f"{scheme}://{user}{':***' if colon else ''}@{host}"
    return _PASSWORD_PARAMETER.sub(r"\1***", shown)


class DatabaseUnreachable(RuntimeError):
    """The database cannot be reached: the server is down, the host, port or database name is
    wrong, or the credentials are refused. The message is one line with the URL masked."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = masked_url(url)
        self.reason = reason
        super().__init__(f"cannot connect to the database at {self.url}: {reason}")


def check_connection(engine: Engine) -> None:
    """Open and close one connection, or raise ``DatabaseUnreachable`` (one line, password masked)."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        reason = " ".join(str(exc.orig if exc.orig is not None else exc).split())
        password = engine.url.password
        if password:
            reason = reason.replace(str(password), "***")
        raise DatabaseUnreachable(url, reason or type(exc).__name__) from None


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
    """Create an engine; SQLite files get their folder created and the pragmas above on each connection.

    SQL parameters are left out of error messages and logs (``hide_parameters``): they hold health
    data and password hashes. A URL is only ever shown masked (``masked_url``)."""
    resolved = resolve_database_url(url)
    accepted = "a SQLAlchemy URL such as sqlite:///var/osteotwin.sqlite3 or postgresql+psycopg://user@host/db"
    try:
        parsed = make_url(resolved)
    except Exception:  # sqlalchemy raises ArgumentError (ValueError for a bad port)
        raise UserInputError("--db", masked_url(resolved), accepted, problem="malformed URL") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                _private_sqlite_file(Path(database).expanduser().resolve())
            engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30},
                                   pool_size=20, max_overflow=20, hide_parameters=True)
            event.listen(engine, "connect", _on_sqlite_connect)
            return engine
        if backend == "postgresql":
            # pre-ping: each checkout first tests its pooled connection (one short round trip) and
            # replaces it if the server closed it (a restart, a failover, an idle timeout), so the
            # first request after one does not fail; connections are also recycled every 30 min
            return create_engine(parsed, pool_size=20, max_overflow=20, pool_recycle=1800,
                                 pool_pre_ping=True, hide_parameters=True)
    except (ImportError, NoSuchModuleError) as exc:  # a driver not installed, or not known
        raise UserInputError("--db", masked_url(resolved), f"{accepted} (drivers installed: sqlite, "
                             "psycopg)", problem=f"database driver not available ({exc})") from None
    raise UserInputError("--db", masked_url(resolved), "sqlite:///FILE or postgresql+psycopg://...",
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
