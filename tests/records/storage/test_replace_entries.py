"""A whole-record replace (PUT) matches entries by content: an entry keeps its id and who entered it
(which decides whether a patient may remove it) wherever it is in the document; an edited entry is
a removal and an addition. Real database (SQLite file; PostgreSQL where configured)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from osteotwin.records import parse_patient_document, record_to_document
from osteotwin.records.storage import Actor
from osteotwin.records.storage import repository as repo
from osteotwin.records.storage.models import PatientRow

CLINICIAN = Actor(None, "dr-test", "clinician")
OTHER_CLINICIAN = Actor(None, "dr-other", "clinician")
PATIENT = Actor(None, "pat2", "patient")

BASE: dict[str, Any] = {"version": 1, "patient": {"sex": "female", "birth_date": "1960-05-01"}}

#: Three distinct entries of each kind: who enters each one is in ``ENTERED_BY``.
ENTRIES: dict[str, list[dict[str, Any]]] = {
    "labs": [
        {"test": "vitamin_d_25oh", "value": 18, "unit": "ng/mL", "date": "2025-01-10", "method": "LC-MS"},
        {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-01-12"},
        {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-03-12", "method": "LC-MS/MS"},
    ],
    "dxa": [
        {"date": "2024-05-01", "site": "lumbar_spine", "t_score": -1.9},
        {"date": "2024-05-01", "site": "total_hip", "t_score": -1.2, "device": "Hologic"},
        {"date": "2025-05-01", "site": "lumbar_spine", "t_score": -2.1},
    ],
    "medications": [
        {"drug": "anastrozole", "dose": "1 mg", "every": "1 d", "start": "2024-01-01"},
        {"drug": "vitamin_d3", "dose": "1000 IU/d", "start": "2024-01-01"},
        {"drug": "alendronate", "dose": "70 mg", "every": "7 d", "start": "2024-06-01"},
    ],
}
ENTERED_BY = (PATIENT, CLINICIAN, PATIENT)
ROWS = {"labs": "labs", "dxa": "dxa_scans", "medications": "medications"}
KINDS = tuple(ENTRIES)


def _stored(row: PatientRow, kind: str) -> list[tuple[int, str | None, dict[str, Any]]]:
    """(id, created_by, entry as a document) of each stored entry, in id order."""
    documents = repo.entry_documents(row, kind)
    children = getattr(row, ROWS[kind])
    return [(child.id, child.created_by, {k: v for k, v in document.items() if k != "id"})
            for child, document in zip(children, documents, strict=True)]


def _record_with(session: Session, kind: str, entries: list[dict[str, Any]],
                 by: tuple[Actor, ...]) -> PatientRow:
    """A stored record with ``entries`` of ``kind``, each added by the matching actor of ``by``."""
    row = repo.create_patient(session, parse_patient_document(BASE), CLINICIAN)
    for entry, actor in zip(entries, by, strict=True):
        repo.add_entry(session, row, kind, entry, actor)
    session.commit()
    return row


def _replace(session: Session, row: PatientRow, kind: str, entries: list[dict[str, Any]],
             actor: Actor = CLINICIAN) -> None:
    document = {**repo.as_document(row), kind: entries}
    repo.replace_patient(session, row, parse_patient_document(document), actor)
    session.commit()
    session.expire_all()  # read back from the database


def _canonical(kind: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries as the record stores and lists them (normalised by the reader)."""
    document: list[dict[str, Any]] = record_to_document(
        parse_patient_document({**BASE, kind: entries}))[kind]
    return document


def _key(document: dict[str, Any]) -> str:
    return repr(sorted(document.items()))


@pytest.mark.parametrize("kind", KINDS)
def test_reversing_the_entries_keeps_each_ids_content_and_who_entered_it(session: Session,
                                                                         kind: str) -> None:
    row = _record_with(session, kind, ENTRIES[kind], ENTERED_BY)
    before = _stored(row, kind)
    assert [by for _, by, _ in before] == ["pat2", "dr-test", "pat2"]
    _replace(session, row, kind, list(reversed(ENTRIES[kind])), OTHER_CLINICIAN)
    after = _stored(row, kind)
    assert after == before  # same ids, same content and the same author for each id
    patients_lab, clinicians_lab = before[0][0], before[1][0]
    assert repo.patient_may_remove(row, kind, patients_lab, "pat2")
    assert not repo.patient_may_remove(row, kind, clinicians_lab, "pat2")


