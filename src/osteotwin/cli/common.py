"""Helpers shared by the command modules: output formats, safe file writing, opening the database."""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from osteotwin.errors import UserInputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: ``--db`` help, the same for every command that opens the database.
DB_HELP = ("database URL (default: $OSTEOTWIN_DATABASE_URL, else sqlite:///var/osteotwin.sqlite3); "
           "give a PostgreSQL password in $OSTEOTWIN_DATABASE_URL or ~/.pgpass rather than here, "
           "where other users of the machine can read it in the process list")


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout and nothing else."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def write_output_file(path: Path, data: bytes, *, allowed_suffixes: tuple[str, ...]) -> None:
    """Write ``data`` atomically to ``path`` (temp file then rename), checking the suffix."""
    if path.suffix.lower() not in allowed_suffixes:
        raise UserInputError(
            "--output", str(path), " or ".join(allowed_suffixes), problem="unsupported file type"
        )
    if not path.parent.exists():
        raise UserInputError(
            "--output", str(path), "a path in an existing folder", problem="folder does not exist"
        )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _missing_sqlite_file(url: str) -> bool:
    """Whether ``url`` names a SQLite file that is not there (a URL that does not parse is left to
    ``make_engine``, which refuses it with its own message)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # ArgumentError, or ValueError for a bad port
        return False
    path = parsed.database
    return (parsed.get_backend_name() == "sqlite" and bool(path) and path != ":memory:"
            and not Path(str(path)).expanduser().is_file())


def open_database(url: str, *, must_exist: bool = False) -> Engine:
    """An engine on ``url``, its schema migrated to the newest revision. A database that cannot be
    reached is one line on stderr, ``osteotwin: error: cannot connect to the database at <URL,
    password masked>: <reason>``, and exit 1 (no traceback). ``must_exist``: a SQLite file that is
    not there is refused (exit 2) instead of created, so a mistyped ``--db`` of ``osteotwin users``
    does not answer from a new, empty database."""
    from osteotwin.records.storage.engine import (
        DatabaseUnreachable,
        check_connection,
        make_engine,
        masked_url,
    )
    from osteotwin.records.storage.migrate import upgrade_to_head

    if must_exist and _missing_sqlite_file(url):
        raise UserInputError("--db", masked_url(url), "an existing SQLite database (osteotwin serve "
                             "creates one), or OSTEOTWIN_DATABASE_URL", problem="no database file there")
    engine = make_engine(url)
    try:
        check_connection(engine)
    except DatabaseUnreachable as err:
        engine.dispose()
        typer.echo(f"osteotwin: error: {err}", err=True)
        raise typer.Exit(1) from None
    upgrade_to_head(engine)
    return engine
