"""The engine factory: a new SQLite database is private to its owner (it holds health records)."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from osteotwin.records.storage.engine import make_engine


def test_a_new_sqlite_database_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "records.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # an existing file keeps the permissions its owner gave it
    path.chmod(0o640)
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
