"""Mapping between database rows and ``PatientRecord``, and the audited record operations.

Writes take patient file v1 input (documents or single entries), validate it with the patient file
reader (same fields, units and messages everywhere) and store canonical values.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from osteotwin.errors import UserInputError
from osteotwin.records import (
    DxaScan,
    ExternalFractureRisk,
    History,
    LabResult,
    Lifestyle,
    Medication,
    Patient,
    PatientRecord,
    parse_patient_document,
    record_to_document,
)
from osteotwin.records.patient import scan_measures
from osteotwin.records.storage.audit import Actor, record_change
from osteotwin.records.storage.logs import validate_log
from osteotwin.records.storage.models import (
    ClinicianPatientRow,
    DxaRow,
    LabRow,
    LifestyleLogRow,
    MedicationRow,
    PatientRow,
    UserRow,
    utc_text,
    utcnow,
)

ENTRY_KINDS: tuple[str, ...] = ("labs", "dxa", "medications")


# --------------------------------------------------------------------------------------------------
# Rows <-> record
# --------------------------------------------------------------------------------------------------


def record_from_row(row: PatientRow) -> PatientRecord:
    """The stored record as a ``PatientRecord`` (canonical units; labs keep their reported form)."""
    return PatientRecord(
        version=1,
        as_of=row.as_of,
        patient=Patient(id=row.external_id, sex=row.sex, birth_date=row.birth_date,
                        height_cm=row.height_cm, weight_kg=row.weight_kg,
                        menopausal_status=row.menopausal_status),
        history=History.model_validate(row.history or {}),
        medications=tuple(Medication(drug=m.drug, dose_mg=m.dose_mg, dose_iu=m.dose_iu, route=m.route,
                                     every_d=m.every_d, start=m.start, stop=m.stop)
                          for m in row.medications),
        labs=tuple(LabResult(test=x.test, value=x.value, unit=x.unit, date=x.date, method=x.method,
                             reported_value=x.reported_value, reported_unit=x.reported_unit)
                   for x in row.labs),
        dxa=tuple(DxaScan(date=s.date, site=s.site, bmd_g_cm2=s.bmd_g_cm2,
                          t_score=s.t_score, z_score=s.z_score, device=s.device)
                  for s in row.dxa_scans),
        lifestyle=Lifestyle.model_validate(row.lifestyle or {}),
        fracture_risk_external=(None if row.fracture_risk_external is None
                                else ExternalFractureRisk.model_validate(row.fracture_risk_external)),
        extra=dict(row.extra or {}),
    )


def _medication_row(m: Medication) -> MedicationRow:
    return MedicationRow(drug=m.drug, dose_mg=m.dose_mg, dose_iu=m.dose_iu, route=m.route,
                         every_d=m.every_d, start=m.start, stop=m.stop)


def _lab_row(x: LabResult) -> LabRow:
    return LabRow(test=x.test, value=x.value, unit=x.unit, reported_value=x.reported_value,
                  reported_unit=x.reported_unit, date=x.date, method=x.method)


def _dxa_row(s: DxaScan) -> DxaRow:
    return DxaRow(date=s.date, site=s.site, bmd_g_cm2=s.bmd_g_cm2, t_score=s.t_score,
                  z_score=s.z_score, device=s.device)


def _apply_record(row: PatientRow, record: PatientRecord, current: PatientRecord | None = None,
                  *, entered_by: str | None = None) -> None:
    """Write ``record`` into ``row``; ``current`` is the record the row holds now (None: a new row),
    whose entries keep their rows where ``record`` has them unchanged (``_kept_rows``); entries
    it adds are entered by ``entered_by`` (None: imported with the record)."""
    p = record.patient
    row.external_id = p.id
    row.sex = p.sex
    row.birth_date = p.birth_date
    row.height_cm = p.height_cm
    row.weight_kg = p.weight_kg
    row.menopausal_status = p.menopausal_status
    row.as_of = record.as_of
    row.history = record.history.model_dump(mode="json")
    row.lifestyle = record.lifestyle.model_dump(mode="json")
    row.fracture_risk_external = (None if record.fracture_risk_external is None
                                  else record.fracture_risk_external.model_dump(mode="json"))
    row.extra = dict(record.extra)
    # entries keep their rows, and so their ids (which pages, API clients and the audit name) and
    # who entered them (which decides who may remove them), wherever they are unchanged
    row.medications = _kept_rows(row.medications, None if current is None else current.medications,
                                 record.medications, _medication_row, entered_by)
    row.labs = _kept_rows(row.labs, None if current is None else current.labs, record.labs, _lab_row,
                          entered_by)
    row.dxa_scans = _kept_rows(row.dxa_scans, None if current is None else current.dxa, record.dxa,
                               _dxa_row, entered_by)


def _kept_rows(rows: list[Any], stored: tuple[Any, ...] | None, wanted: tuple[Any, ...],
               make: Any, entered_by: str | None) -> list[Any]:
    """The rows for the ``wanted`` entries, reusing ``rows`` (which hold ``stored``, in id order).

    Entries are matched by content, whatever their order in ``wanted``: a wanted entry equal to a
    stored one (as the record model compares them, i.e. after the reader's normalisation) keeps
    that entry's row, and so its id and who entered it; equal entries pair one to one, in id order.
    Any other wanted entry is a new row (a new id, never a reused one; entered by ``entered_by``),
    and a stored entry no wanted one matches is deleted (an edited entry is a removal and an
    addition: its id and who entered it never pass to different content). The rows come back in
    id order, the order in which entries are read back."""
    if stored is None:  # a new record: no rows yet
        rows, stored = [], ()
    unmatched: dict[Any, list[Any]] = {}  # stored entry -> its rows not yet matched, in id order
    for child, entry in zip(rows, stored, strict=True):
        unmatched.setdefault(entry, []).append(child)
    kept: set[int] = set()  # identities of the rows kept
    added: list[Any] = []
    for entry in wanted:
        same = unmatched.get(entry)
        if same:
            kept.add(id(same.pop(0)))
        else:
            child = make(entry)
            child.created_by = entered_by
            added.append(child)
    return [child for child in rows if id(child) in kept] + added


def _touch(row: PatientRow) -> None:
    """A new revision of the record. ``revision`` is the mapper's version counter, so the UPDATE
    also checks the revision read: a concurrent change of the same record fails with
    ``StaleDataError`` (the web app answers 409) instead of both writing the same revision."""
    row.revision = (row.revision or 0) + 1
    row.updated_at = utcnow()


def check_revision(row: PatientRow, expected: Any) -> None:
    """Refuse a change made from an out-of-date view (a page loaded, or entries listed, before the
    record last changed): ``expected`` is the revision that view showed (None: not checked)."""
    if expected is None or expected == "":
        return
    if str(expected) != str(row.revision):
        raise UserInputError("revision", expected, f"the record's current revision, {row.revision}",
                             problem="the record changed since this view was loaded (another change "
                                     "was saved): check it and try again")


# --------------------------------------------------------------------------------------------------
# Reading and access control
# --------------------------------------------------------------------------------------------------


def load_patient(session: Session, patient_id: int) -> PatientRow | None:
    """A patient row with its record's children and logs loaded (the pages read the log with the
    record: ``web.services.assessed``), or None."""
    query = (select(PatientRow).where(PatientRow.id == patient_id)
             .options(selectinload(PatientRow.medications), selectinload(PatientRow.labs),
                      selectinload(PatientRow.dxa_scans), selectinload(PatientRow.logs)))
    return session.scalars(query).first()


def visible_patient_ids(session: Session, user: UserRow) -> list[int]:
    """Ids of the patients ``user`` may see: their own record (patient) or assigned ones (clinician)."""
    if user.role == "patient":
        return [] if user.patient_id is None else [user.patient_id]
    query = select(ClinicianPatientRow.patient_id).where(ClinicianPatientRow.clinician_id == user.id)
    return sorted(session.scalars(query))


def can_access(session: Session, user: UserRow, patient_id: int) -> bool:
    """True if ``user`` may read and change the record of ``patient_id``."""
    if not user.active:
        return False
    if user.role == "patient":
        return user.patient_id == patient_id
    query = select(ClinicianPatientRow).where(ClinicianPatientRow.clinician_id == user.id,
                                              ClinicianPatientRow.patient_id == patient_id)
    return session.scalars(query).first() is not None


def patient_for(session: Session, user: UserRow, patient_id: int) -> PatientRow | None:
    """The patient row if it exists and ``user`` may access it; None otherwise (indistinguishable)."""
    if not can_access(session, user, patient_id):
        return None
    return load_patient(session, patient_id)


def list_patients(session: Session, user: UserRow) -> list[PatientRow]:
    """The patients visible to ``user``, by id."""
    ids = visible_patient_ids(session, user)
    if not ids:
        return []
    query = (select(PatientRow).where(PatientRow.id.in_(ids)).order_by(PatientRow.id)
             .options(selectinload(PatientRow.medications), selectinload(PatientRow.labs),
                      selectinload(PatientRow.dxa_scans), selectinload(PatientRow.logs)))
    return list(session.scalars(query))


# --------------------------------------------------------------------------------------------------
# Audited writes
# --------------------------------------------------------------------------------------------------


#: Where a patient file carries the patient's own log (``extra``): written by the app's exports
#: (``log_extra``), read back into log entries when such a file creates a patient (``carried_log``).
PATIENT_LOG_EXTRA = "osteotwin_patient_log"
#: At most this many log entries ride along, the most recent, so the file stays within what a
#: patient file's ``extra`` may hold (``records.patient_file.MAX_EXTRA_VALUES``, about 10 values each).
EXPORTED_LOG_ENTRIES = 400


def log_extra(logs: list[LifestyleLogRow], as_of: dt.date) -> dict[str, Any]:
    """The ``extra`` entry that carries ``logs`` in an export stating ``as_of``: the most recent
    ``EXPORTED_LOG_ENTRIES``, each with whether a clinician reviewed it, and a note."""
    ordered = sorted(logs, key=lambda x: x.date)
    kept = ordered[-EXPORTED_LOG_ENTRIES:]
    entries = [{"kind": log.kind, "date": log.date.isoformat(), **dict(log.data),
                "reviewed": log.reviewed_at is not None} for log in kept]
    note = (f"entries the patient logged in osteotwin; falls in the 12 months to as_of "
            f"({as_of.isoformat()}) are counted in history.falls_last_12_months (the larger of "
            "the recorded and the logged count)")
    if len(kept) < len(ordered):
        note += f"; the {len(kept)} most recent of {len(ordered)} entries (the rest stay in osteotwin)"
    return {PATIENT_LOG_EXTRA: {"note": note, "entries": entries}}


def carried_log(record: PatientRecord) -> tuple[PatientRecord, list[tuple[str, dt.date, dict[str, Any]]]]:
    """The log entries a patient file carries under ``extra`` (``PATIENT_LOG_EXTRA``, as the app's
    download writes them), each checked as a new log entry is (``validate_log``), and the record
    without that block; ``UserInputError`` names the entry's field. An entry's ``reviewed`` flag is
    not carried over: who reviewed it is not in the file, so the clinician reviews it again."""
    block = record.extra.get(PATIENT_LOG_EXTRA)
    if block is None:
        return record, []
    field = f"extra.{PATIENT_LOG_EXTRA}.entries"
    entries = block.get("entries") if isinstance(block, dict) else None
    if not isinstance(entries, list):
        raise UserInputError(field, entries, "a list of log entries (kind, date and the kind's fields), "
                             "as osteotwin's patient-file download writes them")
    logs = []
    for i, entry in enumerate(entries):
        body = {k: v for k, v in entry.items() if k != "reviewed"} if isinstance(entry, dict) else entry
        try:
            logs.append(validate_log(body, birth_date=record.patient.birth_date))
        except UserInputError as err:
            raise UserInputError(f"{field}[{i}]" + (f".{err.field}" if err.field else ""), err.value,
                                 err.accepted, problem=err.problem) from None
    extra = {k: v for k, v in record.extra.items() if k != PATIENT_LOG_EXTRA}
    return record.model_copy(update={"extra": extra}), logs


def create_patient(session: Session, record: PatientRecord, actor: Actor) -> PatientRow:
    """Store a new record; a clinician creating it is assigned to it. The patient's log a patient
    file carries (``carried_log``) becomes the new record's log, entered by ``actor``; a bad entry
    refuses the whole record before anything is written. Flushes, does not commit."""
    record, logs = carried_log(record)
    row = PatientRow(revision=1, history={}, lifestyle={}, extra={})
    _apply_record(row, record)
    row.logs.extend(LifestyleLogRow(kind=kind, date=when, data=data, created_by=actor.username)
                    for kind, when, data in logs)
    session.add(row)
    session.flush()
    if actor.role == "clinician" and actor.user_id is not None:
        session.add(ClinicianPatientRow(clinician_id=actor.user_id, patient_id=row.id))
    record_change(session, actor, action="create", entity="patient", entity_id=row.id,
                  patient_id=row.id, before=None, after=record_to_document(record))
    for child in row.logs:
        record_change(session, actor, action="add", entity="log", entity_id=child.id,
                      patient_id=row.id, before=None, after=log_document(child))
    return row


def replace_patient(session: Session, row: PatientRow, record: PatientRecord, actor: Actor) -> PatientRow:
    """Replace the whole record (PUT); the audit entry holds both documents. Entries are matched
    to the stored ones by content (``_kept_rows``): an unchanged entry keeps its id and who entered
    it, wherever it is in the document; a new or edited one is a new entry entered by ``actor``."""
    current = record_from_row(row)
    before = record_to_document(current)
    _apply_record(row, record, current, entered_by=actor.username)
    _touch(row)
    session.flush()
    record_change(session, actor, action="replace", entity="patient", entity_id=row.id,
                  patient_id=row.id, before=before, after=record_to_document(record))
    return row


def parse_record(document: Any, *, source: str = "request body") -> PatientRecord:
    """Validate a patient file v1 document the app is to store (raises ``UserInputError`` naming the
    field): a new patient (the API's POST, the page's import) or a replaced one (PUT, the details
    form) alike. Its results may be dated after its ``as_of``, up to today: the app assesses a
    stored record on today, so none is left unread (``osteotwin assess`` reads a file only up to
    its ``as_of`` and refuses later results instead)."""
    return parse_patient_document(document, source=source, stored=True)


def validate_entry(kind: str, entry: Any, record: PatientRecord) -> PatientRecord:
    """Validate one lab, DXA or medication entry in the context of ``record`` (birth date, sex).

    Returns a one-entry record; errors name the entry's own field (e.g. ``unit``), not ``labs[0].unit``.
    """
    if kind not in ENTRY_KINDS:
        raise ValueError(f"unknown entry kind {kind!r}")
    document = {"version": 1,
                "patient": {"sex": record.patient.sex, "birth_date": record.patient.birth_date.isoformat()},
                kind: [entry]}
    try:
        return parse_patient_document(document, source=kind)
    except UserInputError as err:
        prefix = f"{kind}[0]"
        field = err.field
        if field.startswith(prefix):
            field = field[len(prefix):].lstrip(".") or kind
        raise UserInputError(field, err.value, err.accepted, problem=err.problem) from None


def _same(a: float | None, b: float | None) -> bool:
    """Two stored numbers are the same value (both unknown, or equal to rounding)."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _medication_words(m: Medication) -> str:
    start = f" from {m.start.isoformat()}" if m.start is not None else " (no start date)"
    stop = f", stopped {m.stop.isoformat()}" if m.stop is not None else ", ongoing"
    return f"{m.words()}{'' if m.every_d is not None else ' ' + m.schedule_words()}{start}{stop}"


