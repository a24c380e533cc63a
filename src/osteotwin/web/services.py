"""The web app's bridge to the assessment, plan, simulation, report and FHIR modules.

Each call imports its module lazily; when a module is not installed yet it raises ``Unavailable``,
which pages show as "not available yet" and the API as 503. Results of assessments and simulations
are cached in the database per record revision and engine/model version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib
import inspect
import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import osteotwin
from osteotwin.clinic.patient_log import LogEntry, LogReview, review_logs
from osteotwin.clinic.reference import citation_text
from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord
from osteotwin.records.storage import repository
from osteotwin.records.storage.models import AssessmentRow, PatientRow, SimulationRow

log = logging.getLogger(__name__)


class Unavailable(Exception):
    """A feature whose module has not landed (or failed on this record)."""

    def __init__(self, feature: str, reason: str) -> None:
        super().__init__(f"{feature} is not available: {reason}")
        self.feature = feature
        self.reason = reason


def _module(name: str, feature: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unavailable(feature, "not available yet in this version of osteotwin") from exc


def jsonable(value: Any) -> Any:
    """Convert pydantic models, dataclasses, dates and tuples into JSON-friendly values."""
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump(mode="json"))
    for method in ("to_json", "to_dict", "as_dict"):
        if hasattr(value, method) and callable(getattr(value, method)):
            return jsonable(getattr(value, method)())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _guarded(feature: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run another module's function; user errors pass through, anything else becomes Unavailable."""
    try:
        return call(*args, **kwargs)
    except (UserInputError, Unavailable):
        raise
    except Exception as exc:
        log.exception("%s failed", feature)
        raise Unavailable(feature, f"the {feature} engine failed on this record "
                          f"({exc.__class__.__name__})") from exc


# --------------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------------


def _version_of(module: Any) -> str:
    return str(getattr(module, "__version__", None) or getattr(module, "ENGINE_VERSION", None)
               or osteotwin.__version__)


@dataclasses.dataclass(frozen=True)
class AssessmentDate:
    """The date the web pages assess a record on, and why; entries it leaves out are named."""

    when: dt.date
    record_as_of: dt.date | None
    #: entries dated after the record's ``as_of`` (the reason ``when`` is today instead)
    newer: tuple[str, ...] = ()
    #: entries dated after ``when`` (not counted: results and scans in the future, planned starts)
    later: tuple[str, ...] = ()

    @property
    def moved(self) -> bool:
        """Whether ``when`` differs from the record's own ``as_of``."""
        return self.record_as_of is not None and self.when != self.record_as_of

    def note(self) -> str | None:
        """One sentence for the page on why this date and what it leaves out (None: nothing to say)."""
        parts = []
        if self.moved and self.newer:
            parts.append(f"The record's own date is {self.record_as_of}, but entries were added "
                         f"after it ({'; '.join(self.newer)}), so it is assessed as of today.")
        if self.later:
            parts.append(f"Dated after {self.when.isoformat()} and not counted: {'; '.join(self.later)}.")
        return " ".join(parts) or None


def _dated_entries(record: PatientRecord, logs: tuple[LogEntry, ...] = ()) -> list[tuple[dt.date, str, bool]]:
    """(date, description, whether it counts as data after that date) for every dated entry."""
    entries: list[tuple[dt.date, str, bool]] = [
        (log.date, f"{log.kind} log on {log.date.isoformat()}", True) for log in logs]
    for lab in record.labs:
        entries.append((lab.date, f"{lab.test.replace('_', ' ')} on {lab.date.isoformat()}", True))
    for scan in record.dxa:
        entries.append((scan.date, f"DXA {scan.site.replace('_', ' ')} on {scan.date.isoformat()}", True))
    for med in record.medications:
        drug = med.drug.replace("_", " ")
        if med.start is not None:
            entries.append((med.start, f"{drug} start on {med.start.isoformat()}", True))
        if med.stop is not None:  # a planned stop changes nothing before it: not "left out"
            entries.append((med.stop, f"{drug} stop on {med.stop.isoformat()}", False))
    return sorted(entries, key=lambda entry: entry[0])


