"""``osteotwin users create|assign`` and the database the commands create."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.errors import UserInputError
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


def test_disable_enable_and_set_password_take_effect_on_a_running_app(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from osteotwin.web.app import create_app
    from tests.web.conftest import browser_login

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    password = "the first password"
    created = runner.invoke(app, ["users", "create", "--role", "clinician", "--username", "dr-off",
                                  "--password-stdin", "--db", url], input=password + "\n")
    assert created.exit_code == 0, created.output
    web = create_app(url, secret_key="test-secret")
    with TestClient(web) as api, TestClient(web) as browser:
        token = api.post("/api/auth/token", json={"username": "dr-off", "password": password}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        browser_login(browser, "dr-off", password)
        assert api.get("/api/patients", headers=bearer).status_code == 200
        assert browser.get("/patients", follow_redirects=False).status_code == 200

        disabled = runner.invoke(app, ["users", "disable", "dr-off", "--db", url])
        assert disabled.exit_code == 0 and "disabled" in disabled.output, disabled.output
        assert api.get("/api/patients", headers=bearer).status_code == 401
        assert browser.get("/patients", follow_redirects=False).status_code == 303  # to the login page
        refused = api.post("/api/auth/token", json={"username": "dr-off", "password": password})
        assert refused.status_code == 401
        listed = runner.invoke(app, ["users", "list", "--db", url])
        assert "dr-off\tclinician\t\tdisabled" in listed.output, listed.output

        assert runner.invoke(app, ["users", "enable", "dr-off", "--db", url]).exit_code == 0
        # enabling again does not revive what disabling ended: the old token and cookie stay dead
        assert api.get("/api/patients", headers=bearer).status_code == 401
        assert browser.get("/patients", follow_redirects=False).status_code == 303  # to the login page
        again = api.post("/api/auth/token", json={"username": "dr-off", "password": password})
        assert again.status_code == 200
        bearer = {"Authorization": f"Bearer {again.json()['access_token']}"}

        changed = runner.invoke(app, ["users", "set-password", "dr-off", "--password-stdin", "--db", url],
                                input="the second password\n")
        assert changed.exit_code == 0, changed.output
        assert api.get("/api/patients", headers=bearer).status_code == 401  # its tokens ended
        assert api.post("/api/auth/token", json={"username": "dr-off",
                                                 "password": password}).status_code == 401
        assert api.post("/api/auth/token", json={"username": "dr-off",
                                                 "password": "the second password"}).status_code == 200
    web.state.engine.dispose()
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        from osteotwin.records.storage.audit import audit_trail

        actions = [row.action for row in audit_trail(session) if row.entity == "user"]
        assert {"disable", "enable", "set_password"} <= set(actions)
        assert all("second" not in str(row.after) for row in audit_trail(session))
    engine.dispose()
    unknown = runner.invoke(app, ["users", "disable", "nobody", "--db", url])
    assert unknown.exit_code != 0 and "nobody" in str(unknown.exception or unknown.output)


def test_a_mistyped_database_is_refused_not_created(tmp_path: Path) -> None:
    """A first-time user's review: `users list --db` with a mistyped SQLite path made new folders
    and an empty database, listed nothing and exited 0. Only `users create` may start a database."""
    missing = tmp_path / "typo" / "osteotwin.db"
    for args in (["users", "list"], ["users", "assign", "dr-x", "--record-id", "1"],
                 ["users", "disable", "dr-x"]):
        result = runner.invoke(app, [*args, "--db", f"sqlite:///{missing}"])
        # the command stops with a UserInputError, which ``main`` prints as one line, exit 2
        assert isinstance(result.exception, UserInputError), (args, result.output)
        assert "--db: no database file there" in result.exception.one_line()
    assert not missing.parent.exists()