#: Two results of a test on a date in different units are the same value when they agree to this
#: (relative): a value converted and rounded to a report's 3-4 significant digits.
LAB_UNIT_TOLERANCE = 1e-3


def duplicate_entry(row: PatientRow, kind: str, parsed: PatientRecord) -> UserInputError | None:
    """The refusal of an entry (``parsed``, a one-entry record from ``validate_entry``) identical to
    one already on ``row``'s record, naming that one; None when there is none. Identical: a lab
    result of the same test, date and value (``LAB_UNIT_TOLERANCE`` in another unit); a DXA scan of the same site on
    the same date; a medication of the same drug, dose, interval and start."""
    accepted = ("an entry not yet on the record (to change the one there, correct it in the "
                "timeline: remove it, then add the right one)")
    if kind == "labs":
        lab = parsed.labs[0]
        for x in row.labs:
            # the same value as typed, or in another unit to the digits a report gives (74.88 nmol/L
            # of vitamin D is 30 ng/mL)
            same = (_same(x.reported_value, lab.reported_value) if x.reported_unit == lab.reported_unit
                    else math.isclose(x.value, lab.value, rel_tol=LAB_UNIT_TOLERANCE))
            if x.test == lab.test and x.date == lab.date and same:
                return UserInputError("date", lab.date.isoformat(), accepted, problem=(
                    f"already on the record: {lab.test.replace('_', ' ')} {x.reported_value:g} "
                    f"{x.reported_unit} on {x.date.isoformat()} (entry {x.id})"))
    elif kind == "dxa":
        scan = parsed.dxa[0]
        for s in row.dxa_scans:
            if s.site == scan.site and s.date == scan.date:
                measured = scan_measures(s.bmd_g_cm2, s.t_score, s.z_score)
                return UserInputError("date", scan.date.isoformat(), accepted, problem=(
                    f"already on the record: a DXA scan of the {s.site.replace('_', ' ')} on "
                    f"{s.date.isoformat()} ({measured}; entry {s.id})"))
    elif kind == "medications":
        med = parsed.medications[0]
        for m in row.medications:
            if (m.drug == med.drug and _same(m.dose_mg, med.dose_mg) and _same(m.dose_iu, med.dose_iu)
                    and _same(m.every_d, med.every_d) and m.start == med.start):
                stored = Medication(drug=m.drug, dose_mg=m.dose_mg, dose_iu=m.dose_iu, route=m.route,
                                    every_d=m.every_d, start=m.start, stop=m.stop)
                return UserInputError("start", None if med.start is None else med.start.isoformat(),
                                      accepted, problem=(f"already on the record: "
                                                         f"{_medication_words(stored)} (entry {m.id})"))
    return None


