"""The web app's bridge to the assessment, plan, simulation, report and FHIR modules.

Each call imports its module lazily; when a module is not installed yet it raises ``Unavailable``,
which pages show as "not available yet" and the API as 503. Results of assessments and simulations
are cached in the database per record revision and engine/model version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import inspect
import json
import logging
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import osteotwin
from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord
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


def assessment(db: Session, row: PatientRow, record: PatientRecord, as_of: dt.date | None = None) -> dict[
        str, Any]:
    """The assessment (spec/cli.md JSON shape) of the record, cached per revision and engine version."""
    clinic = _module("osteotwin.clinic", "assessment")
    if not hasattr(clinic, "assess"):
        raise Unavailable("assessment", "not available yet in this version of osteotwin")
    when = as_of or record.as_of or dt.date.today()
    version = _version_of(clinic)
    cached = db.scalars(select(AssessmentRow).where(
        AssessmentRow.patient_id == row.id, AssessmentRow.revision == row.revision,
        AssessmentRow.as_of == when, AssessmentRow.engine_version == version)).first()
    if cached is not None:
        return dict(cached.result)
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


SEVERITY_ORDER = ("low", "moderate", "high", "very_high")


def risk_badge(result: dict[str, Any] | None) -> tuple[str, str]:
    """(css level, label) for a patient-list badge: the most severe finding of the assessment."""
    if result is None:
        return ("unknown", "not assessed")
    severities = [str(f.get("severity", "")).lower() for f in result.get("findings", [])
                  if isinstance(f, dict)]
    ranked = [s for s in severities if s in SEVERITY_ORDER]
    if not ranked:
        return ("low", "no findings")
    top = max(ranked, key=SEVERITY_ORDER.index)
    count = len(severities)
    return (top, f"{top.replace('_', ' ')} · {count} finding{'s' if count != 1 else ''}")


# --------------------------------------------------------------------------------------------------
# Plan, report, FHIR
# --------------------------------------------------------------------------------------------------


_PLAN_CACHE: OrderedDict[tuple[int, int, int], dict[str, Any]] = OrderedDict()
_PLAN_CACHE_SIZE = 64
_PLAN_LOCK = threading.Lock()


def plan(row: PatientRow, record: PatientRecord, weeks: int = 12) -> dict[str, Any]:
    """The exercise and nutrition plan document (``osteotwin.plan``), cached in memory per revision.

    Building a plan solves a nutrition MILP (seconds), so results are kept per (patient, revision,
    weeks) for the life of the server process.
    """
    key = (row.id, row.revision, weeks)
    with _PLAN_LOCK:
        if key in _PLAN_CACHE:
            _PLAN_CACHE.move_to_end(key)
            return _PLAN_CACHE[key]
    personal = _module("osteotwin.plan.personal", "plan")
    serialize = _module("osteotwin.plan.serialize", "plan")
    built = _guarded("plan", personal.build_personal_plan, record, weeks=weeks)
    document: dict[str, Any] = jsonable(serialize.plan_document(built))
    with _PLAN_LOCK:
        _PLAN_CACHE[key] = document
        while len(_PLAN_CACHE) > _PLAN_CACHE_SIZE:
            _PLAN_CACHE.popitem(last=False)
    return document


def plan_html(document: dict[str, Any]) -> str:
    """The plan module's own self-contained HTML page for a plan document."""
    render = _module("osteotwin.plan.render", "plan")
    return str(render.render_html(document))


def report(record: PatientRecord, fmt: str, as_of: dt.date | None = None, *,
           what_if: bool = True) -> bytes:
    """The report as HTML or PDF bytes; ``what_if=False`` leaves out the simulated trajectories
    (where the report module supports that), which makes it return in seconds."""
    module = _module("osteotwin.reports", "report")
    build = getattr(module, "build_report", None)
    if not callable(build):
        raise Unavailable("report", "not available yet in this version of osteotwin")
    options: dict[str, Any] = {"fmt": fmt, "as_of": as_of}
    if "what_if" in inspect.signature(build).parameters:
        options["what_if"] = what_if
    data = _guarded("report", build, record, **options)
    return bytes(data)


def fhir_bundle(record: PatientRecord) -> dict[str, Any]:
    """The record as a FHIR R4 Bundle."""
    module = _module("osteotwin.records.fhir", "FHIR export")
    func = getattr(module, "record_to_bundle", None)
    if not callable(func):
        raise Unavailable("FHIR export", "not available yet in this version of osteotwin")
    return dict(_guarded("FHIR export", func, record))


def record_from_fhir(bundle: dict[str, Any]) -> PatientRecord:
    """A record from a FHIR R4 Bundle (user errors name the resource field)."""
    module = _module("osteotwin.records.fhir", "FHIR import")
    func = getattr(module, "bundle_to_record", None)
    if not callable(func):
        raise Unavailable("FHIR import", "not available yet in this version of osteotwin")
    try:
        record = func(bundle)
    except (UserInputError, Unavailable):
        raise
    except Exception as exc:  # the bundle is user input: refuse it rather than fail
        raise UserInputError("bundle", type(exc).__name__, "a FHIR R4 Bundle (type collection or "
                             "transaction) with one Patient", problem=f"cannot import: {exc}"[:200]) from exc
    if not isinstance(record, PatientRecord):
        raise Unavailable("FHIR import", "the importer returned no patient record")
    return record


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
