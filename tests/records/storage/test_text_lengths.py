"""The patient file reader's text limits are the lengths of the columns the text is stored in, so
too long a value is refused with a message (422) instead of failing at the database (500)."""

from __future__ import annotations

import pytest
from sqlalchemy import String
from sqlalchemy.orm import Session

from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.records.patient_file import TEXT_LENGTHS
from osteotwin.records.storage import Actor
from osteotwin.records.storage import repository as repo
from osteotwin.records.storage.models import DxaRow, LabRow, PatientRow

CLINICIAN = Actor(None, "dr-test", "clinician")
BASE = {"version": 1, "patient": {"sex": "female", "birth_date": "1960-05-01"}}


@pytest.mark.parametrize(("field", "column"), [
    ("patient.id", PatientRow.__table__.c.external_id),
    ("labs.unit", LabRow.__table__.c.reported_unit),
    ("labs.method", LabRow.__table__.c.method),
    ("dxa.device", DxaRow.__table__.c.device),
])
def test_the_reader_limits_text_to_its_column(field: str, column: object) -> None:
    kind = getattr(column, "type", None)
    assert isinstance(kind, String) and kind.length is not None
    assert TEXT_LENGTHS[field] <= kind.length


def test_an_entry_with_too_long_a_method_is_refused_and_nothing_stored(session: Session) -> None:
    row = repo.create_patient(session, parse_patient_document(BASE), CLINICIAN)
    session.commit()
    lab = {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-01-12"}
    with pytest.raises(UserInputError) as info:
        repo.add_entry(session, row, "labs", {**lab, "method": "m" * 65}, CLINICIAN)
    session.rollback()
    assert info.value.field == "method" and "at most 64 characters" in info.value.accepted
    with pytest.raises(UserInputError) as info:
        repo.add_entry(session, row, "dxa", {"date": "2025-01-12", "site": "total_hip",
                                             "t_score": -1.0, "device": "a\u0000b"}, CLINICIAN)
    session.rollback()
    assert info.value.field == "device"
    assert repo.load_patient(session, row.id) is not None and not row.labs and not row.dxa_scans
    stored = repo.add_entry(session, row, "labs", {**lab, "method": "m" * 64}, CLINICIAN)
    session.commit()
    assert stored["method"] == "m" * 64