def add_entry(session: Session, row: PatientRow, kind: str, entry: Any, actor: Actor, *,
              refuse_duplicates: bool = False) -> dict[str, Any]:
    """Validate and append a lab, DXA scan or medication; returns the stored entry as a document.
    ``refuse_duplicates``: an entry identical to one on the record is refused (``duplicate_entry``;
    the web forms, where a second click or a re-sent page would add it twice)."""
    parsed = validate_entry(kind, entry, record_from_row(row))
    if refuse_duplicates:
        duplicate = duplicate_entry(row, kind, parsed)
        if duplicate is not None:
            raise duplicate
    stored: dict[str, Any] = record_to_document(parsed)[kind][0]
    child: LabRow | DxaRow | MedicationRow
    if kind == "labs":
        child = _lab_row(parsed.labs[0])
        row.labs.append(child)
    elif kind == "dxa":
        child = _dxa_row(parsed.dxa[0])
        row.dxa_scans.append(child)
    else:
        child = _medication_row(parsed.medications[0])
        row.medications.append(child)
    child.created_by = actor.username
    _touch(row)
    session.flush()
    stored = {"id": child.id, **stored}
    record_change(session, actor, action="add", entity=kind, entity_id=child.id, patient_id=row.id,
                  before=None, after=stored)
    return stored


