"""Security review (findings 1, 4, 7, 10, 12), the command line, on SQLite and PostgreSQL:
``users assign`` never guesses which record is meant, ``users unassign`` and ``users assignments``;
``serve`` seeds demo accounts by default only on SQLite, sets ``--secure-cookies`` for its workers,
and an unreachable database is one line with the password masked."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.cli.serve import ENV_DEMO, ENV_SECURE_COOKIES
from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.records.storage import (
    Actor,
    accounts,
    make_engine,
    make_sessionmaker,
    repository,
    scratch_postgres_database,
)
from osteotwin.records.storage.audit import audit_trail
from osteotwin.records.storage.engine import ENV_DATABASE_URL
from osteotwin.records.storage.models import UserRow

POSTGRES_ENV = "OSTEOTWIN_TEST_POSTGRES_URL"
PASSWORD = "a password from stdin"
runner = CliRunner()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}; it is not set")
    with scratch_postgres_database(base, prefix="osteotwin_cli_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (PostgreSQL: its tables are dropped after each test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _cli(*args: str, url: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, [*args, "--db", url], input=stdin)


def _refused(result: Any) -> str:
    """The one-line message of the ``UserInputError`` a command stopped with (``main`` prints it on
    stderr and exits 2)."""
    assert isinstance(result.exception, UserInputError), result.output
    return result.exception.one_line()


def _records(url: str, *patients: tuple[str | None, str]) -> list[int]:
    """Create clinicians dr-a and dr-b and one record per (patient-file id, sex); their ids."""
    for name in ("dr-a", "dr-b"):
        assert _cli("users", "create", "--role", "clinician", "--username", name,
                    "--password-stdin", url=url, stdin=PASSWORD + "\n").exit_code == 0
    engine = make_engine(url)
    ids = []
    with make_sessionmaker(engine)() as session:
        for external_id, sex in patients:
            patient: dict[str, Any] = {"sex": sex, "birth_date": "1950-03-01"}
            if external_id is not None:
                patient["id"] = external_id
            ids.append(repository.create_patient(
                session, parse_patient_document({"version": 1, "patient": patient}),
                Actor.system("test")).id)
        session.commit()
    engine.dispose()
    return ids


def _assigned(url: str, clinician: str) -> list[int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        doctor = accounts.find_user(session, clinician)
        assert doctor is not None
        ids = repository.visible_patient_ids(session, doctor)
    engine.dispose()
    return ids


# --------------------------------------------------------------------------------------------------
# Finding 1: users assign, unassign, assignments
# --------------------------------------------------------------------------------------------------


def test_a_number_that_is_one_records_id_and_anothers_patient_file_id_is_refused(
        database_url: str) -> None:
    """The reviewer's case: record 1 is demo-001, record 2's patient-file id is "1"."""
    demo, numeric = _records(database_url, ("demo-001", "male"), ("1", "female"))
    assert str(demo) == "1"
    message = _refused(_cli("users", "assign", "dr-b", "1", url=database_url))
    assert "ambiguous" in message and "--record-id" in message
    assert f"record {demo} (patient-file id 'demo-001', male, born 1950-03-01), by its record id" in message
    assert f"record {numeric} (patient-file id '1', female, born 1950-03-01), by its patient-file id" in message
    assert _assigned(database_url, "dr-b") == []  # nothing assigned

    chosen = _cli("users", "assign", "dr-b", "--patient-id", "1", url=database_url)
    assert chosen.exit_code == 0, chosen.output
    assert chosen.output.strip() == (f"assigned record {numeric} (patient-file id '1', female, "
                                     "born 1950-03-01) to dr-b")
    assert _assigned(database_url, "dr-b") == [numeric]
    by_id = _cli("users", "assign", "dr-b", "--record-id", str(demo), url=database_url)
    assert by_id.exit_code == 0 and f"assigned record {demo} (patient-file id 'demo-001'" in by_id.output
    assert _assigned(database_url, "dr-b") == [demo, numeric]


def test_a_patient_file_id_carried_by_several_records_is_refused(database_url: str) -> None:
    first, second = _records(database_url, ("demo-001", "male"), ("demo-001", "female"))
    for args in (["demo-001"], ["--patient-id", "demo-001"]):
        message = _refused(_cli("users", "assign", "dr-b", *args, url=database_url))
        assert "ambiguous: it names 2 records" in message
        assert f"record {first} (patient-file id 'demo-001', male" in message
        assert f"record {second} (patient-file id 'demo-001', female" in message
    assert _assigned(database_url, "dr-b") == []


def test_an_unambiguous_name_still_works_positionally(database_url: str) -> None:
    """The old form: a patient-file id, a patient account's username, or a record id whose number
    is no record's patient-file id (or that record's own)."""
    first, second = _records(database_url, ("cli-1", "male"), (None, "female"))
    assert _cli("users", "create", "--role", "patient", "--username", "pat-2", "--patient",
                str(second), "--password-stdin", url=database_url, stdin=PASSWORD + "\n").exit_code == 0
    assert _cli("users", "assign", "dr-a", "cli-1", url=database_url).exit_code == 0
    assert _cli("users", "assign", "dr-b", "pat-2", url=database_url).exit_code == 0
    result = _cli("users", "assign", "dr-b", str(first), url=database_url)
    assert result.exit_code == 0 and "(patient-file id 'cli-1', male, born 1950-03-01)" in result.output
    assert _assigned(database_url, "dr-a") == [first]
    assert _assigned(database_url, "dr-b") == [first, second]
    again = _cli("users", "assign", "dr-b", "--patient-user", "pat-2", url=database_url)
    assert again.exit_code == 0 and again.output.startswith("dr-b was already assigned record")


@pytest.mark.parametrize(("args", "field"), [
    ([], "PATIENT"), (["1", "--record-id", "1"], "PATIENT"), (["--record-id", "99"], "--record-id"),
    (["--patient-id", "nobody"], "--patient-id"), (["--patient-user", "nobody"], "--patient-user"),
    (["99999999999999999999"], "PATIENT")])
def test_assign_refuses_what_names_no_single_record(database_url: str, args: list[str],
                                                    field: str) -> None:
    _records(database_url, ("cli-1", "male"))
    assert _refused(_cli("users", "assign", "dr-a", *args, url=database_url)).startswith(f"{field}: ")


def test_unassign_and_the_assignment_list(database_url: str) -> None:
    first, second = _records(database_url, ("MRN-1", "male"), ("MRN-2", "female"))
    for clinician, record in (("dr-a", first), ("dr-a", second), ("dr-b", second)):
        assert _cli("users", "assign", clinician, "--record-id", str(record), url=database_url).exit_code == 0
    listed = _cli("users", "assignments", url=database_url)
    assert listed.exit_code == 0
    assert listed.stdout.splitlines() == [
        f"dr-a\trecord {first}\tpatient-file id MRN-1\tmale\tborn 1950-03-01",
        f"dr-a\trecord {second}\tpatient-file id MRN-2\tfemale\tborn 1950-03-01",
        f"dr-b\trecord {second}\tpatient-file id MRN-2\tfemale\tborn 1950-03-01"]
    assert len(_cli("users", "assignments", "dr-b", url=database_url).stdout.splitlines()) == 1
    of_record = _cli("users", "assignments", "--record-id", str(second), url=database_url)
    assert [line.split("\t")[0] for line in of_record.stdout.splitlines()] == ["dr-a", "dr-b"]

    removed = _cli("users", "unassign", "dr-a", "MRN-1", url=database_url)
    assert removed.exit_code == 0, removed.output
    assert removed.output.strip() == (f"unassigned record {first} (patient-file id 'MRN-1', male, "
                                      "born 1950-03-01) from dr-a; no clinician is assigned to it now")
    assert _assigned(database_url, "dr-a") == [second]
    again = _cli("users", "unassign", "dr-a", "--record-id", str(first), url=database_url)
    assert again.exit_code == 0 and again.output.startswith("dr-a was not assigned record")
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        entries = [row for row in audit_trail(session) if row.action == "unassign"]
    engine.dispose()
    # audited as the command and the operating-system account that ran it (the review's finding 2)
    assert len(entries) == 1 and entries[0].username == f"cli ({getpass.getuser()})"
    assert entries[0].patient_id == first
    assert entries[0].before == {"clinician": "dr-a", "patient_id": first}
    none = _cli("users", "assignments", "--record-id", str(first), url=database_url)
    assert none.exit_code == 0 and none.stdout == ""


def test_only_clinicians_are_assigned_or_listed(database_url: str) -> None:
    (record,) = _records(database_url, ("MRN-1", "male"))
    assert _cli("users", "create", "--role", "patient", "--username", "pat-1", "--patient",
                str(record), "--password-stdin", url=database_url, stdin=PASSWORD + "\n").exit_code == 0
    for command in (["assign", "pat-1", "MRN-1"], ["unassign", "pat-1", "MRN-1"],
                    ["assignments", "pat-1"], ["assign", "nobody", "MRN-1"]):
        assert _refused(_cli("users", *command, url=database_url)).startswith("CLINICIAN: ")


# --------------------------------------------------------------------------------------------------
# Findings 4 and 12: serve's demo default and --secure-cookies
# --------------------------------------------------------------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """uvicorn.run replaced by a recorder of the environment the workers would inherit; the
    variables serve sets are restored afterwards."""
    import uvicorn

    from osteotwin.web.app import ENV_SECRET_KEY

    calls: list[dict[str, Any]] = []
    for name in (ENV_DEMO, ENV_SECURE_COOKIES, ENV_DATABASE_URL, ENV_SECRET_KEY):
        monkeypatch.setenv(name, "")  # recorded, so that the test's own setting is undone
        monkeypatch.delenv(name)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append(
        {"args": a, "kwargs": k, ENV_SECURE_COOKIES: os.environ.get(ENV_SECURE_COOKIES)}))
    return calls


def _users(url: str) -> list[str]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        names = sorted(session.scalars(select(UserRow.username)))
    engine.dispose()
    return names


@pytest.mark.parametrize(("args", "env"), [([], {}), (["--demo"], {}), ([], {ENV_DEMO: "1"}),
                                           (["--no-demo"], {}), ([], {ENV_DEMO: "0"})])
def test_demo_accounts_by_default_only_on_sqlite(database_url: str, served: list[dict[str, Any]],
                                                 args: list[str], env: dict[str, str]) -> None:
    result = runner.invoke(app, ["serve", "--db", database_url, *args], env=env)
    assert result.exit_code == 0, result.output
    asked = "--demo" in args or env.get(ENV_DEMO) == "1"
    refused = "--no-demo" in args or env.get(ENV_DEMO) == "0"
    seeded = asked or (database_url.startswith("sqlite") and not refused)
    assert ("Demo accounts created" in result.output) is seeded
    assert bool(_users(database_url)) is seeded
    assert ("no accounts yet" in result.output) is not seeded
    assert len(served) == 1


def test_make_run_still_prints_the_demo_passwords(tmp_path: Path, served: list[dict[str, Any]],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` is `osteotwin serve` in the repository: the default SQLite file, seeded."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split()[:2] == ["clinician", "demo-clinician"] and "password:" in line
               for line in lines)
    assert any(line.split()[:2] == ["patient", "demo-patient"] and "/patients/1" in line
               for line in lines)
    assert (tmp_path / "var" / "osteotwin.sqlite3").exists()


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--secure-cookies"], {}, "1"), ([], {ENV_SECURE_COOKIES: "1"}, "1"), ([], {}, None),
    ([], {ENV_SECURE_COOKIES: "0"}, None)])
def test_secure_cookies_is_set_for_the_workers(tmp_path: Path, served: list[dict[str, Any]],
                                               args: list[str], env: dict[str, str],
                                               expected: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    result = runner.invoke(app, ["serve", "--db", url, "--no-demo", "--workers", "2", *args], env=env)
    assert result.exit_code == 0, result.output
    (call,) = served
    assert call["kwargs"]["workers"] == 2 and call[ENV_SECURE_COOKIES] == expected
    assert "--secure-cookies" in runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output


# --------------------------------------------------------------------------------------------------
# Findings 7 and 10: an unreachable database; passwords never shown
# --------------------------------------------------------------------------------------------------


def _osteotwin(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_DATABASE_URL}
    return subprocess.run([sys.executable, "-c", "from osteotwin.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, check=False, env=env)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("command", [["serve"], ["users", "list"], ["users", "assignments"],
                                     ["users", "assign", "dr-a", "--record-id", "1"]])
def test_an_unreachable_database_is_one_line_with_the_password_masked(command: list[str]) -> None:
    port = _closed_port()
    result = _osteotwin(*command, "--db", f"postgresql+psycopg://dbuser:S3cretPW@127.0.0.1:{port}/x")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("osteotwin: error: cannot connect to the database at "
                               f"postgresql+psycopg://dbuser:***@127.0.0.1:{port}/x: ")
    assert "S3cretPW" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["mysql://dbuser:S3cretPW@db/x",
                                 "postgresql+psycopg://dbuser:S3cretPW@db:notaport/x"])
def test_a_bad_database_url_is_refused_without_its_password(url: str) -> None:
    for command in (["serve"], ["users", "list"]):
        result = _osteotwin(*command, "--db", url)
        assert result.returncode == 2
        assert "--db" in result.stderr and "dbuser:***@" in result.stderr
        assert "S3cretPW" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_the_db_option_recommends_the_environment_for_passwords() -> None:
    for command in (["serve"], ["users", "list"]):
        shown = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"}).output
        assert "OSTEOTWIN_DATABASE_URL" in shown and "pgpass" in shown
