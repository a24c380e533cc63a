"""Demo seed for a fresh database: a clinician, the spec's example patient and that patient's account.

Passwords are generated (never defaults) and returned once so that ``osteotwin serve`` can print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.storage.accounts import create_user, generate_password
from osteotwin.records.storage.audit import Actor
from osteotwin.records.storage.models import UserRow
from osteotwin.records.storage.repository import create_patient

DEMO_CLINICIAN = "demo-clinician"
DEMO_PATIENT = "demo-patient"


@dataclass(frozen=True)
class SeededAccount:
    username: str
    role: str
    password: str
    patient_id: int | None


def demo_record_text() -> str:
    """The packaged example patient (spec/patient-file.md) as YAML text."""
    return resources.files("osteotwin.records.storage").joinpath("demo_patient.yaml").read_text("utf-8")


def has_users(session: Session) -> bool:
    """Whether the database has any account."""
    return bool(session.scalar(select(func.count()).select_from(UserRow)))


def seed_demo(session: Session) -> list[SeededAccount]:
    """Seed the demo accounts and patient if the database has no users yet; commit; return them.

    Two servers started at once on an empty database may both find no users: the one whose
    insert of a demo username comes second gets a unique-constraint error, rolls back (nothing of
    its seed is kept) and carries on as on a seeded database (returns no accounts)."""
    if has_users(session):
        return []
    try:
        return _seed(session)
    except IntegrityError:
        session.rollback()
        if has_users(session):  # another process seeded it first
            return []
        raise


def _seed(session: Session) -> list[SeededAccount]:
    actor = Actor.system("seed")
    clinician_password, patient_password = generate_password(), generate_password()
    clinician = create_user(session, username=DEMO_CLINICIAN, password=clinician_password,
                            role="clinician", actor=actor)
    record = parse_patient_document(parse_text(demo_record_text(), source="demo"), source="demo")
    clinician_actor = Actor(clinician.id, clinician.username, clinician.role)
    patient = create_patient(session, record, clinician_actor)
    create_user(session, username=DEMO_PATIENT, password=patient_password, role="patient",
                actor=actor, patient_id=patient.id)
    session.commit()
    return [SeededAccount(DEMO_CLINICIAN, "clinician", clinician_password, None),
            SeededAccount(DEMO_PATIENT, "patient", patient_password, patient.id)]
