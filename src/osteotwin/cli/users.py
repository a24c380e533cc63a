"""``osteotwin users create|assign|unassign|assignments|list|disable|enable|set-password``:
accounts and clinician-patient assignments."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from osteotwin.cli.common import DB_HELP
from osteotwin.errors import UserInputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from osteotwin.records.storage import Actor
    from osteotwin.records.storage.models import PatientRow, UserRow

users_app = typer.Typer(help="Manage accounts: create, list, disable or enable users, set a password, "
                             "assign patients to clinicians, list and remove assignments.",
                        no_args_is_help=True)



def _cli_actor() -> Actor:
    """Who a change made with ``osteotwin users`` is audited as: the command and the operating-system
    account that ran it ("cli (root)"), so the audit trail names a person where it can."""
    import getpass

    from osteotwin.records.storage import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment
        return Actor.system("cli")
    return Actor.system(f"cli ({who})")

def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


#: Largest record id (the column is a 32-bit integer on PostgreSQL).
MAX_RECORD_ID = 2**31 - 1

DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="read the password from stdin (else one is generated and printed)")]
PatientArgument = Annotated[str | None, typer.Argument(
    help="the patient record, by one of: its record id, its patient-file id, or the username of "
         "the patient's account; refused when it could name more than one record (then use "
         "--record-id or --patient-id)", show_default=False)]
RecordIdOption = Annotated[int | None, typer.Option(
    "--record-id", min=1, max=MAX_RECORD_ID, show_default=False,
    help="the patient record by its record id (the number in /patients/N)")]
PatientIdOption = Annotated[str | None, typer.Option(
    "--patient-id", show_default=False,
    help="the patient record by its patient-file id (MRN); refused when several records carry it")]
PatientUserOption = Annotated[str | None, typer.Option(
    "--patient-user", show_default=False, help="the patient record linked to this patient account")]


@contextmanager
def _database(db: str | None, *, create: bool = False) -> Iterator[Session]:
    """A session on the (migrated) database; the engine is disposed afterwards. A database that
    cannot be reached is one line on stderr and exit 1; a SQLite file that is not there is refused
    unless ``create`` (``users create`` may set up accounts before the first ``serve``)."""
    from osteotwin.cli.common import open_database
    from osteotwin.records.storage import make_sessionmaker, resolve_database_url

    engine = open_database(resolve_database_url(db), must_exist=not create)
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
        min=1, max=MAX_RECORD_ID,
        help="for patient accounts: the record id of the patient record the account may see")] = None,
    db: DbOption = None,
) -> None:
    """Create a clinician or patient account."""
    from osteotwin.records.storage.accounts import create_user

    password, generated = _password(password_stdin)
    with _database(db, create=True) as session:
        user = create_user(session, username=username, password=password, role=role,
                           actor=_cli_actor(), patient_id=patient)
        session.commit()
        typer.echo(f"created {user.role} {user.username} (id {user.id})")
    if generated:
        typer.echo(f"password (shown once): {password}")


def _clinician(session: Session, username: str) -> UserRow:
    """The clinician account named ``username``, or a ``UserInputError`` naming CLINICIAN."""
    from osteotwin.records.storage.accounts import find_user

    user = find_user(session, username)
    if user is None:
        raise UserInputError("CLINICIAN", username, "an existing clinician username",
                             problem="no such user")
    if user.role != "clinician":
        raise UserInputError("CLINICIAN", username, "a clinician's username",
                             problem=f"not a clinician (a {user.role} account)")
    return user


#: Candidates listed at most in an "ambiguous" error (the rest are counted).
_LISTED_CANDIDATES = 10


def _ambiguous(field: str, value: str, matches: list[tuple[PatientRow, str]]) -> UserInputError:
    """The error for ``value`` naming several records: each candidate, with how it matched."""
    from osteotwin.records.storage.repository import describe_patient

    listed = "; ".join(f"{describe_patient(row)}, by its {how}"
                       for row, how in matches[:_LISTED_CANDIDATES])
    if len(matches) > _LISTED_CANDIDATES:
        listed += f"; and {len(matches) - _LISTED_CANDIDATES} more"
    return UserInputError(field, value, "--record-id N naming one record (the candidates: "
                          f"{listed})", problem=f"ambiguous: it names {len(matches)} records")


def _patient_record(session: Session, patient: str | None, record_id: int | None,
                    patient_file_id: str | None, patient_user: str | None) -> PatientRow:
    """The one patient record PATIENT, --record-id, --patient-id or --patient-user names.

    Nothing is guessed: PATIENT is checked as a record id, a patient-file id and a patient
    account's username at once, and refused unless exactly one record answers; a patient-file id
    carried by several records is refused too, listing them."""
    from osteotwin.records.storage.accounts import find_user
    from osteotwin.records.storage.models import PatientRow
    from osteotwin.records.storage.repository import find_patients_by_external_id

    given = [name for name, value in (("PATIENT", patient), ("--record-id", record_id),
                                      ("--patient-id", patient_file_id),
                                      ("--patient-user", patient_user)) if value is not None]
    accepted = "one of PATIENT, --record-id N, --patient-id ID or --patient-user USERNAME"
    if not given:
        raise UserInputError("PATIENT", None, accepted, problem="no patient record named")
    if len(given) > 1:
        raise UserInputError("PATIENT", " and ".join(given), f"only {accepted}",
                             problem="the patient record is named more than once")
    if record_id is not None:
        row = session.get(PatientRow, record_id)
        if row is None:
            raise UserInputError("--record-id", record_id, "the record id of an existing patient "
                                 "record", problem="no such record")
        return row
    if patient_file_id is not None:
        rows = find_patients_by_external_id(session, patient_file_id)
        if not rows:
            raise UserInputError("--patient-id", patient_file_id, "the patient-file id of an "
                                 "existing patient record", problem="no such record")
        if len(rows) > 1:
            raise _ambiguous("--patient-id", patient_file_id, [(r, "patient-file id") for r in rows])
        return rows[0]
    if patient_user is not None:
        account = find_user(session, patient_user)
        if account is None or account.patient_id is None:
            raise UserInputError("--patient-user", patient_user, "the username of a patient account "
                                 "linked to a record", problem="no such patient account"
                                 if account is None else "not linked to a patient record")
        linked = session.get(PatientRow, account.patient_id)
        assert linked is not None  # a foreign key
        return linked
    assert patient is not None
    matches: dict[int, tuple[PatientRow, list[str]]] = {}

    def found(row: PatientRow | None, how: str) -> None:
        if row is not None:
            matches.setdefault(row.id, (row, []))[1].append(how)

    if patient.isascii() and patient.isdigit() and 0 < int(patient) <= MAX_RECORD_ID:
        found(session.get(PatientRow, int(patient)), "record id")
    for row in find_patients_by_external_id(session, patient):
        found(row, "patient-file id")
    account = find_user(session, patient)
    if account is not None and account.patient_id is not None:
        found(session.get(PatientRow, account.patient_id), "patient account")
    if not matches:
        raise UserInputError("PATIENT", patient, "a record id, patient-file id or patient account "
                             "username of an existing record", problem="no such patient record")
    if len(matches) > 1:
        raise _ambiguous("PATIENT", patient, [(row, " and ".join(hows))
                                              for row, hows in sorted(matches.values(),
                                                                      key=lambda m: m[0].id)])
    return next(iter(matches.values()))[0]


def _change_assignment(change: str, clinician: str,
                       named: tuple[str | None, int | None, str | None, str | None],
                       db: str | None) -> tuple[bool, str, bool]:
    """Assign (``change`` "assign") or unassign one record, named as the commands name it (PATIENT,
    --record-id, --patient-id, --patient-user), to ``clinician``, audited: whether it changed, the
    record in words, and whether no clinician is assigned to it afterwards."""
    from osteotwin.records.storage import repository

    apply = repository.assign if change == "assign" else repository.unassign
    with _database(db) as session:
        doctor = _clinician(session, clinician)
        row = _patient_record(session, *named)
        changed = apply(session, doctor, row.id, _cli_actor())
        session.commit()
        orphaned = not repository.assignments(session, patient_id=row.id)
        return bool(changed), repository.describe_patient(row), orphaned


@users_app.command("assign")
def assign(
    clinician: Annotated[str, typer.Argument(help="the clinician's username")],
    patient: PatientArgument = None,
    record_id: RecordIdOption = None,
    patient_file_id: PatientIdOption = None,
    patient_user: PatientUserOption = None,
    db: DbOption = None,
) -> None:
    """Let CLINICIAN see and edit one patient record, named by PATIENT, --record-id, --patient-id
    or --patient-user; prints the record assigned (record id, patient-file id, sex, birth date)."""
    changed, shown, _ = _change_assignment(
        "assign", clinician, (patient, record_id, patient_file_id, patient_user), db)
    typer.echo(f"assigned {shown} to {clinician}" if changed
               else f"{clinician} was already assigned {shown}")


@users_app.command("unassign")
def unassign(
    clinician: Annotated[str, typer.Argument(help="the clinician's username")],
    patient: PatientArgument = None,
    record_id: RecordIdOption = None,
    patient_file_id: PatientIdOption = None,
    patient_user: PatientUserOption = None,
    db: DbOption = None,
) -> None:
    """Stop CLINICIAN seeing one patient record (named as for assign); audited like assign."""
    changed, shown, orphaned = _change_assignment(
        "unassign", clinician, (patient, record_id, patient_file_id, patient_user), db)
    if not changed:
        typer.echo(f"{clinician} was not assigned {shown}")
        return
    typer.echo(f"unassigned {shown} from {clinician}" + (
        "; no clinician is assigned to it now" if orphaned else ""))


@users_app.command("assignments")
def assignments(
    clinician: Annotated[str | None, typer.Argument(
        help="only this clinician's assignments", show_default=False)] = None,
    record_id: Annotated[int | None, typer.Option(
        "--record-id", min=1, max=MAX_RECORD_ID, show_default=False,
        help="only the clinicians assigned this patient record")] = None,
    db: DbOption = None,
) -> None:
    """List clinician-patient assignments, one a line: clinician, record id, patient-file id, sex,
    birth date (tab-separated)."""
    from osteotwin.records.storage.repository import assignments as list_assignments

    with _database(db) as session:
        doctor = None if clinician is None else _clinician(session, clinician)
        rows = list_assignments(session, clinician=doctor, patient_id=record_id)
        for user, row in rows:
            shown = row.external_id
            if shown is not None and not shown.isprintable():  # stored before such were refused
                shown = ascii(shown)[1:-1]
            external = "no patient-file id" if shown is None else f"patient-file id {shown}"
            typer.echo("\t".join((user.username, f"record {row.id}", external, row.sex,
                                  f"born {row.birth_date.isoformat()}")))
    if not rows:
        typer.echo("no assignments", err=True)


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
    from osteotwin.records.storage.accounts import existing_user, set_active

    with _database(db) as session:
        changed = set_active(session, existing_user(session, username), active, _cli_actor())
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
    from osteotwin.records.storage.accounts import existing_user
    from osteotwin.records.storage.accounts import set_password as replace_password

    password, generated = _password(password_stdin)
    with _database(db) as session:
        replace_password(session, existing_user(session, username), password, _cli_actor())
        session.commit()
    typer.echo(f"password of {username} replaced; its sessions and tokens ended")
    if generated:
        typer.echo(f"password (shown once): {password}")
