"""Server-rendered pages (Jinja2 + HTMX): login, patient list, timeline, entry forms, assessment,
what-if, plan and report download. Every POST form carries the session's CSRF token."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import object_session
from starlette.datastructures import FormData

from osteotwin.clinic.render.plain import plain_language
from osteotwin.errors import UserInputError
from osteotwin.records import LabResult, PatientRecord, dump_patient_yaml, parse_text
from osteotwin.records.patient import MENOPAUSAL_STATUSES, SEXES, SITES, scan_measures
from osteotwin.records.storage import accounts, repository
from osteotwin.records.storage.audit import audit_trail
from osteotwin.records.storage.logs import EXERCISE_ACTIVITIES, INTENSITIES, SYMPTOMS
from osteotwin.records.storage.models import PatientRow, UserRow
from osteotwin.simulate.what_if import ANTIRESORPTIVE_COURSES
from osteotwin.units import LAB_SPECS
from osteotwin.vocabulary import drug_names
from osteotwin.web import charts, forms, services
from osteotwin.web.deps import (
    DbSession,
    PageUser,
    PatientId,
    accessible_patient,
    actor_of,
    auth_event,
    browser_session,
    checked_password,
    may_remove,
    require_clinician,
    require_may_remove,
)
from osteotwin.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    BrowserSession,
    LoginThrottled,
    SessionCodec,
    csrf_matches,
    set_session_cookie,
)
from osteotwin.web.whatif import (
    AI_DRUGS,
    FORM_LABELS,
    SERIES_LABELS,
    WhatIfFormError,
    form_errors_of,
    request_from_form,
    stored_what_if,
)

router = APIRouter(include_in_schema=False)


def templates(request: Request) -> Jinja2Templates:
    result: Jinja2Templates = request.app.state.templates
    return result


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    base = {"csrf": getattr(request.state, "csrf", ""), "csrf_field": CSRF_FIELD}
    return templates(request).TemplateResponse(request, name, {**base, **context},
                                               status_code=status_code)


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's (403 otherwise)."""
    form = await request.form()
    session = browser_session(request)
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if session is None or not csrf_matches(session.csrf, given if isinstance(given, str) else None):
        raise HTTPException(status_code=403, detail="the form's security token is missing or stale; "
                            "reload the page and try again")
    return form