def add_log(session: Session, row: PatientRow, entry: Any, actor: Actor,
            *, today: dt.date | None = None) -> dict[str, Any]:
    """Validate and append a lifestyle log entry; returns it as a document."""
    kind, when, data = validate_log(entry, birth_date=row.birth_date, today=today)
    child = LifestyleLogRow(kind=kind, date=when, data=data, created_by=actor.username)
    row.logs.append(child)
    _touch(row)
    session.flush()
    stored = log_document(child)
    record_change(session, actor, action="add", entity="log", entity_id=child.id, patient_id=row.id,
                  before=None, after=stored)
    return stored


def log_document(log: LifestyleLogRow) -> dict[str, Any]:
    """A log row as a JSON document (``reviewed`` by whom and when, once a clinician has)."""
    document = {"id": log.id, "kind": log.kind, "date": log.date.isoformat(), **log.data}
    if log.reviewed_at is not None:
        document["reviewed"] = {"by": log.reviewed_by, "at": utc_text(log.reviewed_at)}
    return document


def mark_logs_reviewed(session: Session, row: PatientRow, log_ids: list[int], actor: Actor) -> int:
    """Mark log entries of ``row`` reviewed by ``actor`` (a clinician); returns how many changed.
    An id of another record's entry is refused; audited, not committed."""
    logs = {log.id: log for log in row.logs}
    unknown = [i for i in log_ids if i not in logs]
    if unknown or not log_ids:
        raise UserInputError("ids", unknown or log_ids, "ids of this record's log entries",
                             problem="no such entry" if unknown else "missing field")
    changed = [logs[i] for i in dict.fromkeys(log_ids) if logs[i].reviewed_at is None]
    now = utcnow()
    for log in changed:
        log.reviewed_at, log.reviewed_by = now, actor.username
    if changed:  # no new revision: nothing the assessment, plan or what-if compute has changed
        session.flush()
        record_change(session, actor, action="review", entity="log", entity_id=None, patient_id=row.id,
                      before=None, after={"reviewed": [log.id for log in changed]})
    return len(changed)


