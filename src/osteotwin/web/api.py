"""JSON API under /api (OpenAPI at /api/openapi.json). Routes are thin: auth, access, services."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from osteotwin.errors import UserInputError
from osteotwin.records.storage import accounts, repository
from osteotwin.records.storage.accounts import TOKEN_LIFETIME
from osteotwin.web import services
from osteotwin.web.deps import (
    ApiUser,
    DbSession,
    PatientId,
    accessible_patient,
    actor_of,
    auth_event,
    bearer_scheme,
    checked_password,
    require_clinician,
    require_may_remove,
)
from osteotwin.web.forms import past_date
from osteotwin.web.security import LoginThrottled
from osteotwin.web.whatif import WhatIfRequest, stored_what_if

router = APIRouter(prefix="/api", tags=["api"])

PatientDocument = Annotated[dict[str, Any], Body(
    description="A patient file v1 document (spec/patient-file.md) as JSON",
    examples=[{"version": 1, "patient": {"sex": "female", "birth_date": "1960-02-01"}}])]
EntryBody = Annotated[dict[str, Any], Body(description="One entry as in the patient file v1 list")]
AsOf = Annotated[dt.date | None, Query(description="assessment date (default: the date the pages use: the "
                                       "record's as_of, or today once entries are dated after it)")]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class PatientSummary(BaseModel):
    id: int
    patient_id: str | None = Field(description="the patient file's own id (patient.id)")
    sex: str
    birth_date: dt.date
    revision: int
    updated_at: dt.datetime


class CreatedPatient(BaseModel):
    id: int
    document: dict[str, Any]
    #: What the imported FHIR bundle held but was not imported, one line each (also kept in the
    #: record's ``extra``).
    not_imported: list[str] = []


class ErrorItem(BaseModel):
    field: str
    problem: str
    accepted: str
    message: str
    value: Any = None


class ErrorBody(BaseModel):
    detail: list[ErrorItem] | str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no or invalid bearer token"},
    403: {"model": ErrorBody, "description": "role not allowed"},
    404: {"model": ErrorBody, "description": "no such patient among your records"},
    422: {"model": ErrorBody, "description": "invalid input; each item names the field"},
}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "the module behind this route is not available"}}


@router.post("/auth/token", response_model=TokenResponse,
             responses={401: ERRORS[401], 422: ERRORS[422],
                        429: {"description": "too many failed logins for this username or address "
                                             "(Retry-After gives the seconds to wait)"}})
def create_token(body: TokenRequest, request: Request, db: DbSession) -> TokenResponse:
    """Exchange a username and password for a bearer token (throttled as the login form is)."""
    try:
        user = checked_password(request, db, body.username, body.password, way_in="token")
    except LoginThrottled as refused:
        raise HTTPException(status_code=429, detail=str(refused),
                            headers={"Retry-After": str(refused.retry_after_s)}) from None
    if user is None:
        raise HTTPException(status_code=401, detail="unknown username or wrong password")
    token = accounts.issue_token(db, user)
    auth_event(request, db, user, "token_issue", "token")
    db.commit()
    return TokenResponse(access_token=token, expires_in=int(TOKEN_LIFETIME.total_seconds()))


@router.delete("/auth/token", status_code=204,
               responses={401: {"description": "no or invalid bearer token"}})
def revoke_token(request: Request, user: ApiUser, db: DbSession,
                 credentials: Annotated[HTTPAuthorizationCredentials | None,
                                        Depends(bearer_scheme)]) -> Response:
    """Revoke the bearer token this request carries (log out of the API); it stops working at once."""
    if credentials is not None:
        accounts.revoke_token(db, credentials.credentials)
        auth_event(request, db, user, "token_revoke", "token")
        db.commit()
    return Response(status_code=204)


@router.get("/patients", response_model=list[PatientSummary], responses=ERRORS)
def list_patients(user: ApiUser, db: DbSession) -> list[PatientSummary]:
    """Patients visible to you: your own record (patient) or your assigned patients (clinician)."""
    return [PatientSummary(id=r.id, patient_id=r.external_id, sex=r.sex, birth_date=r.birth_date,
                           revision=r.revision, updated_at=r.updated_at)
            for r in repository.list_patients(db, user)]


@router.post("/patients", status_code=201, response_model=CreatedPatient, responses=ERRORS)
def create_patient(document: PatientDocument, user: ApiUser, db: DbSession) -> CreatedPatient:
    """Create a patient from a patient file v1 document (clinicians; you are assigned to it). As
    a stored record it may hold results dated after its ``as_of``, up to today (the app then
    assesses it on today); ``osteotwin assess`` reads a file only up to its ``as_of``."""
    require_clinician(user)
    record = repository.parse_record(document)
    row = repository.create_patient(db, record, actor_of(user))
    db.commit()
    return CreatedPatient(id=row.id, document=repository.as_document(row))


def _revision_tag(row: Any) -> dict[str, str]:
    """The record's revision as an HTTP entity tag (``PUT`` takes it back as ``revision``)."""
    return {"ETag": f'"{row.revision}"'}