def attachment(name: str) -> str:
    """A Content-Disposition header for a download named ``name`` (which holds a patient id, any
    text): a plain ASCII fallback name, and the exact name percent-encoded (RFC 6266, RFC 8187)."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    if plain == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _codec(request: Request) -> SessionCodec:
    codec: SessionCodec = request.app.state.session_codec
    return codec


def _attach_session(response: Response, request: Request, session: BrowserSession) -> None:
    """The session cookie on ``response``: Secure over https, or always with
    ``OSTEOTWIN_SECURE_COOKIES=1``."""
    set_session_cookie(response, _codec(request).dump(session),
                       secure=request.app.state.secure_cookies or request.url.scheme == "https")


# --------------------------------------------------------------------------------------------------
# Login
# --------------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    session = browser_session(request)
    fresh = session is None
    if session is None:
        session = _codec(request).new_session(None)  # so that the login form has a CSRF token
    request.state.csrf = session.csrf
    response = render(request, "login.html", {"error": None, "username": ""})
    if fresh:
        _attach_session(response, request, session)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, db: DbSession) -> Response:
    form = await checked_form(request)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    user = None
    if username and password:
        try:
            user = checked_password(request, db, username, password, way_in="session")
        except LoginThrottled as refused:  # refused without checking the password (even a right one)
            request.state.csrf = browser_session(request).csrf  # type: ignore[union-attr]
            page = render(request, "login.html", {"error": str(refused), "username": username},
                          status_code=429)
            page.headers["Retry-After"] = str(refused.retry_after_s)
            return page
    if user is None:
        request.state.csrf = browser_session(request).csrf  # type: ignore[union-attr]
        return render(request, "login.html", {"error": "Unknown username or wrong password.",
                                              "username": username}, status_code=401)
    auth_event(request, db, user, "sign_in", "session")
    db.commit()
    response = RedirectResponse(_home(user), status_code=303)
    # new session and CSRF token at login, tied to the user's current session generation
    _attach_session(response, request, _codec(request).new_session(user.id, user.session_generation))
    return response


@router.post("/logout")
async def logout(request: Request, db: DbSession) -> Response:
    """Sign out: the user's session generation is incremented, so this cookie, even if copied, and
    every other browser session of the same user stop working (API tokens are not affected; they
    are revoked with DELETE /api/auth/token). A session that has already ended (idle or too old)
    has nothing left to end: the browser goes to the login page, nothing changed (the login page
    replaces the cookie)."""
    session = browser_session(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    await checked_form(request)
    user = None if session.user_id is None else db.get(UserRow, session.user_id)
    if user is not None and session.generation == user.session_generation:
        accounts.end_browser_sessions(db, user)
        auth_event(request, db, user, "sign_out", "session")
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.app.state.secure_cookies or request.url.scheme == "https")
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: PageUser, changed: bool = False) -> HTMLResponse:
    """The signed-in user's account: change the password."""
    return render(request, "account.html", {"user": user, "changed": changed, "error": None,
                                            "min_length": accounts.MIN_PASSWORD_LENGTH})


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, user: PageUser, db: DbSession) -> Response:
    """Change one's own password: the current one is checked (throttled like a login), the new one
    follows the account rules; every other session and API token of the user ends, and this
    browser gets a fresh session."""
    form = await checked_form(request)
    current, new, confirm = (str(form.get(k) or "") for k in ("current", "new", "confirm"))

    def refuse(message: str, status: int, at_fault: tuple[str, ...] = ()) -> HTMLResponse:
        """The form again with ``message``; the inputs ``at_fault`` are marked invalid and described
        by it (a throttled attempt names none: no input is wrong)."""
        return render(request, "account.html", {"user": user, "changed": False, "error": message,
                                                "at_fault": at_fault,
                                                "min_length": accounts.MIN_PASSWORD_LENGTH},
                      status_code=status)

    try:
        checked = checked_password(request, db, user.username, current, way_in="password_change")
    except LoginThrottled as refused:
        return refuse(str(refused), 429)
    if checked is None:
        return refuse("The current password is not right.", 401, ("current",))
    if new != confirm:
        return refuse("The two new passwords differ.", 422, ("new", "confirm"))
    try:
        accounts.set_password(db, user, new, actor_of(user))
    except UserInputError as err:
        db.rollback()
        return refuse(err.one_line(), 422, ("new",))
    db.commit()
    response = RedirectResponse("/account?changed=true", status_code=303)
    _attach_session(response, request, _codec(request).new_session(user.id, user.session_generation))
    return response


