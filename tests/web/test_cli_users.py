"""``osteotwin users create|assign`` and the database the commands create."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.records.storage import accounts, make_engine, make_sessionmaker, repository

runner = CliRunner()


def test_users_create_and_assign(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result = runner.invoke(app, ["users", "create", "--role", "clinician", "--username", "dr-cli",
                                 "--password-stdin", "--db", url], input="a password from stdin\n")
    assert result.exit_code == 0, result.output
    generated = runner.invoke(app, ["users", "create", "--role", "clinician", "--username", "dr-gen", "--db", url])
    assert generated.exit_code == 0 and "password (shown once):" in generated.output
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        assert accounts.authenticate(session, "dr-cli", "a password from stdin") is not None
        from osteotwin.records import parse_patient_document
        from osteotwin.records.storage import Actor

        row = repository.create_patient(session, parse_patient_document(
            {"version": 1, "patient": {"id": "cli-1", "sex": "male", "birth_date": "1960-01-01"}}),
            Actor.system())
        session.commit()
        patient_id = row.id
    result = runner.invoke(app, ["users", "assign", "dr-cli", "cli-1", "--db", url])
    assert result.exit_code == 0, result.output
    with make_sessionmaker(engine)() as session:
        doctor = accounts.find_user(session, "dr-cli")
        assert doctor is not None and repository.can_access(session, doctor, patient_id)
    engine.dispose()


def test_users_create_refuses_bad_input(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result = runner.invoke(app, ["users", "create", "--role", "admin", "--username", "x-admin",
                                 "--password-stdin", "--db", url], input="a long enough password\n")
    assert result.exit_code != 0
    assert "role" in str(result.exception or result.output)
    missing = runner.invoke(app, ["users", "assign", "nobody", "1", "--db", url])
    assert missing.exit_code != 0
