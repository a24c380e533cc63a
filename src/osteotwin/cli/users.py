"""``osteotwin users create|assign|list|disable|enable|set-password``: accounts and
clinician-patient assignments."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from osteotwin.errors import UserInputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

users_app = typer.Typer(help="Manage accounts: create, list, disable or enable users, set a password, "
                             "assign patients to clinicians.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


DbOption = Annotated[str | None, typer.Option(
    "--db", help="database URL (default: $OSTEOTWIN_DATABASE_URL, else sqlite:///var/osteotwin.sqlite3)")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="read the password from stdin (else one is generated and printed)")]


@contextmanager
def _database(db: str | None) -> Iterator[Session]:
    """A session on the (migrated) database; the engine is disposed afterwards."""
    from osteotwin.records.storage import make_engine, make_sessionmaker
    from osteotwin.records.storage.migrate import upgrade_to_head

    engine = make_engine(db)
    upgrade_to_head(engine)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, whether it was generated)."""
    from osteotwin.records.storage.accounts import generate_password

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(), True


@users_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="clinician | patient")],
    username: Annotated[str, typer.Option(help="login name")],
    password_stdin: PasswordStdin = False,
    patient: Annotated[int | None, typer.Option(
        help="for patient accounts: the id of the patient record the account may see")] = None,
    db: DbOption = None,
) -> None:
    """Create a clinician or patient account."""
    from osteotwin.records.storage import Actor
    from osteotwin.records.storage.accounts import create_user

    password, generated = _password(password_stdin)
    with _database(db) as session:
        user = create_user(session, username=username, password=password, role=role,
                           actor=Actor.system("cli"), patient_id=patient)
        session.commit()
        typer.echo(f"created {user.role} {user.username} (id {user.id})")
    if generated:
        typer.echo(f"password (shown once): {password}")


@users_app.command("assign")
def assign(
    clinician: Annotated[str, typer.Argument(help="the clinician's username")],
    patient: Annotated[str, typer.Argument(help="patient record id, patient file id, or a patient "
                                                "account's username")],
    db: DbOption = None,
) -> None:
    """Let CLINICIAN see and edit PATIENT's record."""
    from osteotwin.records.storage import Actor
    from osteotwin.records.storage.accounts import find_user
    from osteotwin.records.storage.repository import assign as assign_patient
    from osteotwin.records.storage.repository import find_patient_by_external_id

    with _database(db) as session:
        doctor = find_user(session, clinician)
        if doctor is None:
            raise UserInputError("CLINICIAN", clinician, "an existing clinician username",
                                 problem="no such user")
        patient_id: int | None = int(patient) if patient.isdigit() else None
        if patient_id is None:
            account = find_user(session, patient)
            if account is not None and account.patient_id is not None:
                patient_id = account.patient_id
            else:
                row = find_patient_by_external_id(session, patient)
                patient_id = None if row is None else row.id
        if patient_id is None:
            raise UserInputError("PATIENT", patient, "a patient record id, patient file id or patient "
                                 "username", problem="no such patient")
        assign_patient(session, doctor, patient_id, Actor.system("cli"))
        session.commit()
    typer.echo(f"assigned patient {patient_id} to {clinician}")


@users_app.command("list")
def list_users(db: DbOption = None) -> None:
    """List accounts: username, role, linked patient record, active or disabled."""
    from sqlalchemy import select

    from osteotwin.records.storage.models import UserRow

    with _database(db) as session:
        for user in session.scalars(select(UserRow).order_by(UserRow.username)):
            patient = "" if user.patient_id is None else f"patient {user.patient_id}"
            typer.echo("\t".join((user.username, user.role, patient,
                                  "active" if user.active else "disabled")))


def _set_active(username: str, active: bool, db: str | None) -> None:
    from osteotwin.records.storage import Actor
    from osteotwin.records.storage.accounts import existing_user, set_active

    with _database(db) as session:
        changed = set_active(session, existing_user(session, username), active, Actor.system("cli"))
        session.commit()
    state = "enabled" if active else "disabled (its sessions and tokens ended)"
    typer.echo(f"{username} {state}" if changed else f"{username} was already {'enabled' if active else 'disabled'}")


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="the account's username")],
            db: DbOption = None) -> None:
    """Stop USERNAME logging in; ends its browser sessions and API tokens now (account and audit kept)."""
    _set_active(username, False, db)


@users_app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="the account's username")],
           db: DbOption = None) -> None:
    """Let a disabled USERNAME log in again."""
    _set_active(username, True, db)


@users_app.command("set-password")
def set_password(username: Annotated[str, typer.Argument(help="the account's username")],
                 password_stdin: PasswordStdin = False, db: DbOption = None) -> None:
    """Replace USERNAME's password (e.g. a forgotten one); ends its sessions and API tokens."""
    from osteotwin.records.storage import Actor
    from osteotwin.records.storage.accounts import existing_user
    from osteotwin.records.storage.accounts import set_password as replace_password

    password, generated = _password(password_stdin)
    with _database(db) as session:
        replace_password(session, existing_user(session, username), password, Actor.system("cli"))
        session.commit()
    typer.echo(f"password of {username} replaced; its sessions and tokens ended")
    if generated:
        typer.echo(f"password (shown once): {password}")