@router.get("/patients/{patient_id}", responses=ERRORS)
def get_patient(patient_id: PatientId, user: ApiUser, db: DbSession, response: Response) -> dict[str, Any]:
    """The record as stored, a patient file v1 document to edit and ``PUT`` back (its revision in
    the ``ETag`` header): its own ``as_of``, its recorded falls; the patient's log is at
    ``/logs``. The exports (``/fhir`` and the page downloads) give the record as assessed instead,
    on the date they state as ``as_of``, the falls logged by then counted."""
    row = accessible_patient(db, user, patient_id)
    response.headers.update(_revision_tag(row))
    return repository.as_document(row)


@router.put("/patients/{patient_id}", responses=ERRORS)
def replace_patient(patient_id: PatientId, document: PatientDocument, user: ApiUser, db: DbSession,
                    response: Response,
                    revision: Annotated[int | None, Query(
                        description="required: the record's revision the document was read at (the "
                                    "GET's ETag, or the list's revision); refused (422) if the record "
                                    "changed since, so a replace never drops what was added meanwhile")
                    ] = None) -> dict[str, Any]:
    """Replace the record with a patient file v1 document (audited with before and after;
    clinicians: a patient adds entries to their record but may not replace it, which could drop
    what their clinician entered). The new revision is in the ``ETag`` header."""
    row = accessible_patient(db, user, patient_id)  # another patient's record: 404, as elsewhere
    require_clinician(user)
    if revision is None:
        raise UserInputError("revision", None, "the record's revision the document was read at (the "
                             "ETag of GET /api/patients/{id})", problem="missing value: a whole-record "
                             "replace must say which revision it replaces")
    repository.check_revision(row, revision)
    record = repository.parse_record(document)
    repository.replace_patient(db, row, record, actor_of(user))
    db.commit()
    response.headers.update(_revision_tag(row))
    return repository.as_document(row)


EntryKind = Literal["labs", "dxa", "medications", "logs"]

#: What each kind of entry records, for the future-date check (``forms.past_date``); medications may
#: be planned ahead.
_PAST_ONLY = {"labs": "a lab result", "dxa": "a DXA scan", "logs": "a log entry"}


def _add(kind: str, patient_id: PatientId, entry: dict[str, Any], user: Any, db: Any) -> dict[str, Any]:
    if kind in _PAST_ONLY and isinstance(entry.get("date"), str):
        past_date(entry["date"], f"{kind}.date", _PAST_ONLY[kind])
    row = accessible_patient(db, user, patient_id)
    stored = repository.add_entry(db, row, kind, entry, actor_of(user))
    db.commit()
    return stored


@router.post("/patients/{patient_id}/labs", status_code=201, responses=ERRORS)
def add_lab(patient_id: PatientId, entry: Annotated[dict[str, Any], Body(
        examples=[{"test": "estradiol", "value": 12, "unit": "pg/mL", "date": "2025-01-10"}])],
        user: ApiUser, db: DbSession) -> dict[str, Any]:
    """Add a lab result (test, value, unit, date, method)."""
    return _add("labs", patient_id, entry, user, db)