@pytest.mark.parametrize("kind", KINDS)
def test_a_swap_in_a_replace_of_the_same_length_does_not_move_ids(session: Session, kind: str) -> None:
    """The reviewer's case: as many entries as before, in another order (the first two swapped)."""
    row = _record_with(session, kind, ENTRIES[kind], ENTERED_BY)
    before = {entry_id: (by, _key(document)) for entry_id, by, document in _stored(row, kind)}
    first, second, third = ENTRIES[kind]
    _replace(session, row, kind, [second, first, third])
    after = {entry_id: (by, _key(document)) for entry_id, by, document in _stored(row, kind)}
    assert after == before


@pytest.mark.parametrize("kind", KINDS)
def test_an_edited_entry_among_unchanged_ones_is_a_new_entry(session: Session, kind: str) -> None:
    row = _record_with(session, kind, ENTRIES[kind], ENTERED_BY)
    before = _stored(row, kind)
    first, second, third = ENTRIES[kind]
    edited = {"labs": {**second, "value": 11},
              "dxa": {**second, "t_score": -1.4},
              "medications": {**second, "dose": "2000 IU/d"}}[kind]
    _replace(session, row, kind, [third, edited, first], OTHER_CLINICIAN)
    after = _stored(row, kind)
    # the unchanged entries keep their rows (id, author), whatever their place in the document
    assert after[:2] == [before[0], before[2]]
    new_id, new_by, new_document = after[2]
    assert new_id > max(entry_id for entry_id, _, _ in before)  # a new id, never a reused one
    assert new_by == "dr-other"  # entered by who made the change
    assert new_document == _canonical(kind, [edited])[0]
    assert before[1][0] not in {entry_id for entry_id, _, _ in after}  # the old one is gone
    assert not repo.patient_may_remove(row, kind, new_id, "pat2")


@pytest.mark.parametrize("kind", KINDS)
def test_identical_entries_pair_one_to_one(session: Session, kind: str) -> None:
    same, other = ENTRIES[kind][0], ENTRIES[kind][1]
    row = _record_with(session, kind, [same, other, same], ENTERED_BY)
    before = _stored(row, kind)
    ids = [entry_id for entry_id, _, _ in before]
    # both copies kept, in another order: both keep their rows, none is added
    _replace(session, row, kind, [same, same, other])
    assert _stored(row, kind) == before
    # one copy dropped: the other (the first entered) keeps its row, the later one goes
    _replace(session, row, kind, [other, same])
    assert _stored(row, kind) == [before[0], before[1]]
    # three copies: the stored one keeps its row, two are new (new ids, entered by the patient)
    _replace(session, row, kind, [same, same, other, same], PATIENT)
    after = _stored(row, kind)
    assert after[:2] == [before[0], before[1]]
    assert [by for _, by, _ in after[2:]] == ["pat2", "pat2"]
    assert all(entry_id > max(ids) for entry_id, _, _ in after[2:])
    assert [document for _, _, document in after[2:]] == _canonical(kind, [same, same])


def test_every_kind_at_once_and_the_record_reads_back_as_replaced(session: Session) -> None:
    row = repo.create_patient(session, parse_patient_document(BASE), CLINICIAN)
    for kind in KINDS:
        for entry, actor in zip(ENTRIES[kind], ENTERED_BY, strict=True):
            repo.add_entry(session, row, kind, entry, actor)
    session.commit()
    before = {kind: _stored(row, kind) for kind in KINDS}
    document = {**repo.as_document(row), **{kind: list(reversed(ENTRIES[kind])) for kind in KINDS}}
    record = parse_patient_document(document)
    repo.replace_patient(session, row, record, CLINICIAN)
    session.commit()
    session.expire_all()
    assert {kind: _stored(row, kind) for kind in KINDS} == before
    stored = record_to_document(repo.record_from_row(row))
    wanted = record_to_document(record)
    for kind in KINDS:  # the same entries (in the order of their ids, not the document's)
        assert sorted(map(_key, stored[kind])) == sorted(map(_key, wanted[kind]))