#: Entries that can be corrected (removed), with the relationship holding them on ``PatientRow``.
REMOVABLE_KINDS: dict[str, str] = {"labs": "labs", "dxa": "dxa_scans", "medications": "medications",
                                   "logs": "logs"}
MAX_REASON_LENGTH = 200


def entry_documents(row: PatientRow, kind: str) -> list[dict[str, Any]]:
    """The stored entries of one kind as documents, each with its ``id`` (the order they were added)."""
    if kind == "logs":
        return [log_document(log) for log in row.logs]
    children = getattr(row, REMOVABLE_KINDS[kind])
    documents: list[dict[str, Any]] = record_to_document(record_from_row(row)).get(kind, [])
    return [{"id": child.id, **document} for child, document in zip(children, documents, strict=True)]


def _entry(row: PatientRow, kind: str, entry_id: int) -> tuple[Any, dict[str, Any]]:
    """(row object, document) of one entry of ``row``; an id of another record is 'no such entry'."""
    if kind not in REMOVABLE_KINDS:
        raise UserInputError("kind", kind, " | ".join(REMOVABLE_KINDS), problem="unknown entry kind")
    for child, document in zip(getattr(row, REMOVABLE_KINDS[kind]), entry_documents(row, kind),
                               strict=True):
        if child.id == entry_id:
            return child, document
    raise UserInputError("id", entry_id, f"the id of one of this record's {kind} entries",
                         problem="no such entry")


