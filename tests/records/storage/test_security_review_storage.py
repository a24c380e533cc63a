"""Security review (findings 1, 7, 10, 11, 13), the storage side, on SQLite and PostgreSQL:
unassign and the assignment list, usernames, the seed race, hidden SQL parameters, masked URLs and
reconnecting after the server closed the pool's connections."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.records.storage import Actor, accounts, make_engine, make_sessionmaker, repository
from osteotwin.records.storage.audit import audit_trail
from osteotwin.records.storage.engine import DatabaseUnreachable, check_connection, masked_url
from osteotwin.records.storage.models import UserRow
from osteotwin.records.storage.seed import DEMO_CLINICIAN, seed_demo

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"


def _patient(session: Session, external_id: str | None, sex: str = "female") -> int:
    patient: dict[str, Any] = {"sex": sex, "birth_date": "1950-03-01"}
    if external_id is not None:
        patient["id"] = external_id
    row = repository.create_patient(session, parse_patient_document({"version": 1, "patient": patient}),
                                    SYSTEM)
    return row.id


# --------------------------------------------------------------------------------------------------
# Finding 1: unassign (audited), the assignment list, records by patient-file id
# --------------------------------------------------------------------------------------------------


def test_unassign_ends_access_and_is_audited(session: Session) -> None:
    doctor = accounts.create_user(session, username="dr-un", password=PASSWORD, role="clinician",
                                  actor=SYSTEM)
    record = _patient(session, "MRN-7")
    assert repository.assign(session, doctor, record, SYSTEM) is True
    assert repository.assign(session, doctor, record, SYSTEM) is False  # already assigned
    session.commit()
    assert [(u.username, p.id) for u, p in repository.assignments(session)] == [("dr-un", record)]
    assert repository.unassign(session, doctor, record, SYSTEM) is True
    session.commit()
    assert not repository.can_access(session, doctor, record)
    assert repository.assignments(session, clinician=doctor) == []
    assert repository.unassign(session, doctor, record, SYSTEM) is False
    entry = next(row for row in audit_trail(session) if row.action == "unassign")
    assert entry.entity == "clinician_patient" and entry.patient_id == record
    assert entry.before == {"clinician": "dr-un", "patient_id": record} and entry.after is None


def test_records_sharing_a_patient_file_id_are_all_found(session: Session) -> None:
    first, second = _patient(session, "demo-001", "male"), _patient(session, "demo-001")
    session.commit()
    assert [r.id for r in repository.find_patients_by_external_id(session, "demo-001")] == [first, second]
    row = repository.load_patient(session, second)
    assert row is not None
    assert repository.describe_patient(row) == (
        f"record {second} (patient-file id 'demo-001', female, born 1950-03-01)")


# --------------------------------------------------------------------------------------------------
# Finding 11: usernames are ASCII, with nothing invisible and no trailing line break
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "character"), [
    ("dr\u200bsmith", "U+200B"), ("dr-smith\n", "U+000A"), ("dr\u202esmith", "U+202E"),
    ("\ufeffdr-smith", "U+FEFF")])
def test_usernames_with_invisible_characters_or_a_line_break_are_refused(
        session: Session, username: str, character: str) -> None:
    with pytest.raises(UserInputError) as info:
        accounts.create_user(session, username=username, password=PASSWORD, role="clinician",
                             actor=SYSTEM)
    err = info.value
    assert err.field == "username" and character in err.problem and "ASCII" in err.accepted
    assert str(err).isprintable()  # the character is shown escaped, not as itself
    assert session.scalars(select(UserRow)).all() == []


# --------------------------------------------------------------------------------------------------
# Finding 13: two first starts at once on an empty database
# --------------------------------------------------------------------------------------------------


def test_a_second_seed_racing_the_first_carries_on_as_seeded(engine: Engine, database_url: str) -> None:
    """B counts no users while A's seed is written but not committed; A then commits, B's insert
    of the same username fails: B rolls back and returns no accounts instead of crashing."""
    other = make_engine(database_url)
    b_counted, a_flushed = threading.Event(), threading.Event()

    @event.listens_for(other, "after_cursor_execute")
    def _after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "count(" in statement.lower():
            b_counted.set()

    first = make_sessionmaker(engine)()

    @event.listens_for(first, "before_commit")
    def _hold(_session: Session) -> None:
        a_flushed.set()
        assert b_counted.wait(30)
        time.sleep(0.5)  # B goes on to its insert, which waits for (or fails after) this commit

    results: dict[str, Any] = {}

    def second() -> None:
        assert a_flushed.wait(30)
        try:
            with make_sessionmaker(other)() as session:
                results["b"] = seed_demo(session)
        except Exception as exc:  # reported below
            results["b"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    try:
        results["a"] = seed_demo(first)
    finally:
        thread.join(60)
        first.close()
        other.dispose()
    assert len(results["a"]) == 2
    assert results["b"] == [], results["b"]
    with make_sessionmaker(engine)() as session:
        assert sorted(session.scalars(select(UserRow.username))) == ["demo-clinician", "demo-patient"]
        assert len(repository.assignments(session)) == 1  # one demo patient, not two


def test_database_errors_never_show_a_password_hash(session: Session) -> None:
    """SQL parameters (health data, password hashes) are left out of error messages, so a
    traceback cannot leak them."""
    seed_demo(session)
    duplicate = UserRow(username=DEMO_CLINICIAN, password_hash=accounts.hash_password(PASSWORD),
                        role="clinician", active=True)
    session.add(duplicate)
    with pytest.raises(IntegrityError) as info:
        session.flush()
    session.rollback()
    assert "$argon2" not in str(info.value) and duplicate.password_hash not in str(info.value)


# --------------------------------------------------------------------------------------------------
# Findings 7 and 10: an unreachable database, masked URLs, reconnecting after a server restart
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "secret"), [
    ("postgresql+psycopg://dbuser:S3cretPW@db.example/x", "S3cretPW"),
    ("postgresql+psycopg://dbuser:S3cretPW@db.example:notaport/x", "S3cretPW"),
    ("postgresql+psycopg://dbuser:pa@ss/w@db.example:bad/x", "pa@ss/w"),
    ("postgresql+psycopg://dbuser@db.example/x?password=S3cretPW&sslmode=require", "S3cretPW"),
    ("mysql://dbuser:S3cretPW@db/x", "S3cretPW"),
])
def test_masked_url_never_shows_the_password(url: str, secret: str) -> None:
    shown = masked_url(url)
    assert secret not in shown and "***" in shown and "dbuser" in shown


@pytest.mark.parametrize("url", [
    "mysql://dbuser:S3cretPW@db/x", "postgresql+psycopg://dbuser:S3cretPW@db:notaport/x",
    "postgresql+nosuchdriver://dbuser:S3cretPW@db/x"])
def test_engine_errors_name_the_url_without_its_password(url: str) -> None:
    with pytest.raises(UserInputError) as info:
        make_engine(url)
    assert info.value.field == "--db"
    assert "S3cretPW" not in str(info.value) and "dbuser:***@" in str(info.value)


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = make_engine(f"postgresql+psycopg://dbuser:S3cretPW@127.0.0.1:{port}/x")
    try:
        with pytest.raises(DatabaseUnreachable) as info:
            check_connection(engine)
    finally:
        engine.dispose()
    message = str(info.value)
    assert message.startswith(f"cannot connect to the database at postgresql+psycopg://dbuser:***@"
                              f"127.0.0.1:{port}/x: ")
    assert "S3cretPW" not in message and "\n" not in message


@pytest.mark.postgres
def test_the_pool_replaces_connections_the_server_closed(postgres_url: str) -> None:
    """After a restart or failover the pooled connections are dead: the next checkout notices
    (pre-ping) and reconnects, so the first request after it does not fail."""
    engine = make_engine(postgres_url)
    admin = make_engine(engine.url.set(database="postgres").render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:  # a connection, back in the pool afterwards
            database = conn.execute(text("select current_database()")).scalar_one()
        with admin.begin() as conn:
            ended = conn.execute(text("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                      "where datname = :db and pid <> pg_backend_pid()"),
                                 {"db": database}).scalar_one()
        assert ended >= 1
        with engine.connect() as conn:  # the pooled connection was terminated
            assert conn.execute(text("select 1")).scalar_one() == 1
    finally:
        admin.dispose()
        engine.dispose()
