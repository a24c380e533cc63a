"""Points in time read back the same on SQLite and PostgreSQL: aware, in UTC (an interoperability
review found naive times on SQLite and the session's zone on PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from osteotwin.records import parse_patient_document
from osteotwin.records.storage import Actor, audit_trail
from osteotwin.records.storage import repository as repo

CLINICIAN = Actor(None, "dr-test", "system")


def test_times_are_read_back_in_utc_on_every_database(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":  # a session zone other than UTC
        session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
    record = parse_patient_document({"version": 1, "patient": {"sex": "male",
                                                               "birth_date": "1970-01-01"}})
    before = dt.datetime.now(dt.UTC)
    row = repo.create_patient(session, record, CLINICIAN)
    session.commit()
    session.expire_all()
    stored = repo.load_patient(session, row.id)
    assert stored is not None
    [entry] = audit_trail(session, patient_id=row.id)
    for when in (stored.updated_at, stored.created_at, entry.at):
        assert when.tzinfo is not None and when.utcoffset() == dt.timedelta(0)
        assert abs(when - before) < dt.timedelta(minutes=5)


def test_a_naive_time_is_taken_as_utc() -> None:
    from osteotwin.records.storage.models import as_utc

    naive = dt.datetime(2025, 1, 1, 12, 0)
    assert as_utc(naive) == dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    tokyo = dt.datetime(2025, 1, 1, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert as_utc(tokyo) == dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
    assert as_utc(tokyo).utcoffset() == dt.timedelta(0)
