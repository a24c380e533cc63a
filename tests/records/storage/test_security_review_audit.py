"""Security review, finding 2, storage side (SQLite and PostgreSQL): access events in audit_log,
kept apart from the changes, stored whatever a failed sign-in's username holds, found by action."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from osteotwin.records import parse_patient_document
from osteotwin.records.storage import Actor, audit_trail, repository
from osteotwin.records.storage.audit import ACCESS_ACTIONS, record_access
from osteotwin.records.storage.models import PatientRow


def _patient(session: Session) -> int:
    record = parse_patient_document({"version": 1, "patient": {"id": "audit-1", "sex": "female",
                                                               "birth_date": "1960-01-01"}})
    row = repository.create_patient(session, record, Actor(None, "dr-x", "clinician"))
    session.commit()
    return row.id


def test_reads_are_kept_apart_from_changes_and_leave_the_revision(session: Session) -> None:
    patient = _patient(session)
    revision = session.get(PatientRow, patient).revision  # type: ignore[union-attr]
    for entity in ("timeline", "report.pdf"):
        record_access(session, action="view" if entity == "timeline" else "export", entity=entity,
                      username="dr-x", user_id=7, patient_id=patient,
                      details={"address": "192.0.2.4", "path": f"/patients/{patient}/{entity}"})
    session.commit()
    assert [a.action for a in audit_trail(session, patient_id=patient)] == ["create"]
    assert [(a.action, a.entity) for a in audit_trail(session, patient_id=patient, kind="access")] == [
        ("export", "report.pdf"), ("view", "timeline")]
    assert len(audit_trail(session, patient_id=patient, kind="all")) == 3
    session.expire_all()
    assert session.get(PatientRow, patient).revision == revision  # type: ignore[union-attr]


def test_a_failed_sign_in_stores_any_username_tried(session: Session) -> None:
    tried = "x\x00\ud800\u202e" + "y" * 200  # NUL and a lone surrogate: PostgreSQL text refuses both
    record_access(session, action="sign_in_failed", entity="session", username=tried,
                  details={"address": "203.0.113.9\x00"})
    session.commit()
    [row] = audit_trail(session, kind="access")
    assert row.username == "x???" + "y" * 76 and row.user_id is None and row.patient_id is None
    assert row.after == {"address": "203.0.113.9?"}


def test_only_access_actions_are_taken() -> None:
    with pytest.raises(ValueError, match="not an access action"):
        record_access(None, action="replace", entity="patient", username="x")  # type: ignore[arg-type]
    assert "sign_in_throttled" in ACCESS_ACTIONS and "create" not in ACCESS_ACTIONS


def test_access_events_are_indexed_by_action(engine: Engine) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("audit_log")}
    assert indexes["ix_audit_action"] == ["action", "at"]