def patient_usernames(session: Session, row: PatientRow) -> set[str]:
    """The usernames of the patient accounts of ``row``'s record (to mark what the patient entered)."""
    return set(session.scalars(select(UserRow.username).where(UserRow.patient_id == row.id,
                                                              UserRow.role == "patient")))


def patient_may_remove(row: PatientRow, kind: str, entry_id: int, username: str) -> bool:
    """Whether a patient account may remove this entry: only one they entered themselves, and for
    a log entry one no clinician has reviewed (a reviewed fall counts in the assessment; removing it
    is for the clinician). An id not on the record is let through, to be refused as 'no such
    entry'."""
    if kind not in REMOVABLE_KINDS:
        return False
    child = next((c for c in getattr(row, REMOVABLE_KINDS[kind]) if c.id == entry_id), None)
    if child is None:
        return True
    return bool(child.created_by == username and getattr(child, "reviewed_at", None) is None)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON_LENGTH:
        raise UserInputError("reason", reason, f"why the entry is removed, 1-{MAX_REASON_LENGTH} "
                             "characters (e.g. entered in error, duplicate)", problem="missing or too long")
    return text


def remove_entry(session: Session, row: PatientRow, kind: str, entry_id: int, reason: str | None,
                 actor: Actor) -> dict[str, Any]:
    """Remove a lab, DXA scan, medication or log entered in error. Nothing is lost: the audit
    entry keeps the whole entry (``before``) and the reason. Returns the removed entry."""
    why = _reason(reason)
    child, document = _entry(row, kind, entry_id)
    getattr(row, REMOVABLE_KINDS[kind]).remove(child)  # delete-orphan: the row goes at flush
    _touch(row)
    session.flush()
    record_change(session, actor, action="remove", entity="log" if kind == "logs" else kind,
                  entity_id=entry_id, patient_id=row.id, before=document, after={"reason": why})
    return document