@router.post("/patients/{patient_id}/dxa", status_code=201, responses=ERRORS)
def add_dxa(patient_id: PatientId, entry: Annotated[dict[str, Any], Body(
        examples=[{"date": "2025-01-10", "site": "lumbar_spine", "bmd": "0.98 g/cm2"}])],
        user: ApiUser, db: DbSession) -> dict[str, Any]:
    """Add a DXA result (date, site, bmd, t_score, z_score, device)."""
    return _add("dxa", patient_id, entry, user, db)


@router.post("/patients/{patient_id}/medications", status_code=201, responses=ERRORS)
def add_medication(patient_id: PatientId, entry: Annotated[dict[str, Any], Body(
        examples=[{"drug": "anastrozole", "dose": "0.5 mg", "every": "3.5 d", "start": "2025-01-10"}])],
        user: ApiUser, db: DbSession) -> dict[str, Any]:
    """Add a medication regimen (drug, dose, route, every, start, stop)."""
    return _add("medications", patient_id, entry, user, db)


@router.post("/patients/{patient_id}/logs", status_code=201, responses=ERRORS)
def add_log(patient_id: PatientId, entry: Annotated[dict[str, Any], Body(
        examples=[{"kind": "symptom", "date": "2025-01-10", "symptom": "joint_pain", "severity": 4}])],
        user: ApiUser, db: DbSession) -> dict[str, Any]:
    """Add a lifestyle log: exercise (activity, minutes, intensity), intake (calcium_mg, vitamin_d_iu,
    protein_g) or symptom (symptom, severity 0-10; optional for a fall or a fracture)."""
    if isinstance(entry.get("date"), str):
        past_date(entry["date"], "logs.date", _PAST_ONLY["logs"])
    row = accessible_patient(db, user, patient_id)
    stored = repository.add_log(db, row, entry, actor_of(user))
    db.commit()
    return stored


@router.get("/patients/{patient_id}/entries/{kind}", responses=ERRORS)
def list_entries(patient_id: PatientId, kind: EntryKind, user: ApiUser, db: DbSession) -> list[dict[str, Any]]:
    """The stored entries of one kind (labs, dxa, medications, logs), each with the ``id`` that
    corrections name, in the order they were added."""
    return repository.entry_documents(accessible_patient(db, user, patient_id), kind)


@router.delete("/patients/{patient_id}/entries/{kind}/{entry_id}", responses=ERRORS)
def remove_entry(patient_id: PatientId, kind: EntryKind, entry_id: int, user: ApiUser, db: DbSession,
                 reason: Annotated[str, Query(min_length=1, max_length=200, examples=["entered in error"])],
                 revision: Annotated[int | None, Query(
                     description="the record's revision the entry was read at; refused (422) if it "
                                 "changed since")] = None) -> dict[str, Any]:
    """Remove an entry made in error; returns it. The audit trail keeps it with the reason
    (clinicians; a patient may remove entries they entered themselves, log entries only while no
    clinician has reviewed them)."""
    row = accessible_patient(db, user, patient_id)
    require_may_remove(user, row, kind, entry_id)
    repository.check_revision(row, revision)
    removed = repository.remove_entry(db, row, kind, entry_id, reason, actor_of(user))
    db.commit()
    return removed


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stop: str = Field(examples=["2025-06-30"], description="the date the medication stopped (YYYY-MM-DD)")
    replace: bool = Field(False, description="replace a stop date already recorded (else refused)")
    revision: int | None = Field(None, description="the record's revision the entry was read at; "
                                                   "refused (422) if it changed since")


@router.post("/patients/{patient_id}/medications/{medication_id}/stop", responses=ERRORS)
def stop_medication(patient_id: PatientId, medication_id: int, body: StopBody, user: ApiUser,
                    db: DbSession) -> dict[str, Any]:
    """Record the date a medication stopped (or is planned to stop); clinicians."""
    row = accessible_patient(db, user, patient_id)
    require_clinician(user)
    repository.check_revision(row, body.revision)
    stopped = repository.stop_medication(db, row, medication_id, body.stop, actor_of(user),
                                         replace=body.replace)
    db.commit()
    return stopped


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(min_length=1, max_length=1000, description="log entry ids of this record")