def assessment_date(record: PatientRecord, today: dt.date | None = None,
                    logs: tuple[LogEntry, ...] = ()) -> AssessmentDate:
    """The date the web pages (assessment, what-if, plan, report, list) assess ``record`` on.

    A record without ``as_of`` is assessed today. A record with one (seeded or imported) keeps it,
    so that a snapshot reads the same every day, until an entry is dated after it: then the record
    is being kept up to date and a clinician expects today's picture (the new result counted, ages
    and monitoring intervals counted to today), so it is assessed today. Today rather than the
    newest entry's date: intervals ("no estradiol in the last 12 months", "DXA overdue") must run
    to the day the page is read, and an entry dated in the future must not move the assessment
    there. Entries after the date used are listed (``later``) instead of silently dropped. The
    patient's log entries (``logs``) count as entries: a fall logged after the record's date is read.
    """
    today = today or dt.date.today()
    entries = _dated_entries(record, logs)
    as_of = record.as_of
    newer: tuple[str, ...] = ()
    if as_of is None:
        when = today
    else:
        newer = tuple(text for date, text, _ in entries if as_of < date <= today)
        when = max(as_of, today) if newer else as_of
    later = tuple(text for date, text, counts in entries if counts and date > when)
    return AssessmentDate(when=when, record_as_of=as_of, newer=newer, later=later)


@dataclasses.dataclass(frozen=True)
class Assessed:
    """A stored record as the web pages assess it: on which date, and with the patient's log read.

    ``stored`` is the record as kept (the timeline, exports); ``record`` is what the assessment,
    plan, what-if and report read: ``stored`` with the falls the patient logged counted
    (``osteotwin.clinic.patient_log``); ``log.notes`` are the rest of the log, to show beside them.
    """

    stored: PatientRecord
    dated: AssessmentDate
    log: LogReview

    @property
    def when(self) -> dt.date:
        return self.log.as_of

    @functools.cached_property
    def record(self) -> PatientRecord:
        return self.log.apply(self.stored)

    def log_notes(self) -> list[dict[str, Any]]:
        """The log's notes as JSON-ready dicts, each with its sources written out."""
        return [{"topic": note.topic, "message": note.message, "for_patient": note.for_patient,
                 "counted": note.counted, "needs_review": note.needs_review,
                 "reviewed": note.reviewed, "entry_ids": list(note.entry_ids),
                 "citations": list(note.citations),
                 "sources": [citation_text(c) for c in note.citations]} for note in self.log.notes]


def assessed(row: PatientRow, as_of: dt.date | None = None, today: dt.date | None = None) -> Assessed:
    """The stored record of ``row`` read on ``as_of`` (default: ``assessment_date``) with its log."""
    stored = repository.record_from_row(row)
    logs = tuple(LogEntry(kind=log.kind, date=log.date, data=dict(log.data), id=log.id,
                          reviewed=log.reviewed_at is not None) for log in row.logs)
    dated = assessment_date(stored, today, logs)
    when = as_of or dated.when
    return Assessed(stored=stored, dated=dated, log=review_logs(logs, stored, when))


def _clinic() -> Any:
    clinic = _module("osteotwin.clinic", "assessment")
    if not hasattr(clinic, "assess"):
        raise Unavailable("assessment", "not available yet in this version of osteotwin")
    return clinic


#: A cached assessment's key: patient id, record revision, assessment date.
CacheKey = tuple[int, int, dt.date]


def cached_assessments(db: Session, rows: list[PatientRow]) -> dict[CacheKey, dict[str, Any]]:
    """Every cached assessment of ``rows`` at their current revisions by this engine version, in
    one query (the patient list; ``assessment(..., cached=)`` reads it instead of one query each)."""
    if not rows:
        return {}
    version = _version_of(_clinic())
    found = db.scalars(select(AssessmentRow).where(
        tuple_(AssessmentRow.patient_id, AssessmentRow.revision).in_(
            [(row.id, row.revision) for row in rows]),
        AssessmentRow.engine_version == version))
    return {(c.patient_id, c.revision, c.as_of): c.result for c in found}