def stop_medication(session: Session, row: PatientRow, medication_id: int, stop: Any,
                    actor: Actor, *, replace: bool = False) -> dict[str, Any]:
    """Record the date a medication stopped (or is planned to stop), checked like a new entry
    (by the patient file reader: a date, not before its start or the birth date); one already
    stopped keeps its date unless ``replace``. Audited with the entry before and after."""
    if stop is None or stop == "":
        raise UserInputError("stop", stop, "the date it stopped (YYYY-MM-DD)", problem="missing field")
    child, before = _entry(row, "medications", medication_id)
    if child.stop is not None and not replace:
        raise UserInputError("stop", stop, f"no new date: it already stopped on {child.stop.isoformat()} "
                             "(replace it explicitly, or remove the entry and add it again)",
                             problem="already stopped")
    entry = {key: value for key, value in before.items() if key != "id"}
    parsed = validate_entry("medications", {**entry, "stop": stop}, record_from_row(row))
    child.stop = parsed.medications[0].stop
    _touch(row)
    session.flush()
    after = {"id": medication_id, **record_to_document(parsed)["medications"][0]}
    record_change(session, actor, action="stop", entity="medications", entity_id=medication_id,
                  patient_id=row.id, before=before, after=after)
    return after


def _assignment_audit(clinician: UserRow, patient_id: int) -> dict[str, Any]:
    return {"clinician": clinician.username, "patient_id": patient_id}


def assign(session: Session, clinician: UserRow, patient_id: int, actor: Actor) -> bool:
    """Assign a patient to a clinician (audited, not committed); False if it already was."""
    if clinician.role != "clinician":
        raise UserInputError("clinician", clinician.username, "a user with role clinician",
                             problem="not a clinician")
    if session.get(PatientRow, patient_id) is None:
        raise UserInputError("patient", patient_id, "an existing patient id", problem="no such patient")
    if session.get(ClinicianPatientRow, (clinician.id, patient_id)) is not None:
        return False
    session.add(ClinicianPatientRow(clinician_id=clinician.id, patient_id=patient_id))
    record_change(session, actor, action="assign", entity="clinician_patient",
                  entity_id=f"{clinician.id}:{patient_id}", patient_id=patient_id, before=None,
                  after=_assignment_audit(clinician, patient_id))
    return True


def unassign(session: Session, clinician: UserRow, patient_id: int, actor: Actor) -> bool:
    """Take a patient from a clinician (the clinician can no longer see the record; audited, not
    committed); False if it was not assigned."""
    found = session.get(ClinicianPatientRow, (clinician.id, patient_id))
    if found is None:
        return False
    session.delete(found)
    record_change(session, actor, action="unassign", entity="clinician_patient",
                  entity_id=f"{clinician.id}:{patient_id}", patient_id=patient_id,
                  before=_assignment_audit(clinician, patient_id), after=None)
    return True


def assignments(session: Session, *, clinician: UserRow | None = None,
                patient_id: int | None = None) -> list[tuple[UserRow, PatientRow]]:
    """(clinician, patient) of every assignment, optionally of one clinician or one record, by
    clinician username then record id."""
    query = (select(UserRow, PatientRow)
             .join(ClinicianPatientRow, ClinicianPatientRow.clinician_id == UserRow.id)
             .join(PatientRow, PatientRow.id == ClinicianPatientRow.patient_id)
             .order_by(UserRow.username, PatientRow.id))
    if clinician is not None:
        query = query.where(UserRow.id == clinician.id)
    if patient_id is not None:
        query = query.where(PatientRow.id == patient_id)
    return [(user, patient) for user, patient in session.execute(query)]


def as_document(row: PatientRow) -> dict[str, Any]:
    """The stored record as a patient file v1 document."""
    return record_to_document(record_from_row(row))


def find_patient_by_external_id(session: Session, external_id: str) -> PatientRow | None:
    """First patient whose patient file id is ``external_id`` (ids need not be unique: see
    ``find_patients_by_external_id`` wherever the choice matters)."""
    query = select(PatientRow).where(PatientRow.external_id == external_id).order_by(PatientRow.id)
    return session.scalars(query).first()


def find_patients_by_external_id(session: Session, external_id: str) -> list[PatientRow]:
    """Every patient whose patient file id is ``external_id``, by record id."""
    query = select(PatientRow).where(PatientRow.external_id == external_id).order_by(PatientRow.id)
    return list(session.scalars(query))


def describe_patient(row: PatientRow) -> str:
    """A record as an operator tells one from another: ``record 3 (patient-file id MRN-1, female,
    born 1950-03-01)``."""
    external = "none" if row.external_id is None else repr(row.external_id)
    return (f"record {row.id} (patient-file id {external}, {row.sex}, "
            f"born {row.birth_date.isoformat()})")
