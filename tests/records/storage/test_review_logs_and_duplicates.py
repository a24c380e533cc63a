"""Review fixes in storage: a fall or fracture is logged without a 0-10 severity (pain still needs
one); an entry identical to one on the record is refused where asked (the web forms), naming it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.records.storage import Actor
from osteotwin.records.storage import repository as repo
from osteotwin.records.storage.logs import validate_log
from osteotwin.records.storage.models import PatientRow

CLINICIAN = Actor(None, "dr-test", "system")
BIRTH = dt.date(1958, 3, 3)
TODAY = dt.date(2025, 6, 1)


@pytest.mark.parametrize("symptom", ["fall", "fracture"])
def test_a_fall_or_fracture_is_logged_without_a_severity(symptom: str) -> None:
    kind, when, data = validate_log({"kind": "symptom", "date": "2025-05-01", "symptom": symptom},
                                    birth_date=BIRTH, today=TODAY)
    assert (kind, when, data) == ("symptom", dt.date(2025, 5, 1), {"symptom": symptom})
    _, _, rated = validate_log({"kind": "symptom", "date": "2025-05-01", "symptom": symptom,
                                "severity": 3}, birth_date=BIRTH, today=TODAY)
    assert rated == {"symptom": symptom, "severity": 3}  # a severity given is still kept


@pytest.mark.parametrize("symptom", ["joint_pain", "back_pain", "hot_flushes", "fatigue"])
def test_a_symptom_measured_by_its_severity_still_needs_one(symptom: str) -> None:
    with pytest.raises(UserInputError) as info:
        validate_log({"kind": "symptom", "date": "2025-05-01", "symptom": symptom},
                     birth_date=BIRTH, today=TODAY)
    assert info.value.field == "severity" and info.value.problem == "missing field"
    assert "0 to 10" in info.value.accepted and "fall or fracture" in info.value.accepted


def test_a_fall_logged_without_severity_is_stored_and_read_back(session: Session) -> None:
    row = _patient(session)
    stored = repo.add_log(session, row, {"kind": "symptom", "date": "2025-05-01", "symptom": "fall",
                                         "note": "slipped on ice"}, CLINICIAN, today=TODAY)
    session.commit()
    assert stored["symptom"] == "fall" and "severity" not in stored
    assert repo.entry_documents(row, "logs")[-1] == stored


def _patient(session: Session) -> PatientRow:
    record = parse_patient_document({
        "version": 1, "patient": {"sex": "female", "birth_date": BIRTH.isoformat()},
        "medications": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-02-01"}],
        "labs": [{"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL", "date": "2024-06-01"}],
        "dxa": [{"date": "2024-03-01", "site": "femoral_neck", "bmd": "0.7 g/cm2", "t_score": -2.1}]})
    row = repo.create_patient(session, record, CLINICIAN)
    session.commit()
    return row


@pytest.mark.parametrize(("kind", "entry", "field", "named"), [
    ("medications", {"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-02-01"},
     "start", "letrozole 2.5 mg every day from 2024-02-01, ongoing"),
    ("medications", {"drug": "letrozole", "dose": "2500 ug", "every": "24 h", "start": "2024-02-01",
                     "route": "oral"}, "start", "letrozole 2.5 mg every day from 2024-02-01"),
    ("dxa", {"date": "2024-03-01", "site": "femoral_neck", "bmd": "0.7 g/cm2", "t_score": -2.1},
     "date", "a DXA scan of the femoral neck on 2024-03-01 (BMD 0.700 g/cm², T -2.1"),
    ("dxa", {"date": "2024-03-01", "site": "femoral_neck", "t_score": -2.3},  # same scan, other value
     "date", "a DXA scan of the femoral neck on 2024-03-01"),
    ("labs", {"test": "vitamin_d_25oh", "value": 74.88, "unit": "nmol/L", "date": "2024-06-01"},
     "date", "vitamin d 25oh 30 ng/mL on 2024-06-01"),
])
def test_an_entry_identical_to_one_on_the_record_is_refused_naming_it(
        session: Session, kind: str, entry: dict[str, Any], field: str, named: str) -> None:
    row = _patient(session)
    existing = {e["id"] for e in repo.entry_documents(row, kind)}
    revision = row.revision
    with pytest.raises(UserInputError) as info:
        repo.add_entry(session, row, kind, entry, CLINICIAN, refuse_duplicates=True)
    session.rollback()
    error = info.value
    assert error.field == field and error.problem.startswith(f"already on the record: {named}")
    assert f"entry {existing.pop()})" in error.problem
    assert "correct it in the timeline" in error.accepted
    fresh = repo.load_patient(session, row.id)
    assert fresh is not None and fresh.revision == revision  # nothing stored
    assert len(repo.entry_documents(fresh, kind)) == 1


@pytest.mark.parametrize(("kind", "entry"), [
    ("medications", {"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-03-01"}),
    ("medications", {"drug": "letrozole", "dose": "2.5 mg", "every": "2 d", "start": "2024-02-01"}),
    ("medications", {"drug": "anastrozole", "dose": "1 mg", "every": "1 d", "start": "2024-02-01"}),
    ("dxa", {"date": "2024-03-01", "site": "total_hip", "t_score": -1.0}),
    ("dxa", {"date": "2024-09-01", "site": "femoral_neck", "t_score": -2.1}),
    ("labs", {"test": "vitamin_d_25oh", "value": 31, "unit": "ng/mL", "date": "2024-06-01"}),
    ("labs", {"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL", "date": "2024-07-01"}),
])
def test_entries_that_differ_are_added(session: Session, kind: str, entry: dict[str, Any]) -> None:
    row = _patient(session)
    repo.add_entry(session, row, kind, entry, CLINICIAN, refuse_duplicates=True)
    session.commit()
    assert len(repo.entry_documents(row, kind)) == 2


def test_without_the_check_an_identical_entry_is_added_as_before(session: Session) -> None:
    """The JSON API and whole-record writes keep their semantics (a file may hold repeats)."""
    row = _patient(session)
    repo.add_entry(session, row, "labs", {"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL",
                                          "date": "2024-06-01"}, CLINICIAN)
    session.commit()
    assert len(repo.entry_documents(row, "labs")) == 2
