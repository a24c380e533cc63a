"""Accounts: argon2 hashes, credential checks, bearer tokens, clinician assignments (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.records.storage import Actor, accounts, repository
from osteotwin.records.storage.seed import seed_demo

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"


def test_password_is_stored_as_argon2id_hash(session: Session) -> None:
    user = accounts.create_user(session, username="alice", password=PASSWORD, role="clinician",
                                actor=SYSTEM)
    session.commit()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert accounts.authenticate(session, "alice", PASSWORD) is not None
    assert accounts.authenticate(session, "alice", PASSWORD + "x") is None
    assert accounts.authenticate(session, "nobody", PASSWORD) is None


@pytest.mark.parametrize(("username", "password", "role", "field"), [
    ("a", PASSWORD, "clinician", "username"),
    ("bob", "short", "clinician", "password"),
    ("bob", PASSWORD, "admin", "role"),
])
def test_bad_credentials_are_refused(session: Session, username: str, password: str, role: str,
                                     field: str) -> None:
    with pytest.raises(UserInputError) as info:
        accounts.create_user(session, username=username, password=password, role=role, actor=SYSTEM)
    assert info.value.field == field


def test_duplicate_username_is_refused(session: Session) -> None:
    accounts.create_user(session, username="carol", password=PASSWORD, role="clinician", actor=SYSTEM)
    with pytest.raises(UserInputError, match="already exists"):
        accounts.create_user(session, username="carol", password=PASSWORD, role="patient", actor=SYSTEM)


def test_tokens_resolve_until_they_expire(session: Session) -> None:
    user = accounts.create_user(session, username="dave", password=PASSWORD, role="clinician",
                                actor=SYSTEM)
    token = accounts.issue_token(session, user)
    expired = accounts.issue_token(session, user, lifetime=dt.timedelta(seconds=-1))
    session.commit()
    found = accounts.user_for_token(session, token)
    assert found is not None and found.id == user.id
    assert accounts.user_for_token(session, expired) is None
    assert accounts.user_for_token(session, token + "x") is None


def test_patients_see_only_their_record_and_clinicians_only_assigned(session: Session) -> None:
    document = {"version": 1, "patient": {"sex": "female", "birth_date": "1961-05-05"}}
    first = repository.create_patient(session, parse_patient_document(document), SYSTEM)
    second = repository.create_patient(session, parse_patient_document(document), SYSTEM)
    doctor = accounts.create_user(session, username="dr-eve", password=PASSWORD, role="clinician",
                                  actor=SYSTEM)
    patient = accounts.create_user(session, username="pat", password=PASSWORD, role="patient",
                                   actor=SYSTEM, patient_id=first.id)
    repository.assign(session, doctor, second.id, SYSTEM)
    session.commit()
    assert repository.can_access(session, patient, first.id)
    assert not repository.can_access(session, patient, second.id)
    assert repository.can_access(session, doctor, second.id)
    assert not repository.can_access(session, doctor, first.id)
    assert [r.id for r in repository.list_patients(session, doctor)] == [second.id]


def test_seed_creates_demo_accounts_once_with_generated_passwords(session: Session) -> None:
    seeded = seed_demo(session)
    assert {a.role for a in seeded} == {"clinician", "patient"}
    passwords = [a.password for a in seeded]
    assert len(set(passwords)) == 2 and all(len(p) >= 16 for p in passwords)
    for account in seeded:
        assert accounts.authenticate(session, account.username, account.password) is not None
    assert seed_demo(session) == []
