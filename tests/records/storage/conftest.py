"""Storage fixtures: the same tests run on SQLite and on PostgreSQL (fresh database per session)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from osteotwin.records.storage import (
    make_engine,
    make_sessionmaker,
    scratch_postgres_database,
    upgrade_to_head,
)

POSTGRES_ENV = "OSTEOTWIN_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL storage tests need {POSTGRES_ENV} (e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres); it is not set")
    with scratch_postgres_database(base, prefix="osteotwin_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated, empty database (PostgreSQL tables are dropped after each test)."""
    eng = make_engine(database_url)
    upgrade_to_head(eng)
    yield eng
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as s:
        yield s