def assessment(db: Session, row: PatientRow, read: Assessed,
               cached: dict[CacheKey, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The assessment (spec/cli.md JSON shape) of ``row`` as ``read`` on its date (the patient's
    logged falls counted), cached per revision (a log entry is one), date and engine version;
    ``cached`` is ``cached_assessments`` read beforehand (else the cache is queried here)."""
    clinic = _clinic()
    record, when = read.record, read.when
    version = _version_of(clinic)
    if cached is not None:
        hit = cached.get((row.id, row.revision, when))
    else:
        row_hit = db.scalars(select(AssessmentRow).where(
            AssessmentRow.patient_id == row.id, AssessmentRow.revision == row.revision,
            AssessmentRow.as_of == when, AssessmentRow.engine_version == version)).first()
        hit = None if row_hit is None else row_hit.result
    if hit is not None:
        return dict(hit)
    assessed = _guarded("assessment", clinic.assess, record, when)
    try:
        document = importlib.import_module("osteotwin.clinic.render.document")
        result = jsonable(_guarded("assessment", document.to_document, assessed))
    except ImportError:
        result = jsonable(assessed)
    _store(db, AssessmentRow(patient_id=row.id, revision=row.revision, as_of=when,
                             engine_version=version, result=result))
    return dict(result)


def _store(db: Session, cached: AssessmentRow | SimulationRow) -> None:
    """Insert a cache row; a concurrent identical insert is harmless."""
    try:
        with db.begin_nested():
            db.add(cached)
        db.commit()
    except IntegrityError:
        db.rollback()


#: Graded severities, least to most severe; "info" findings are information, not a grade.
SEVERITY_ORDER = ("low", "moderate", "high", "very_high")


def risk_badge(result: dict[str, Any] | None) -> tuple[str, str]:
    """(css level, label) for a patient-list badge: the most severe finding of the assessment and
    how many findings there are; findings that are information only are counted as such."""
    if result is None:
        return ("unknown", "not assessed")
    severities = [str(f.get("severity", "")).lower() for f in result.get("findings", [])
                  if isinstance(f, dict)]
    count = len(severities)
    findings = f"{count} finding{'s' if count != 1 else ''}"
    if not count:
        return ("low", "no findings")
    ranked = [s for s in severities if s in SEVERITY_ORDER]
    if not ranked:
        if all(s == "info" for s in severities):
            return ("info", f"{findings} (information only)")
        return ("unknown", f"{findings} (severity not graded)")
    top = max(ranked, key=SEVERITY_ORDER.index)
    return (top, f"{top.replace('_', ' ')} · {findings}")


def monitoring_due(result: dict[str, Any] | None, when: dt.date) -> tuple[str, str] | None:
    """(css level, label) for the patient list: the assessment's earliest monitoring date, with
    every test due by then and whether it is past (``when`` is the date the list assesses on)."""
    dated: list[tuple[dt.date, str]] = []
    for item in (result or {}).get("monitoring", []):
        try:
            due = dt.date.fromisoformat(str(item["next_due"]))
        except (KeyError, TypeError, ValueError):
            continue  # no date: nothing scheduled for this test
        dated.append((due, str(item.get("test", "test"))))
    if not dated:
        return None
    first = min(due for due, _ in dated)
    earliest = ", ".join(test for due, test in dated if due == first)
    also = ", ".join(test for due, test in sorted(dated, key=lambda item: item[0])
                     if first < due <= when)
    also_text = f"; also due: {also}" if also else ""
    if first < when:
        return ("overdue", f"{earliest}: overdue since {first.isoformat()}{also_text}")
    if first == when:
        return ("due", f"{earliest}: due {first.isoformat()}")
    return ("scheduled", f"{earliest}: due {first.isoformat()}")


# --------------------------------------------------------------------------------------------------
# Plan, report, FHIR
# --------------------------------------------------------------------------------------------------


_PLAN_CACHE: OrderedDict[tuple[int, int, int, dt.date | None], dict[str, Any]] = OrderedDict()
_PLAN_CACHE_SIZE = 64
_PLAN_LOCK = threading.Lock()


def plan(row: PatientRow, weeks: int = 12) -> dict[str, Any]:
    """The exercise and nutrition plan document (``osteotwin.plan``) of ``row`` read as the pages
    assess it (``assessed``: on its date, the patient's log read), cached in memory per revision.

    Building a plan solves a nutrition MILP (seconds), so results are kept per (patient, revision,
    weeks, date) for the life of the server process.
    """
    read = assessed(row)
    record, as_of = read.record, read.when
    key = (row.id, row.revision, weeks, as_of)
    with _PLAN_LOCK:
        if key in _PLAN_CACHE:
            _PLAN_CACHE.move_to_end(key)
            return _PLAN_CACHE[key]
    personal = _module("osteotwin.plan.personal", "plan")
    serialize = _module("osteotwin.plan.serialize", "plan")
    built = _guarded("plan", personal.build_personal_plan, record, weeks=weeks, as_of=as_of)
    document: dict[str, Any] = jsonable(serialize.plan_document(built))
    with _PLAN_LOCK:
        _PLAN_CACHE[key] = document
        while len(_PLAN_CACHE) > _PLAN_CACHE_SIZE:
            _PLAN_CACHE.popitem(last=False)
    return document


def plan_html(document: dict[str, Any], record_href: str | None = None) -> str:
    """The plan module's own self-contained HTML page for a plan document (with a link back to
    ``record_href``, the patient's record page)."""
    render = _module("osteotwin.plan.render", "plan")
    return str(render.render_html(document, record_href=record_href))


def report(record: PatientRecord, fmt: str, as_of: dt.date | None = None, *,
           what_if: bool = True, log: LogReview | None = None, for_patient: bool = False) -> bytes:
    """The report of ``record`` as stored, as HTML or PDF bytes; ``what_if=False`` leaves out the
    simulated trajectories (where the report module supports that), which makes it return in
    seconds; ``log`` is the patient's log read on ``as_of`` (its falls counted in the assessment,
    its notes shown, in plain words ``for_patient``)."""
    module = _module("osteotwin.reports", "report")
    build = getattr(module, "build_report", None)
    if not callable(build):
        raise Unavailable("report", "not available yet in this version of osteotwin")
    options: dict[str, Any] = {"fmt": fmt, "as_of": as_of}
    if "what_if" in inspect.signature(build).parameters:
        options["what_if"] = what_if
    if log is not None and "patient_log" in inspect.signature(build).parameters:
        options["patient_log"] = log
        options["for_patient"] = for_patient
    data = _guarded("report", build, record, **options)
    return bytes(data)


def exported_record(row: PatientRow, today: dt.date | None = None) -> PatientRecord:
    """The record every export gives (the patient file and FHIR downloads, the API's FHIR bundle):
    as the pages assess it (``assessed``), on the date they use, which it states as its ``as_of``:
    so medication status, undated height and weight, and the falls the patient logged in the 12
    months to that date (counted in ``history.falls_last_12_months``) are all as of the date the
    export says, and ``osteotwin assess`` of a download gives the page's findings. The log's
    entries ride along under ``extra`` (``repository.log_extra``) so none is lost."""
    read = assessed(row, today=today)
    record = read.record.model_copy(update={"as_of": read.when})
    if not row.logs:
        return record
    return record.model_copy(update={"extra": {**record.extra, **repository.log_extra(row.logs, read.when)}})


def fhir_bundle(record: PatientRecord) -> dict[str, Any]:
    """The record as a FHIR R4 Bundle, speaking for the record's ``as_of`` (``exported_record``
    sets it to the date the export is for)."""
    module = _module("osteotwin.records.fhir", "FHIR export")
    func = getattr(module, "record_to_bundle", None)
    if not callable(func):
        raise Unavailable("FHIR export", "not available yet in this version of osteotwin")
    return dict(_guarded("FHIR export", func, record))


#: Where an imported record keeps what its FHIR bundle held but osteotwin did not import (the patient
#: file's ``extra``: kept with the record, shown on its page, never interpreted).
NOT_IMPORTED_KEY = "not_imported_from_fhir"


def record_from_fhir(bundle: dict[str, Any]) -> PatientRecord:
    """A record from a FHIR R4 Bundle (user errors name the resource field). What the bundle held
    but was not imported (the importer's one-line reports) goes into the record's ``extra`` under
    ``NOT_IMPORTED_KEY``, so nothing is left out silently."""
    module = _module("osteotwin.records.fhir", "FHIR import")
    func = getattr(module, "import_bundle", None)
    if not callable(func):
        raise Unavailable("FHIR import", "not available yet in this version of osteotwin")
    try:
        result = func(bundle)
    except (UserInputError, Unavailable):
        raise
    except Exception as exc:  # the bundle is user input: refuse it rather than fail
        raise UserInputError("bundle", type(exc).__name__, "a FHIR R4 Bundle (type collection or "
                             "transaction) with one Patient", problem=f"cannot import: {exc}"[:200]) from exc
    record = getattr(result, "record", None)
    if not isinstance(record, PatientRecord):
        raise Unavailable("FHIR import", "the importer returned no patient record")
    skipped = [str(line) for line in getattr(result, "skipped", ())]
    if skipped:
        record = record.model_copy(update={"extra": {**record.extra, NOT_IMPORTED_KEY: skipped}})
    return record


def not_imported(record: PatientRecord) -> list[str]:
    """What the record's FHIR import left out (``record_from_fhir``), one line each."""
    lines = record.extra.get(NOT_IMPORTED_KEY) or []
    return [str(line) for line in lines] if isinstance(lines, list) else []


# --------------------------------------------------------------------------------------------------
# Simulations (what-if)
# --------------------------------------------------------------------------------------------------


def request_digest(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def cached_simulation(db: Session, row: PatientRow, request: dict[str, Any],
                      compute: Any, model_version: str) -> dict[str, Any]:
    """A simulation result from the cache, or computed by ``compute()`` and stored."""
    digest = request_digest(request)
    cached = db.scalars(select(SimulationRow).where(
        SimulationRow.patient_id == row.id, SimulationRow.revision == row.revision,
        SimulationRow.request_sha256 == digest, SimulationRow.model_version == model_version)).first()
    if cached is not None:
        return {**cached.result, "cached": True}
    result = jsonable(compute())
    _store(db, SimulationRow(patient_id=row.id, revision=row.revision, request_sha256=digest,
                             model_version=model_version, request=request, result=result))
    return {**result, "cached": False}