def _home(user: UserRow) -> str:
    if user.role == "patient":
        return f"/patients/{user.patient_id}" if user.patient_id is not None else "/patients"
    return "/patients"


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon (browsers ask for one on every first visit; an empty answer, not a 404)."""
    return Response(status_code=204)


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse(_home(user), status_code=303)


# --------------------------------------------------------------------------------------------------
# Patient list and creation
# --------------------------------------------------------------------------------------------------


@router.get("/patients", response_class=HTMLResponse)
def patient_list(request: Request, user: PageUser, db: DbSession) -> HTMLResponse:
    rows = []
    patients = repository.list_patients(db, user)
    try:
        cached = services.cached_assessments(db, patients)
    except services.Unavailable:
        cached = {}
    for row in patients:
        read = services.assessed(row)
        try:
            result: dict[str, Any] | None = services.assessment(db, row, read, cached)
        except (services.Unavailable, UserInputError):
            result = None
        rows.append({"row": row, "record": read.stored, "badge": services.risk_badge(result),
                     "due": services.monitoring_due(result, read.when), "dated": read.dated,
                     "log": ", ".join(n.topic.replace("_", " ") for n in read.log.notes if n.needs_review),
                     "age": round(read.stored.patient.age_on(read.when), 1)})
    return render(request, "patients.html", {"user": user, "patients": rows})


def _new_patient_context(user: UserRow, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"user": user, "values": values, "errors": errors, "sexes": SEXES,
            "statuses": MENOPAUSAL_STATUSES, "height_units": forms.HEIGHT_UNITS,
            "weight_units": forms.WEIGHT_UNITS}


@router.get("/patients/new", response_class=HTMLResponse)
def new_patient_page(request: Request, user: PageUser) -> HTMLResponse:
    if user.role != "clinician":
        raise HTTPException(status_code=403, detail="only clinicians may add patients")
    return render(request, "patient_new.html", _new_patient_context(user, {}, {}))


@router.post("/patients/new", response_class=HTMLResponse)
async def new_patient(request: Request, user: PageUser, db: DbSession) -> Response:
    if user.role != "clinician":
        raise HTTPException(status_code=403, detail="only clinicians may add patients")
    form = await checked_form(request)
    values = {k: str(v) for k, v in form.items() if k != CSRF_FIELD}
    reader = forms.FormReader(form)  # every input's error at once
    try:
        record = reader.parse(forms.patient_document(form, reader),
                              lambda document: repository.parse_record(document, source="form"),
                              forms.PATIENT_STAND_INS)
    except UserInputError as err:
        errors = forms.in_page_order(forms.field_errors(err, form), forms.PATIENT_FIELDS)
        return render(request, "patient_new.html", _new_patient_context(user, values, errors),
                      status_code=422)
    row = repository.create_patient(db, record, actor_of(user))
    db.commit()
    return RedirectResponse(f"/patients/{row.id}", status_code=303)


#: Largest patient file or FHIR bundle accepted by the import form (a full record is tens of kB).
IMPORT_MAX_BYTES = 2_000_000


def imported_record(name: str, data: bytes) -> PatientRecord:
    """The record in an uploaded file: a FHIR R4 Bundle (JSON with ``resourceType: Bundle``) or a
    patient file v1 (YAML or JSON); ``UserInputError`` names what is wrong with it."""
    if len(data) > IMPORT_MAX_BYTES:
        raise UserInputError("file", f"more than {IMPORT_MAX_BYTES:,} bytes",
                             f"a file of at most {IMPORT_MAX_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserInputError("file", name or "upload", "a UTF-8 text file (patient file YAML or JSON, "
                             "or a FHIR R4 Bundle in JSON)") from None
    document = parse_text(text, source=name or "upload")
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        return services.record_from_fhir(document)
    return repository.parse_record(document, source=name or "upload")


@router.post("/patients/import", response_class=HTMLResponse)
async def import_patient(request: Request, user: PageUser, db: DbSession) -> Response:
    """A new patient from an uploaded patient file or FHIR R4 Bundle (clinicians)."""
    if user.role != "clinician":
        raise HTTPException(status_code=403, detail="only clinicians may add patients")
    form = await checked_form(request)
    upload = form.get("file")
    try:
        if upload is None or isinstance(upload, str):
            raise UserInputError("file", "nothing", "a patient file (YAML or JSON) or a FHIR R4 Bundle")
        # read at most one byte past the limit: a larger upload is refused without holding it
        record = imported_record(upload.filename or "upload", await upload.read(IMPORT_MAX_BYTES + 1))
        # the log a patient file carries, too: a refused entry refuses the file before any write
        row = repository.create_patient(db, record, actor_of(user))
    except (UserInputError, services.Unavailable) as err:
        db.rollback()
        message = str(err) if isinstance(err, UserInputError) else err.reason
        return render(request, "patient_new.html",
                      {**_new_patient_context(user, {}, {}), "import_error": message},
                      status_code=422)
    db.commit()
    return RedirectResponse(f"/patients/{row.id}", status_code=303)


# --------------------------------------------------------------------------------------------------
# Timeline and entry forms
# --------------------------------------------------------------------------------------------------


def _timeline_context(user: UserRow, row: PatientRow, *, form_name: str | None = None,
                      values: dict[str, Any] | None = None,
                      errors: dict[str, str] | None = None) -> dict[str, Any]:
    read = services.assessed(row)
    record, dated = read.stored, read.dated
    events = _timeline_events(record, row)
    session = object_session(row)
    by_patient = repository.patient_usernames(session, row) if session is not None else set()
    for event in events:  # what the patient entered is marked; who may correct each entry
        event["by_patient"] = event.get("created_by") in by_patient
        event["may_correct"] = "entry" in event and may_remove(user, row, *event["entry"])
    lab_test = (values or {}).get("test") if form_name == "lab" else None
    if lab_test not in LAB_SPECS:
        lab_test = "estradiol"
    return {
        "user": user, "row": row, "record": record, "events": events,
        "charts": charts.trend_charts(record),
        "form_name": form_name, "values": values or {}, "errors": errors or {},
        "lab_tests": sorted(LAB_SPECS), "lab_units": LAB_SPECS[str(lab_test)].units,
        "sites": SITES, "bmd_units": forms.BMD_UNITS, "drugs": drug_names(),
        "routes": ("oral", "intramuscular", "subcutaneous", "transdermal", "intravenous"),
        "dose_units": forms.DOSE_UNITS, "interval_units": forms.INTERVAL_UNITS,
        "activities": EXERCISE_ACTIVITIES, "intensities": INTENSITIES, "symptoms": SYMPTOMS,
        "today": dt.date.today().isoformat(), "dated": dated,
        "age": round(record.patient.age_on(dated.when), 1),
        "not_imported": services.not_imported(record),
    }


def _log_text(kind: str, data: dict[str, Any]) -> dict[str, str]:
    """What a log entry says, in words, for the timeline: ``what`` (the symptom or activity) and
    ``detail`` (severity, minutes, amounts, the patient's note)."""
    note = f" — {data['note']}" if data.get("note") else ""
    if kind == "symptom":
        severity = f"severity {data['severity']:g}/10" if data.get("severity") is not None else ""
        return {"what": str(data.get("symptom", "symptom")).replace("_", " "), "detail": severity + note}
    if kind == "exercise":
        parts = [f"{data['minutes']:g} min" if data.get("minutes") is not None else "",
                 str(data.get("intensity") or "")]
        return {"what": str(data.get("activity", "exercise")).replace("_", " "),
                "detail": ", ".join(x for x in parts if x) + note}
    amounts = [f"calcium {data['calcium_mg']:g} mg" if data.get("calcium_mg") is not None else "",
               f"vitamin D {data['vitamin_d_iu']:g} IU" if data.get("vitamin_d_iu") is not None else "",
               f"protein {data['protein_g']:g} g" if data.get("protein_g") is not None else ""]
    return {"what": "a day's intake", "detail": ", ".join(x for x in amounts if x) + note}


def _lab_text(lab: LabResult) -> str:
    shown = f"{lab.reported_value:g} {lab.reported_unit}"
    if lab.reported_unit != lab.unit:
        shown += f" ({lab.value:.4g} {lab.unit})"
    return shown


def _timeline_events(record: PatientRecord, row: PatientRow) -> list[dict[str, Any]]:
    """Labs, DXA, medication starts/stops and logs as one dated list, newest first. Each entry's
    first event carries what correcting it needs: ``entry`` (kind, id) and, for a medication not
    yet stopped, ``can_stop``."""
    events: list[dict[str, Any]] = []
    for lab, lab_row in zip(record.labs, row.labs, strict=True):
        events.append({"date": lab.date.isoformat(), "kind": "lab", "what": lab.test.replace("_", " "),
                       "detail": _lab_text(lab) + (f", {lab.method}" if lab.method else ""),
                       "entry": ("labs", lab_row.id), "created_by": lab_row.created_by})
    for scan, scan_row in zip(record.dxa, row.dxa_scans, strict=True):
        events.append({"date": scan.date.isoformat(), "kind": "dxa", "what": charts.SITE_LABELS[scan.site],
                       "detail": scan_measures(scan.bmd_g_cm2, scan.t_score, scan.z_score),
                       "entry": ("dxa", scan_row.id),
                       "created_by": scan_row.created_by})
    for med, med_row in zip(record.medications, row.medications, strict=True):
        dose = med.dose_words() or "dose not recorded"
        how = med.schedule_words()
        drug = med.drug.replace("_", " ")
        correct = {"entry": ("medications", med_row.id), "can_stop": med.stop is None,
                   "created_by": med_row.created_by}
        events.append({"date": med.start.isoformat() if med.start else "(no start date)",
                       "kind": "medication", "what": f"start {drug}" if med.start else f"taking {drug}",
                       "detail": f"{dose} {how}" + (f", {med.route}" if med.route else ""), **correct})
        if med.stop is not None:
            events.append({"date": med.stop.isoformat(), "kind": "medication", "what": f"stop {drug}",
                           "detail": ""})
    for log in row.logs:
        events.append({"date": log.date.isoformat(), "kind": log.kind, **_log_text(log.kind, log.data),
                       "entry": ("logs", log.id), "created_by": log.created_by,
                       "reviewed": log.reviewed_at is not None})
    return sorted(events, key=lambda e: e["date"], reverse=True)


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def timeline(request: Request, patient_id: PatientId, user: PageUser, db: DbSession,
             added: str | None = None, corrected: str | None = None) -> HTMLResponse:
    """The record's timeline and entry forms; ``?added=KIND`` (after a saved entry) says it was
    saved."""
    row = accessible_patient(db, user, patient_id)
    context = _timeline_context(user, row)
    context["request_added"] = _ADDED_LABELS.get(added or "")
    context["request_corrected"] = _ADDED_LABELS.get(corrected or "")
    return render(request, "patient.html", context)


#: What the timeline says after an entry of each kind was saved.
_ADDED_LABELS = {"labs": "the lab result", "dxa": "the DXA scan", "medications": "the medication",
                 "logs": "the log entry"}


@router.get("/ui/lab-units", response_class=HTMLResponse)
def lab_units(request: Request, user: PageUser, test: str = "estradiol") -> HTMLResponse:
    """The unit choices of one lab test (HTMX swaps them into the lab form)."""
    units = LAB_SPECS[test].units if test in LAB_SPECS else ()
    return render(request, "_lab_units.html", {"units": units, "selected": None})


_ENTRY_FORMS = {
    "labs": ("lab", forms.lab_entry),
    "dxa": ("dxa", forms.dxa_entry),
    "medications": ("medication", forms.medication_entry),
}


#: Each entry form's inputs in page order (its error summary lists them so).
_ENTRY_INPUTS = {"labs": forms.LAB_FIELDS, "dxa": forms.DXA_FIELDS, "medications": forms.MEDICATION_FIELDS}


async def _post_entry(request: Request, patient_id: PatientId, user: UserRow, db: Any, kind: str) -> Response:
    row = accessible_patient(db, user, patient_id)
    form = await checked_form(request)
    values = {k: str(v) for k, v in form.items() if k != CSRF_FIELD}
    form_name = _ENTRY_FORMS[kind][0] if kind in _ENTRY_FORMS else "log-" + values.get("kind", "")
    reader = forms.FormReader(form)  # every input's error at once
    try:
        if kind == "logs":
            entry = forms.log_entry(form, reader)
            reader.check()
            repository.add_log(db, row, entry, actor_of(user))
        else:
            entry = _ENTRY_FORMS[kind][1](form, reader)
            if kind == "dxa":  # each value checked, though another is refused
                record = repository.record_from_row(row)
                reader.parse(entry, lambda scan: repository.validate_entry("dxa", scan, record),
                             forms.dxa_stand_ins(), whole="dxa")
            reader.check()
            # an entry identical to one on the record is refused (a second click, a re-sent form)
            repository.add_entry(db, row, kind, entry, actor_of(user), refuse_duplicates=True)
    except UserInputError as err:
        db.rollback()
        row = accessible_patient(db, user, patient_id)
        errors = forms.in_page_order(forms.field_errors(err, form), _ENTRY_INPUTS.get(kind, ()))
        context = _timeline_context(user, row, form_name=form_name, values=values, errors=errors)
        return render(request, "patient.html", context, status_code=422)
    db.commit()
    return RedirectResponse(f"/patients/{patient_id}?added={kind}#timeline", status_code=303)


async def _correct(request: Request, patient_id: PatientId, user: UserRow, db: Any, kind: str,
                   entry_id: int, change: Any) -> Response:
    """Apply one correction (``change(row, form)``) to an entry, if the page was loaded at the
    record's current revision; a refused one re-renders the timeline with that entry's correction
    open, what was typed kept and the reason beside it, nothing changed."""
    row = accessible_patient(db, user, patient_id)
    require_may_remove(user, row, kind, entry_id)
    form = await checked_form(request)
    try:
        repository.check_revision(row, form.get("revision"))
        change(row, form)
    except UserInputError as err:
        db.rollback()
        row = accessible_patient(db, user, patient_id)
        values = {k: str(v) for k, v in form.items() if k != CSRF_FIELD}
        context = _timeline_context(user, row, form_name="correct", values=values,
                                    errors=forms.field_errors(err, form))
        context["correcting"] = f"{kind}-{entry_id}"
        context["correcting_label"] = next(
            (f"{ev['what']} ({ev['date']})" for ev in context["events"] if ev.get("entry") == (kind, entry_id)),
            f"entry {entry_id}")
        return render(request, "patient.html", context, status_code=422)
    db.commit()
    return RedirectResponse(f"/patients/{patient_id}?corrected={kind}#timeline", status_code=303)


@router.post("/patients/{patient_id}/entries/{kind}/{entry_id}/remove")
async def remove_entry(request: Request, patient_id: PatientId, kind: str, entry_id: int, user: PageUser,
                       db: DbSession) -> Response:
    """Remove an entry made in error (the audit keeps it, with the reason given)."""
    if kind not in repository.REMOVABLE_KINDS:
        raise HTTPException(status_code=404, detail="no such kind of entry")
    return await _correct(request, patient_id, user, db, kind, entry_id,
                          lambda row, form: repository.remove_entry(
                              db, row, kind, entry_id, str(form.get("reason") or ""), actor_of(user)))


@router.post("/patients/{patient_id}/medications/{medication_id}/stop")
async def stop_medication(request: Request, patient_id: PatientId, medication_id: int, user: PageUser,
                          db: DbSession) -> Response:
    """Record the date a medication stopped (clinicians)."""
    require_clinician(user)
    return await _correct(request, patient_id, user, db, "medications", medication_id,
                          lambda row, form: repository.stop_medication(
                              db, row, medication_id, str(form.get("stop") or ""), actor_of(user)))


@router.post("/patients/{patient_id}/logs/reviewed")
async def review_logs(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    """A clinician marks what the patient logged as reviewed (the assessment page's log notes)."""
    row = accessible_patient(db, user, patient_id)
    require_clinician(user)
    form = await checked_form(request)
    try:
        ids = [int(str(value)) for value in form.getlist("ids")]
    except ValueError:
        raise HTTPException(status_code=422, detail="ids must be log entry ids") from None
    repository.mark_logs_reviewed(db, row, ids, actor_of(user))  # a refusal: the app's 422 page
    db.commit()
    return RedirectResponse(f"/patients/{patient_id}/assessment#patient-log", status_code=303)


@router.post("/patients/{patient_id}/labs")
async def post_lab(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    return await _post_entry(request, patient_id, user, db, "labs")


@router.post("/patients/{patient_id}/dxa")
async def post_dxa(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    return await _post_entry(request, patient_id, user, db, "dxa")


@router.post("/patients/{patient_id}/medications")
async def post_medication(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    return await _post_entry(request, patient_id, user, db, "medications")


@router.post("/patients/{patient_id}/logs")
async def post_log(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    return await _post_entry(request, patient_id, user, db, "logs")


# --------------------------------------------------------------------------------------------------
# Assessment, plan, what-if, report, audit
# --------------------------------------------------------------------------------------------------


def _entered_by_patient(row: PatientRow, record: PatientRecord) -> list[dict[str, Any]]:
    """The labs, scans and medicines on the record that a patient account entered (newest first):
    the assessment reads them as recorded, so the page names them for the clinician to confirm
    (the patient's logs have notes of their own)."""
    session = object_session(row)
    patients = repository.patient_usernames(session, row) if session is not None else set()
    return [event for event in _timeline_events(record, row)
            if event["kind"] in ("lab", "dxa", "medication") and event.get("created_by") in patients]


@router.get("/patients/{patient_id}/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> HTMLResponse:
    row = accessible_patient(db, user, patient_id)
    read = services.assessed(row)
    result: dict[str, Any] | None = None
    unavailable = None
    try:
        result = services.assessment(db, row, read)
    except services.Unavailable as exc:
        unavailable = exc.reason
    except UserInputError as err:
        unavailable = err.one_line()
    return render(request, "assessment.html", {"user": user, "row": row, "record": read.stored,
                                               "result": result, "unavailable": unavailable,
                                               "badge": services.risk_badge(result), "dated": read.dated,
                                               "log_notes": read.log_notes(),
                                               "by_patient": _entered_by_patient(row, read.stored),
                                               "plain_words": plain_language()})


@router.get("/patients/{patient_id}/plan", response_class=HTMLResponse)
def plan_page(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> HTMLResponse:
    """The plan page; its body is computed after load (HTMX) because the nutrition MILP takes seconds."""
    row = accessible_patient(db, user, patient_id)
    read = services.assessed(row)
    return render(request, "plan.html", {"user": user, "row": row, "record": read.stored,
                                         "dated": read.dated})


def _plan_or_reason(row: PatientRow) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return services.plan(row), None
    except services.Unavailable as exc:
        return None, exc.reason
    except UserInputError as err:
        return None, err.one_line()


@router.get("/patients/{patient_id}/plan/summary", response_class=HTMLResponse)
def plan_summary(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> HTMLResponse:
    row = accessible_patient(db, user, patient_id)
    result, unavailable = _plan_or_reason(row)
    return render(request, "_plan_summary.html", {"row": row, "result": result,
                                                  "unavailable": unavailable})


@router.get("/patients/{patient_id}/plan.html", response_class=HTMLResponse)
def plan_full(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> HTMLResponse:
    """The whole plan as the plan module renders it (a self-contained page)."""
    row = accessible_patient(db, user, patient_id)
    result, unavailable = _plan_or_reason(row)
    if result is None:
        return render(request, "error.html", {"user": user, "title": "Plan not available",
                                              "message": unavailable}, status_code=503)
    try:
        return HTMLResponse(services.plan_html(result, record_href=f"/patients/{row.id}"))
    except services.Unavailable as exc:
        return render(request, "error.html", {"user": user, "title": "Plan not available",
                                              "message": exc.reason}, status_code=503)


def _what_if_context(user: UserRow, row: PatientRow, read: services.Assessed) -> dict[str, Any]:
    record, dated = read.record, read.dated
    current_ai = [m for m in record.active_medications(dated.when) if m.drug in AI_DRUGS]
    return {"user": user, "row": row, "record": record, "ai_drugs": AI_DRUGS,
            "antiresorptives": {key: course.label for key, course in ANTIRESORPTIVE_COURSES.items()},
            "current_ai": current_ai, "life": record.lifestyle, "values": {}, "errors": {},
            "result": None, "figures": [], "unavailable": None, "series_labels": SERIES_LABELS,
            "input_labels": FORM_LABELS, "dated": dated, "start": dated.when.isoformat()}


@router.get("/patients/{patient_id}/what-if", response_class=HTMLResponse)
def what_if_page(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> HTMLResponse:
    row = accessible_patient(db, user, patient_id)
    return render(request, "whatif.html", _what_if_context(user, row, services.assessed(row)))


@router.post("/patients/{patient_id}/what-if", response_class=HTMLResponse)
async def what_if_run(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> HTMLResponse:
    """Run the what-if form. With HTMX the form and its result box are replaced together
    (HX-Retarget): after a form error the inputs at fault are marked beside their labels, and a
    run that succeeds clears an earlier error's marks."""
    row = accessible_patient(db, user, patient_id)
    form = await checked_form(request)
    read = services.assessed(row)
    context = _what_if_context(user, row, read)
    context["values"] = {k: str(v) for k, v in form.items() if k != CSRF_FIELD}
    htmx = bool(request.headers.get("HX-Request"))
    status = 200
    try:
        result = stored_what_if(db, row, read, request_from_form(form))
        context.update(result=result, figures=charts.what_if_charts(result, context["start"]))
    except (WhatIfFormError, UserInputError) as err:
        context["errors"] = err.errors if isinstance(err, WhatIfFormError) else form_errors_of(err)
        status = 422
    except services.Unavailable as exc:
        context["unavailable"] = exc.reason
    if not htmx:
        return render(request, "whatif.html", context, status_code=status)
    response = render(request, "_whatif_form.html", context, status_code=status)
    response.headers["HX-Retarget"] = "#whatif"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@router.get("/patients/{patient_id}/report.{fmt}")
def report_download(request: Request, patient_id: PatientId, fmt: str, user: PageUser, db: DbSession,
                    what_if: bool = True) -> Response:
    """The report as a download; ``?what_if=false`` leaves out the simulated trajectories (fast)."""
    if fmt not in ("html", "pdf"):
        raise HTTPException(status_code=404, detail="reports are available as .html or .pdf")
    row = accessible_patient(db, user, patient_id)
    try:
        read = services.assessed(row)
        data = services.report(read.stored, fmt, read.when, what_if=what_if, log=read.log,
                              for_patient=user.role != "clinician")
    except services.Unavailable as exc:
        return render(request, "error.html", {"user": user, "title": "Report not available",
                                              "message": exc.reason}, status_code=503)
    suffix = "" if what_if else "-quick"
    name = f"osteotwin-report-{row.external_id or row.id}{suffix}.{fmt}"
    media = "application/pdf" if fmt == "pdf" else "text/html; charset=utf-8"
    return Response(data, media_type=media,
                    headers={"Content-Disposition": attachment(name)})


@router.get("/patients/{patient_id}/patient.yaml")
def patient_file_download(patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    """The record as a patient file v1 (YAML) download (``services.exported_record``: as the
    assessment reads it, on the date it states as ``as_of``; the patient's log under ``extra``)."""
    row = accessible_patient(db, user, patient_id)
    text = dump_patient_yaml(services.exported_record(row))
    name = f"osteotwin-patient-{row.external_id or row.id}.yaml"
    return Response(text, media_type="application/yaml",
                    headers={"Content-Disposition": attachment(name)})


@router.get("/patients/{patient_id}/fhir.json")
def fhir_download(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    """The record as a FHIR R4 Bundle download, the same record as the patient file download
    (``services.exported_record``)."""
    row = accessible_patient(db, user, patient_id)
    try:
        bundle = services.fhir_bundle(services.exported_record(row))
    except services.Unavailable as exc:
        return render(request, "error.html", {"user": user, "title": "FHIR export not available",
                                              "message": exc.reason}, status_code=503)
    name = f"osteotwin-fhir-{row.external_id or row.id}.json"
    return Response(json.dumps(bundle, indent=1), media_type="application/fhir+json",
                    headers={"Content-Disposition": attachment(name)})


@router.get("/patients/{patient_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, patient_id: PatientId, user: PageUser, db: DbSession,
               show: Literal["changes", "access"] = "changes") -> HTMLResponse:
    """The record's audit trail: its changes (the default), or who viewed and downloaded it
    (``?show=access``); the newest 200 of either."""
    row = accessible_patient(db, user, patient_id)
    entries = audit_trail(db, patient_id=row.id, kind=show, limit=AUDIT_PAGE_ROWS)
    return render(request, "audit.html", {"user": user, "row": row, "entries": entries, "show": show,
                                          "limit": AUDIT_PAGE_ROWS})


#: Entries the audit page lists (the newest; the whole trail is in the database's audit_log table).
AUDIT_PAGE_ROWS = 200
