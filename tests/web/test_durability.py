"""Durability: no acknowledged write is lost when the server process is killed mid-request (SQLite WAL,
synchronous=FULL; PostgreSQL too when $OSTEOTWIN_TEST_POSTGRES_URL is set). Uses the load benchmark's
procedure: four writers stream labs, the server gets SIGKILL, it restarts, every 201 must be stored."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from osteotwin.records.storage import scratch_postgres_database

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "load_web.py"

pytestmark = pytest.mark.slow


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_web", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sqlite_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    result = _benchmark().run_durability(f"sqlite:///{tmp_path / 'durable.sqlite3'}", kill_after_acks=25)
    assert result["acknowledged"] >= 25
    assert result["lost_acknowledged"] == 0, result
    assert result["stored_after_restart"] >= result["acknowledged"]


@pytest.mark.postgres
def test_postgresql_keeps_every_acknowledged_write() -> None:
    base = os.environ.get("OSTEOTWIN_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("needs OSTEOTWIN_TEST_POSTGRES_URL (a PostgreSQL server); it is not set")
    bench = _benchmark()
    with scratch_postgres_database(base, prefix="osteotwin_test") as url:
        result = bench.run_durability(url, kill_after_acks=25)
    assert result["lost_acknowledged"] == 0, result
