"""``osteotwin users create|assign``: accounts and clinician-patient assignments."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from osteotwin.errors import UserInputError

users_app = typer.Typer(help="Manage accounts: create users, assign patients to clinicians.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


DbOption = Annotated[str | None, typer.Option(
    "--db", help="database URL (default: $OSTEOTWIN_DATABASE_URL, else sqlite:///var/osteotwin.sqlite3)")]


@users_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="clinician | patient")],
    username: Annotated[str, typer.Option(help="login name")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="read the password from stdin (else one is generated and printed)")
    ] = False,
    patient: Annotated[int | None, typer.Option(
        help="for patient accounts: the id of the patient record the account may see")] = None,
    db: DbOption = None,
) -> None:
    """Create a clinician or patient account."""
    from osteotwin.records.storage import Actor, make_engine, make_sessionmaker
    from osteotwin.records.storage.accounts import create_user, generate_password
    from osteotwin.records.storage.migrate import upgrade_to_head

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password, generated = generate_password(), True
    engine = make_engine(db)
    upgrade_to_head(engine)
    with make_sessionmaker(engine)() as session:
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
    from osteotwin.records.storage import Actor, make_engine, make_sessionmaker
    from osteotwin.records.storage.accounts import find_user
    from osteotwin.records.storage.migrate import upgrade_to_head
    from osteotwin.records.storage.repository import assign as assign_patient
    from osteotwin.records.storage.repository import find_patient_by_external_id

    engine = make_engine(db)
    upgrade_to_head(engine)
    with make_sessionmaker(engine)() as session:
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