@router.post("/patients/{patient_id}/logs/reviewed", responses=ERRORS)
def review_logs(patient_id: PatientId, body: ReviewBody, user: ApiUser, db: DbSession) -> dict[str, int]:
    """Mark log entries reviewed (clinicians): a reviewed fall still counts in the assessment, but
    the patient list no longer flags it."""
    row = accessible_patient(db, user, patient_id)
    require_clinician(user)
    changed = repository.mark_logs_reviewed(db, row, body.ids, actor_of(user))
    db.commit()
    return {"reviewed": changed}


@router.get("/patients/{patient_id}/logs", responses=ERRORS)
def list_logs(patient_id: PatientId, user: ApiUser, db: DbSession) -> list[dict[str, Any]]:
    """Lifestyle logs, oldest first."""
    row = accessible_patient(db, user, patient_id)
    return [repository.log_document(x) for x in sorted(row.logs, key=lambda x: (x.date, x.id))]


@router.get("/patients/{patient_id}/assessment", responses={**ERRORS, **UNAVAILABLE})
def get_assessment(patient_id: PatientId, user: ApiUser, db: DbSession, as_of: AsOf = None) -> dict[str, Any]:
    """Findings, actions, densitometry and fracture risk (spec/cli.md JSON shape), assessed with the
    falls the patient logged counted; ``patient_log`` (an addition) lists what the log says, with
    sources, and whether the assessment counted it."""
    row = accessible_patient(db, user, patient_id)
    if as_of is not None:
        today = dt.date.today()
        if not row.birth_date <= as_of <= today:
            raise UserInputError("as_of", as_of.isoformat(), f"a date from the patient's birth date "
                                 f"({row.birth_date.isoformat()}) to today ({today.isoformat()})",
                                 problem="assessment date outside the patient's life so far")
    read = services.assessed(row, as_of)
    return {**services.assessment(db, row, read), "patient_log": read.log_notes()}


@router.get("/patients/{patient_id}/plan", responses={**ERRORS, **UNAVAILABLE})
def get_plan(patient_id: PatientId, user: ApiUser, db: DbSession,
             weeks: Annotated[int, Query(ge=1, le=52)] = 12) -> dict[str, Any]:
    """Exercise program and nutrition plan."""
    return services.plan(accessible_patient(db, user, patient_id), weeks)


@router.post("/patients/{patient_id}/simulations", responses={**ERRORS, **UNAVAILABLE})
def create_simulation(patient_id: PatientId, body: WhatIfRequest, user: ApiUser,
                      db: DbSession) -> dict[str, Any]:
    """What-if: the current course and the changed one over 1-5 years (cached per model version)."""
    row = accessible_patient(db, user, patient_id)
    return stored_what_if(db, row, services.assessed(row), body)


@router.get("/patients/{patient_id}/fhir", responses={**ERRORS, **UNAVAILABLE})
def get_fhir(patient_id: PatientId, user: ApiUser, db: DbSession) -> Response:
    """The record as a FHIR R4 Bundle: the record the page downloads give
    (``services.exported_record``): as assessed on the date the pages use, stated as the Patient's
    ``record-as-of`` (medication status and logged falls are as of that date), the patient's log
    under ``record-extra-json``."""
    row = accessible_patient(db, user, patient_id)
    import json

    bundle = services.fhir_bundle(services.exported_record(row))
    return Response(json.dumps(bundle), media_type="application/fhir+json")


@router.post("/fhir", status_code=201, response_model=CreatedPatient, responses={**ERRORS, **UNAVAILABLE})
def import_fhir(bundle: Annotated[dict[str, Any], Body(description="a FHIR R4 Bundle")], user: ApiUser,
                db: DbSession) -> CreatedPatient:
    """Import a FHIR R4 Bundle as a new patient (clinicians)."""
    require_clinician(user)
    record = services.record_from_fhir(bundle)
    row = repository.create_patient(db, record, actor_of(user))
    db.commit()
    return CreatedPatient(id=row.id, document=repository.as_document(row),
                          not_imported=services.not_imported(record))
