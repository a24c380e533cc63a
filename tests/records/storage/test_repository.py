"""Repository and migrations, on SQLite and PostgreSQL: round trips, entries, audit, constraints."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document, parse_text, record_to_document
from osteotwin.records.storage import Actor, audit_trail
from osteotwin.records.storage import repository as repo
from osteotwin.records.storage.accounts import create_user
from osteotwin.records.storage.models import Base, LabRow, PatientRow
from osteotwin.records.storage.seed import demo_record_text

CLINICIAN = Actor(None, "dr-test", "system")


def demo_record():  # type: ignore[no-untyped-def]
    return parse_patient_document(parse_text(demo_record_text(), source="demo"), source="demo")


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    tables = set(inspect(engine).get_table_names())
    assert {"patients", "labs", "dxa_scans", "medications", "lifestyle_logs", "users",
            "clinician_patients", "assessments", "simulations", "audit_log", "api_tokens"} <= tables


def test_patient_file_round_trip_loses_nothing(session: Session) -> None:
    record = demo_record()
    row = repo.create_patient(session, record, CLINICIAN)
    session.commit()
    session.expunge_all()
    stored = repo.load_patient(session, row.id)
    assert stored is not None
    again = repo.record_from_row(stored)
    assert again == record
    assert repo.as_document(stored) == record_to_document(record)


def test_lab_entry_keeps_reported_unit_and_converts(session: Session) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    stored = repo.add_entry(session, row, "labs", {"test": "estradiol", "value": 73.4, "unit": "pmol/L",
                                                   "date": "2025-01-15"}, CLINICIAN)
    session.commit()
    assert stored["unit"] == "pmol/L" and stored["value"] == 73.4
    lab = session.scalars(select(LabRow).where(LabRow.id == stored["id"])).one()
    # 73.4 pmol/L x 272.38 g/mol = 19.99 pg/mL (independent arithmetic, PubChem molar mass)
    assert lab.unit == "pg/mL"
    assert lab.value == pytest.approx(73.4 * 272.38 / 1000.0, rel=1e-6)
    assert row.revision == 2


@pytest.mark.parametrize(("kind", "entry", "field"), [
    ("labs", {"test": "estradiol", "value": 20, "unit": "mg/dL", "date": "2025-01-01"}, "unit"),
    ("labs", {"test": "estradiol", "value": 20, "unit": "pg/mL", "date": "1950-01-01"}, "date"),
    ("labs", {"test": "estrogen", "value": 20, "unit": "pg/mL", "date": "2025-01-01"}, "test"),
    ("dxa", {"date": "2025-01-01", "site": "wrist", "bmd": "0.9 g/cm2"}, "site"),
    ("dxa", {"date": "2025-01-01", "site": "total_hip", "bmd": "9 g/cm2"}, "bmd"),
    ("medications", {"drug": "anastrozole", "dose": "50 mg", "every": "1 d"}, "dose"),
])
def test_bad_entries_are_refused_naming_the_field(session: Session, kind: str, entry: dict[str, object],
                                                 field: str) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    session.commit()
    before = repo.as_document(row)
    with pytest.raises(UserInputError) as info:
        repo.add_entry(session, row, kind, entry, CLINICIAN)
    session.rollback()
    assert info.value.field == field
    assert info.value.accepted
    reloaded = repo.load_patient(session, row.id)
    assert reloaded is not None and repo.as_document(reloaded) == before


def test_replace_is_audited_with_before_and_after(session: Session) -> None:
    doctor = create_user(session, username="dr-who", password="long enough password", role="clinician",
                         actor=CLINICIAN)
    actor = Actor(doctor.id, doctor.username, doctor.role)
    row = repo.create_patient(session, demo_record(), actor)
    session.commit()
    document = repo.as_document(row)
    document["patient"]["weight"] = "80 kg"
    repo.replace_patient(session, row, parse_patient_document(document), actor)
    session.commit()
    trail = audit_trail(session, patient_id=row.id)
    assert [a.action for a in trail] == ["replace", "create"]
    latest = trail[0]
    assert latest.username == "dr-who" and latest.user_id == doctor.id
    assert latest.before is not None and latest.after is not None
    assert latest.before["patient"]["weight"] == "86 kg"
    assert latest.after["patient"]["weight"] == "80 kg"
    assert latest.at.year >= 2025


def test_logs_are_validated_stored_and_audited(session: Session) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    stored = repo.add_log(session, row, {"kind": "symptom", "date": "2025-02-01", "symptom": "joint_pain",
                                         "severity": 6}, CLINICIAN, today=dt.date(2025, 6, 1))
    session.commit()
    assert stored["severity"] == 6 and stored["symptom"] == "joint_pain"
    with pytest.raises(UserInputError) as info:
        repo.add_log(session, row, {"kind": "symptom", "date": "2025-02-01", "symptom": "joint_pain",
                                    "severity": 11}, CLINICIAN, today=dt.date(2025, 6, 1))
    assert info.value.field == "severity"
    assert audit_trail(session, patient_id=row.id)[0].entity == "log"


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(LabRow(patient_id=999_999, test="estradiol", value=1.0, unit="pg/mL",
                       reported_value=1.0, reported_unit="pg/mL", date=dt.date(2024, 1, 1)))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_deleting_a_patient_removes_children_but_keeps_the_audit_trail(session: Session) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    session.commit()
    patient_id = row.id
    session.delete(row)
    session.commit()
    assert session.scalar(select(LabRow).where(LabRow.patient_id == patient_id)) is None
    assert session.get(PatientRow, patient_id) is None
    assert [a.action for a in audit_trail(session, patient_id=patient_id)] == ["create"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_remove_and_stop_correct_entries_with_the_audit_keeping_them(session: Session) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    session.commit()
    labs_before = repo.entry_documents(row, "labs")
    removed = repo.remove_entry(session, row, "labs", int(labs_before[0]["id"]), "duplicate", CLINICIAN)
    med = next(m for m in repo.entry_documents(row, "medications") if m["drug"] == "anastrozole")
    stopped = repo.stop_medication(session, row, int(med["id"]), "2025-04-30", CLINICIAN)
    session.commit()
    session.expunge_all()
    stored = repo.load_patient(session, row.id)
    assert stored is not None and stored.revision == 3
    assert repo.entry_documents(stored, "labs") == labs_before[1:]
    assert removed == labs_before[0] and stopped["stop"] == "2025-04-30"
    record = repo.record_from_row(stored)
    assert next(m for m in record.medications if m.drug == "anastrozole").stop == dt.date(2025, 4, 30)
    trail = {entry.action: entry for entry in audit_trail(session, patient_id=row.id)}
    assert trail["remove"].before == labs_before[0] and trail["remove"].after == {"reason": "duplicate"}
    assert trail["stop"].before is not None and trail["stop"].before["stop"] is None
    for call, field in ((lambda: repo.remove_entry(session, stored, "labs", 10**6, "x", CLINICIAN), "id"),
                        (lambda: repo.remove_entry(session, stored, "dxa", 1, " ", CLINICIAN), "reason"),
                        (lambda: repo.stop_medication(session, stored, int(med["id"]), "2001-01-01",
                                                      CLINICIAN), "stop")):
        with pytest.raises(UserInputError) as err:
            call()
        assert err.value.field == field


def test_a_removed_entrys_id_is_never_given_to_a_new_one(session: Session) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    lab = {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-01-15"}
    newest = repo.add_entry(session, row, "labs", lab, CLINICIAN)["id"]
    repo.remove_entry(session, row, "labs", newest, "duplicate", CLINICIAN)
    session.commit()
    again = repo.add_entry(session, row, "labs", lab, CLINICIAN)["id"]
    session.commit()
    assert again > newest  # SQLite reuses the highest id unless the table is AUTOINCREMENT


def test_two_concurrent_changes_of_one_record_cannot_both_commit(engine: Engine) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    from osteotwin.records.storage import make_sessionmaker

    maker = make_sessionmaker(engine)
    with maker() as setup:
        patient_id = repo.create_patient(setup, demo_record(), CLINICIAN).id
        setup.commit()
    with maker() as first, maker() as second:
        row_1, row_2 = repo.load_patient(first, patient_id), repo.load_patient(second, patient_id)
        assert row_1 is not None and row_2 is not None and row_1.revision == row_2.revision == 1
        lab = {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-01-15"}
        repo.add_entry(first, row_1, "labs", lab, CLINICIAN)
        first.commit()
        with pytest.raises(StaleDataError):
            repo.add_entry(second, row_2, "labs", lab, CLINICIAN)  # read at revision 1, now 2
            second.commit()
        second.rollback()
    with maker() as check:
        stored = repo.load_patient(check, patient_id)
        assert stored is not None and stored.revision == 2 and len(stored.labs) == len(demo_record().labs) + 1


def test_a_whole_record_replace_keeps_the_ids_of_entries_it_keeps(session: Session) -> None:
    row = repo.create_patient(session, demo_record(), CLINICIAN)
    for day in ("2025-01-10", "2025-02-10", "2025-03-10"):
        repo.add_entry(session, row, "labs", {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": day},
                       CLINICIAN)
    session.commit()
    ids = [lab.id for lab in row.labs]
    document = record_to_document(repo.record_from_row(row))

    def replace(labs: list[dict[str, object]]) -> list[int]:
        record = parse_patient_document({**document, "labs": labs})
        repo.replace_patient(session, row, record, CLINICIAN)
        session.commit()
        session.expire_all()
        assert record_to_document(repo.record_from_row(row))["labs"] == record_to_document(record)["labs"]
        return [lab.id for lab in row.labs]

    labs = [dict(lab) for lab in document["labs"]]
    assert replace(labs) == ids  # unchanged: every entry keeps its id
    removed = [lab for i, lab in enumerate(labs) if i != 2]
    assert replace(removed) == [i for k, i in enumerate(ids) if k != 2]
    appended = [*removed, {"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL", "date": "2025-04-01"}]
    after = replace(appended)
    assert after[:-1] == [i for k, i in enumerate(ids) if k != 2] and after[-1] > max(after[:-1] + ids)
    # an edit is a new entry (a new id); the others keep theirs (tests/records/storage/
    # test_replace_entries.py: matched by content, whatever the order)
    edited = [*appended[:-2], appended[-1], {**appended[-2], "value": 11.0}]
    again = replace(edited)
    assert again[:-1] == [i for k, i in enumerate(after) if k != len(after) - 2]
    assert again[-1] > max(after)
