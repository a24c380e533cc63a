"""The record's details page: patient details, history and lifestyle, edited in the browser.

The form's three sections replace those of the stored record's patient file document (labs, DXA
scans, medications, logs, ``as_of``, ``extra`` and ``fracture_risk_external`` are kept as they are);
the whole document is then read by the patient file reader, so the form accepts what a patient
file accepts, with the same messages. Blank means "not recorded" (the patient file's null): nothing
is filled in.

Clinicians edit all three sections. A patient account edits only the Lifestyle section of their own
record: a patient's POST that carries any patient or history input is refused (403), nothing saved.

The form carries a digest of each section as the page showed it (``section_digests``: the form's own
values for the stored record), not the record's revision: labs, DXA scans, medications and log
entries added while the form is open change the revision but none of these sections, so they do not
stop the save (and are kept, as the save keeps every entry). Only a section the user may edit that
changed since the form was loaded is a conflict: the form comes back (409) with what was typed, the
sections that changed named, the stored value beside each field that differs, and the digests of
the record as it now is, so that saving again deliberately replaces it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord, record_to_document
from osteotwin.records.drugs import SUPPLEMENT_UNITS
from osteotwin.records.patient import (
    DIET_PATTERNS,
    FOOD_EXCLUSIONS,
    INTENSITIES,
    MENOPAUSAL_STATUSES,
    SMOKING,
    TRAINING_SETTINGS,
)
from osteotwin.records.storage import repository
from osteotwin.records.storage.models import PatientRow, UserRow
from osteotwin.web import forms
from osteotwin.web.deps import DbSession, PageUser, PatientId, accessible_patient, actor_of
from osteotwin.web.forms import (
    FormReader,
    drop_empty,
    form_number,
    form_quantity,
    form_text,
    parse_decimal,
)
from osteotwin.web.pages import checked_form, render
from osteotwin.web.security import CSRF_FIELD

router = APIRouter(include_in_schema=False)

# --------------------------------------------------------------------------------------------------
# The form's inputs
# --------------------------------------------------------------------------------------------------

HISTORY_COUNTS = ("prior_fragility_fractures", "falls_last_12_months")
HISTORY_FLAGS = ("glucocorticoids", "rheumatoid_arthritis", "parent_hip_fracture", "vertebral_fracture",
                 "breast_cancer", "prostate_cancer", "hypogonadism")
LIFESTYLE_NUMBERS = ("resistance_sessions_per_week", "impact_sessions_per_week",
                     "weight_bearing_aerobic_minutes_per_week", "sleep_hours")
LIFESTYLE_CHOICES = {"resistance_intensity": INTENSITIES, "diet_pattern": DIET_PATTERNS,
                     "training_setting": TRAINING_SETTINGS}

#: Inputs only a clinician may change (a patient's POST carrying any of them is refused).
PATIENT_INPUTS = ("height_value", "height_unit", "weight_value", "weight_unit", "menopausal_status")
HISTORY_INPUTS = (*HISTORY_COUNTS, "smoking", "alcohol_units_per_week", *HISTORY_FLAGS)
CLINICIAN_ONLY_INPUTS = (*PATIENT_INPUTS, *HISTORY_INPUTS)

#: Supplement rows shown (more when the record holds more) and the most read from a form.
SUPPLEMENT_ROWS = 4
#: Rows read from a form: a record may hold more supplements than the page's usual rows (it shows
#: all of them, and one blank row more), never more than this.
MAX_SUPPLEMENT_ROWS = 60
SUPPLEMENT_NAMES: tuple[str, ...] = tuple(SUPPLEMENT_UNITS)
SUPPLEMENT_DOSE_UNITS = ("IU/d", "ug/d", "mg/d", "g/d")

YES_NO = {"yes": True, "no": False}

#: Each input in words (the error summary names the field with these).
LABELS: dict[str, str] = {
    "height_value": "Height", "height_unit": "Height unit", "weight_value": "Weight",
    "weight_unit": "Weight unit", "menopausal_status": "Menopausal status",
    "prior_fragility_fractures": "Fragility fractures after 50",
    "falls_last_12_months": "Falls in the last 12 months", "smoking": "Smoking",
    "alcohol_units_per_week": "Alcohol (units a week)",
    "glucocorticoids": "Oral glucocorticoids for 3 months or more",
    "rheumatoid_arthritis": "Rheumatoid arthritis", "parent_hip_fracture": "Parent's hip fracture",
    "vertebral_fracture": "Vertebral (spine) fracture", "breast_cancer": "Breast cancer",
    "prostate_cancer": "Prostate cancer", "hypogonadism": "Hypogonadism",
    "dietary_calcium": "Calcium from food (mg/d)", "protein": "Protein (g/kg/d)",
    "resistance_sessions_per_week": "Resistance sessions a week",
    "resistance_intensity": "Resistance intensity",
    "impact_sessions_per_week": "Impact sessions a week",
    "weight_bearing_aerobic_minutes_per_week": "Weight-bearing aerobic minutes a week",
    "sleep_hours": "Sleep (hours a night)", "diet_pattern": "Diet pattern",
    "food_exclusions": "Foods excluded", "training_setting": "Training setting",
    "supplements": "Supplements",
}

#: The form's sections, as the conflict message names them.
SECTIONS = {"patient": "Patient", "history": "History", "lifestyle": "Lifestyle"}
#: The inputs of the Lifestyle section in the page's order (supplement rows follow).
LIFESTYLE_INPUTS = ("dietary_calcium", "protein", "resistance_sessions_per_week", "resistance_intensity",
                    "impact_sessions_per_week", "weight_bearing_aerobic_minutes_per_week", "sleep_hours",
                    "diet_pattern", "food_exclusions", "training_setting")
#: The hidden input that carries the sections' digests.
DIGEST_FIELD = "digest"


def label(name: str) -> str:
    """An input's name in words (``supplement_1_dose_value`` -> "Supplement 2 daily dose")."""
    match = re.fullmatch(r"supplement_(\d+)_(name|dose_value|dose_unit)", name)
    if match:
        part = {"name": "", "dose_value": " daily dose", "dose_unit": " dose unit"}[match.group(2)]
        return f"Supplement {int(match.group(1)) + 1}{part}"
    return LABELS.get(name, name.replace("_", " ").capitalize())


# --------------------------------------------------------------------------------------------------
# Record -> form values, form -> document sections
# --------------------------------------------------------------------------------------------------


def _shown(value: float | None) -> str:
    """A stored number as the form shows it (as many digits as the patient file keeps)."""
    return "" if value is None else f"{value:.10g}"


def form_values(record: PatientRecord) -> dict[str, Any]:
    """The inputs prefilled from ``record`` (blank where it records nothing)."""
    p, h, life = record.patient, record.history, record.lifestyle
    values: dict[str, Any] = {
        "height_value": _shown(p.height_cm), "height_unit": "cm",
        "weight_value": _shown(p.weight_kg), "weight_unit": "kg",
        "menopausal_status": p.menopausal_status or "",
        "smoking": h.smoking or "", "alcohol_units_per_week": _shown(h.alcohol_units_per_week),
        "dietary_calcium": _shown(life.dietary_calcium_mg_d), "protein": _shown(life.protein_g_kg_d),
        "food_exclusions": list(life.food_exclusions),
    }
    for key in HISTORY_COUNTS:
        count = getattr(h, key)
        values[key] = "" if count is None else str(count)
    for key in HISTORY_FLAGS:
        flag = getattr(h, key)
        values[key] = "" if flag is None else ("yes" if flag else "no")
    for key in LIFESTYLE_NUMBERS:
        values[key] = _shown(getattr(life, key))
    for key in LIFESTYLE_CHOICES:
        values[key] = getattr(life, key) or ""
    for i, supplement in enumerate(life.supplements):
        values[f"supplement_{i}_name"] = supplement.name
        values[f"supplement_{i}_dose_value"] = _shown(supplement.dose_per_day)
        values[f"supplement_{i}_dose_unit"] = supplement.unit
    return values


# --------------------------------------------------------------------------------------------------
# What the form was loaded with: a digest of each section, and what differs on a conflict
# --------------------------------------------------------------------------------------------------


def section_of(name: str) -> str:
    """The section an input belongs to (``weight_value`` -> ``patient``)."""
    if name in PATIENT_INPUTS:
        return "patient"
    if name in HISTORY_INPUTS:
        return "history"
    return "lifestyle"


def section_digests(values: Mapping[str, Any]) -> dict[str, str]:
    """``{section: sha256}`` of form values (``form_values`` of a stored record), each section's
    values as canonical JSON: equal digests, the same form."""
    parts: dict[str, dict[str, Any]] = {section: {} for section in SECTIONS}
    for name, value in values.items():
        parts[section_of(name)][name] = value
    return {section: hashlib.sha256(json.dumps(part, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False).encode()).hexdigest()
            for section, part in parts.items()}


def digest_text(digests: Mapping[str, str]) -> str:
    """The digest input's value (``patient=...;history=...;lifestyle=...``)."""
    return ";".join(f"{section}={digests[section]}" for section in SECTIONS)


def posted_digests(text: Any) -> dict[str, str]:
    """The digests a posted form carries (a section missing or unreadable is left out)."""
    if not isinstance(text, str):
        return {}
    pairs = (part.partition("=") for part in text.split(";"))
    return {key.strip(): value.strip() for key, sep, value in pairs
            if sep and key.strip() in SECTIONS and re.fullmatch(r"[0-9a-f]{64}", value.strip())}


def _input_order(name: str) -> tuple[int, int, int]:
    """Where an input comes on the page (the conflict summary lists fields in that order)."""
    match = re.fullmatch(r"supplement_(\d+)_(name|dose_value|dose_unit)", name)
    if match:
        return (len(CLINICIAN_ONLY_INPUTS) + len(LIFESTYLE_INPUTS), int(match.group(1)),
                ("name", "dose_value", "dose_unit").index(match.group(2)))
    order = (*CLINICIAN_ONLY_INPUTS, *LIFESTYLE_INPUTS)
    return (order.index(name) if name in order else len(order) + 1, 0, 0)


def _unit_of(name: str) -> str | None:
    """The unit select that goes with a value input (``weight_value`` -> ``weight_unit``)."""
    if name in ("height_value", "weight_value") or re.fullmatch(r"supplement_\d+_dose_value", name):
        return name.removesuffix("_value") + "_unit"
    return None


def _comparable(name: str, values: Mapping[str, Any]) -> Any:
    """An input's value as compared on a conflict ("80" and "80.0 " are the same weight)."""
    def one(value: Any) -> Any:
        if isinstance(value, list):
            return sorted({str(x).strip() for x in value if str(x).strip()})
        text = str(value or "").strip()
        try:
            return parse_decimal(text)  # as the form reads it
        except ValueError:
            return text
    unit = _unit_of(name)
    value = one(values.get(name, ""))
    if unit is None:
        return value
    return (value, one(values.get(unit, ""))) if value != "" else ""


def _stored_text(name: str, values: Mapping[str, Any]) -> str:
    """An input's stored value in words, shown beside the field on a conflict."""
    value = values.get(name, "")
    if isinstance(value, list):
        return ", ".join(value) or "none"
    if not str(value).strip():
        return "none" if name.startswith("supplement_") else "not recorded"
    unit = _unit_of(name)
    if unit is not None:
        return f"{value} {values.get(unit, '')}".strip()
    return str(value).replace("_", " ")


def conflict_of(typed: Mapping[str, Any], stored: Mapping[str, Any], sections: list[str],
                named: bool) -> dict[str, Any]:
    """What the 409 page says: the sections that changed since the form was loaded (``named``:
    False when the form carried no digest, so that which ones is not known) and ``{input: stored
    value in words}`` for each of their fields where what was typed differs from what is stored."""
    names = {name for name in (*typed, *stored) if section_of(name) in sections
             and not (name.endswith("_unit") and name.removesuffix("_unit") + "_value" in (*typed, *stored))}
    differing = sorted((name for name in names if _comparable(name, typed) != _comparable(name, stored)),
                       key=_input_order)
    titles = [SECTIONS[section] for section in SECTIONS if section in sections]
    words = titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
    return {"sections": titles, "words": words, "named": named,
            "stored": {name: _stored_text(name, stored) for name in differing}}


def _flag(form: Mapping[str, Any], key: str) -> bool | None:
    text = form_text(form, key)
    if not text:
        return None
    if text not in YES_NO:
        raise UserInputError(key, text, "yes | no | blank (not recorded)", problem="not an accepted value")
    return YES_NO[text]


def patient_section(form: Mapping[str, Any], stored: Mapping[str, Any], reader: FormReader) -> dict[str, Any]:
    """The document's ``patient`` block: identifier, sex and birth date as stored, the rest typed
    (an input refused is left out, its error kept in ``reader``; so in each section below)."""
    typed = {"height": reader.value(lambda: form_quantity(form, "height_value", "height_unit")),
             "weight": reader.value(lambda: form_quantity(form, "weight_value", "weight_unit")),
             "menopausal_status": form_text(form, "menopausal_status")}
    kept = {k: stored[k] for k in ("id", "sex", "birth_date") if stored.get(k) is not None}
    return {**kept, **drop_empty(typed)}


def history_section(form: Mapping[str, Any], stored: Mapping[str, Any], reader: FormReader) -> dict[str, Any]:
    """The document's ``history`` block (``conditions``, free text, as stored)."""
    typed: dict[str, Any] = {key: reader.value(partial(form_number, form, key))
                             for key in HISTORY_COUNTS}
    typed["smoking"] = form_text(form, "smoking")
    typed["alcohol_units_per_week"] = reader.value(lambda: form_number(form, "alcohol_units_per_week"))
    typed.update({key: reader.value(partial(_flag, form, key)) for key in HISTORY_FLAGS})
    return {**drop_empty(typed), "conditions": list(stored.get("conditions") or [])}


def _fixed_unit(form: Mapping[str, Any], key: str, unit: str, reader: FormReader) -> str | None:
    value = reader.value(lambda: form_number(form, key))
    return None if value is None else f"{value:.10g} {unit}"


def supplement_rows(form: Mapping[str, Any], reader: FormReader) -> tuple[list[dict[str, Any]], list[int]]:
    """The supplements typed (a row with neither name nor dose is none; a row refused is left out,
    its error kept in ``reader``) and, for each, the form row it came from (so that an error in the
    n-th supplement marks the right row)."""
    supplements: list[dict[str, Any]] = []
    rows: list[int] = []
    for i in range(MAX_SUPPLEMENT_ROWS):
        name = form_text(form, f"supplement_{i}_name")
        typed_dose = bool(form_text(form, f"supplement_{i}_dose_value"))
        dose = reader.value(partial(form_quantity, form, f"supplement_{i}_dose_value",
                                    f"supplement_{i}_dose_unit"))
        if not name and not typed_dose:
            continue
        refused = None
        if not name:
            refused = UserInputError(f"supplement_{i}_name", None, " | ".join(SUPPLEMENT_NAMES),
                                     problem="missing value (which supplement is this dose of)")
        elif not typed_dose:
            refused = UserInputError(f"supplement_{i}_dose_value", None, "a daily dose, e.g. 1000 IU/d "
                                     "or 500 mg/d", problem="missing value")
        elif dose is not None and not form_text(form, f"supplement_{i}_dose_unit"):
            refused = UserInputError(f"supplement_{i}_dose_unit", None, " | ".join(SUPPLEMENT_DOSE_UNITS),
                                     problem="missing unit")
        if refused is not None:
            reader.add(refused)
        if refused is not None or dose is None:
            continue
        supplements.append({"name": name, "dose": dose})
        rows.append(i)
    return supplements, rows


def _texts(form: FormData | Mapping[str, Any], key: str) -> list[str]:
    """Every non-blank value of a repeated input (the checked boxes of a group)."""
    raw: Any = form.getlist(key) if isinstance(form, FormData) else form.get(key) or []
    return [x.strip() for x in (raw if isinstance(raw, list) else [raw])
            if isinstance(x, str) and x.strip()]


def lifestyle_section(form: FormData | Mapping[str, Any],
                      reader: FormReader) -> tuple[dict[str, Any], list[int]]:
    """The document's ``lifestyle`` block, and the form row of each supplement."""
    supplements, rows = supplement_rows(form, reader)
    typed: dict[str, Any] = {"dietary_calcium": _fixed_unit(form, "dietary_calcium", "mg/d", reader),
                             "protein": _fixed_unit(form, "protein", "g/kg/d", reader)}
    typed.update({key: reader.value(partial(form_number, form, key)) for key in LIFESTYLE_NUMBERS})
    typed.update({key: form_text(form, key) for key in LIFESTYLE_CHOICES})
    return {**drop_empty(typed), "supplements": supplements,
            "food_exclusions": list(dict.fromkeys(_texts(form, "food_exclusions")))}, rows


def details_document(record: PatientRecord, form: FormData | Mapping[str, Any], *,
                     clinician: bool, reader: FormReader | None = None) -> tuple[dict[str, Any], list[int]]:
    """The stored record's whole patient file document with the form's sections in place (a
    patient's form replaces only the lifestyle), and the form row of each supplement. The inputs
    refused are left out, their errors kept in ``reader`` (without one: raised, every one of them,
    as ``forms.FormErrors``)."""
    r = reader if reader is not None else FormReader(form)
    document = record_to_document(record)
    if clinician:
        document["patient"] = patient_section(form, document["patient"], r)
        document["history"] = history_section(form, document.get("history") or {}, r)
    document["lifestyle"], rows = lifestyle_section(form, r)
    if reader is None:
        r.name_of = lambda error: input_of(error, rows)
        r.check()
    return document, rows


#: What a refused list element of the Lifestyle section is read as while the rest is checked
#: (``FormReader.parse``): a supplement row, or a food excluded.
LIST_STAND_INS: dict[str, Any] = {"supplements": {"name": SUPPLEMENT_NAMES[0], "dose": "0 mg/d"},
                                  "food_exclusions": FOOD_EXCLUSIONS[0]}


def _stand_in(path: forms.Path) -> Any:
    """``LIST_STAND_INS`` for an element of a Lifestyle list; else none (the value is removed)."""
    if len(path) == 3 and path[0] == "lifestyle" and isinstance(path[2], int):
        return LIST_STAND_INS.get(str(path[1]), forms.REMOVE)
    return forms.REMOVE


def input_of(error: UserInputError, supplement_rows: list[int]) -> str:
    """The input a reader's error belongs to (``history.falls_last_12_months`` ->
    ``falls_last_12_months``, ``lifestyle.supplements[0].dose`` -> ``supplement_2_dose_value`` when
    the first supplement was typed in the third row); errors raised from the form keep their input."""
    field = error.field
    match = re.fullmatch(r"lifestyle\.supplements\[(\d+)\](?:\.(name|dose))?", field)
    if match:
        index = int(match.group(1))
        row = supplement_rows[index] if index < len(supplement_rows) else index
        return f"supplement_{row}_{'name' if match.group(2) == 'name' else 'dose_value'}"
    for section in ("history.", "lifestyle."):
        if field.startswith(section):
            return field[len(section):].split(".")[0].split("[")[0]
    return forms.input_name(error)


def errors_of(error: UserInputError, supplement_rows: list[int],
              form: Mapping[str, Any] | None = None) -> dict[str, str]:
    """``{input name: message}`` for the template (the message as the other forms word it, with the
    value typed in ``form``); every input's error where ``error`` holds them (``forms.FormErrors``)."""
    return forms.field_errors(error, form, lambda err: input_of(err, supplement_rows))


# --------------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------------


def _context(user: UserRow, row: PatientRow, record: PatientRecord, values: dict[str, Any],
             errors: dict[str, str], **extra: Any) -> dict[str, Any]:
    """The page's context. The form carries the digests of ``record``'s sections as stored: what
    it shows (typed or not) is based on the record as it is now."""
    shown = max(SUPPLEMENT_ROWS, len(record.lifestyle.supplements) + 1,
                *(int(m.group(1)) + 1 for key in values
                  if (m := re.fullmatch(r"supplement_(\d+)_name", key))))
    conflict = extra.get("conflict")
    errors = dict(sorted(errors.items(), key=lambda item: _input_order(item[0])))  # in page order
    # the first input at fault on the page takes focus (a man's menopausal status has no input)
    focus = next((name for name in errors
                  if name != "menopausal_status" or record.patient.sex == "female"), None)
    named = [*errors, *(conflict["stored"] if conflict else ())]
    return {"user": user, "row": row, "record": record, "values": values, "errors": errors,
            "labels": {name: label(name) for name in named}, "clinician": user.role == "clinician",
            "focus": focus, "digest_field": DIGEST_FIELD,
            "digest": digest_text(section_digests(form_values(record))),
            "height_units": forms.HEIGHT_UNITS, "weight_units": forms.WEIGHT_UNITS,
            "statuses": MENOPAUSAL_STATUSES, "smoking": SMOKING, "flags": HISTORY_FLAGS,
            "flag_labels": {key: LABELS[key] for key in HISTORY_FLAGS},
            "intensities": INTENSITIES, "diet_patterns": DIET_PATTERNS,
            "training_settings": TRAINING_SETTINGS, "food_exclusions": FOOD_EXCLUSIONS,
            "supplement_names": SUPPLEMENT_NAMES, "supplement_units": SUPPLEMENT_DOSE_UNITS,
            "supplement_rows": range(min(shown, MAX_SUPPLEMENT_ROWS)), "saved": False, "conflict": None,
            **extra}


@router.get("/patients/{patient_id}/details", response_class=HTMLResponse)
def details_page(request: Request, patient_id: PatientId, user: PageUser, db: DbSession,
                 saved: bool = False) -> HTMLResponse:
    """The record's patient details, history and lifestyle as a form, prefilled from the record."""
    row = accessible_patient(db, user, patient_id)
    record = repository.record_from_row(row)
    return render(request, "patient_details.html",
                  _context(user, row, record, form_values(record), {}, saved=saved))


def _posted_values(form: FormData, record: PatientRecord, clinician: bool) -> dict[str, Any]:
    """What the re-rendered form shows: what was typed in the sections the user may edit, the
    record's values elsewhere."""
    values = form_values(record)
    if clinician:  # a select or input left out of the form is blank, as the browser would send it
        values.update(dict.fromkeys(CLINICIAN_ONLY_INPUTS, ""))
    lifestyle_keys = ("dietary_calcium", "protein", *LIFESTYLE_NUMBERS, *LIFESTYLE_CHOICES)
    values.update(dict.fromkeys(lifestyle_keys, ""))
    values = {k: v for k, v in values.items() if not k.startswith("supplement_")}
    for key, value in form.multi_items():
        if key in (CSRF_FIELD, DIGEST_FIELD, "revision", "food_exclusions") or not isinstance(value, str):
            continue
        if key in CLINICIAN_ONLY_INPUTS and not clinician:
            continue
        values[key] = value
    values["food_exclusions"] = _texts(form, "food_exclusions")
    return values


@router.post("/patients/{patient_id}/details", response_class=HTMLResponse)
async def save_details(request: Request, patient_id: PatientId, user: PageUser, db: DbSession) -> Response:
    """Save the form: the record's sections replaced (audited with the document before and after),
    or the form again with the field at fault marked (422) and nothing saved.

    A section the user may edit that changed since the form was loaded (its digest differs from the
    stored section's) is a conflict: nothing saved, the form again with what was typed, the changed
    sections named and the stored values beside the fields that differ, carrying the digests of the
    record as it now is, so that saving again replaces it (409). Entries added meanwhile (labs, DXA
    scans, medications, log entries) are not a conflict, and the save keeps them."""
    row = accessible_patient(db, user, patient_id)
    form = await checked_form(request)
    clinician = user.role == "clinician"
    if not clinician and any(key in form for key in CLINICIAN_ONLY_INPUTS):
        raise HTTPException(status_code=403, detail="a patient may change only the Lifestyle section; "
                                                    "patient details and history are kept by the clinician")
    record = repository.record_from_row(row)
    stored = form_values(record)
    loaded, now = posted_digests(form.get(DIGEST_FIELD)), section_digests(stored)
    editable = list(SECTIONS) if clinician else ["lifestyle"]
    changed = [section for section in editable if loaded.get(section) != now[section]]
    if changed:
        typed = _posted_values(form, record, clinician)
        conflict = conflict_of(typed, stored, changed, named=all(s in loaded for s in editable))
        return render(request, "patient_details.html",
                      _context(user, row, record, typed, {}, conflict=conflict), status_code=409)
    rows: list[int] = []
    reader = FormReader(form, name_of=lambda err: input_of(err, rows))  # every input's error at once
    try:
        document, rows[:] = details_document(record, form, clinician=clinician, reader=reader)
        updated = reader.parse(document, lambda whole: repository.parse_record(whole, source="form"),
                               _stand_in)
    except UserInputError as err:
        return render(request, "patient_details.html",
                      _context(user, row, record, _posted_values(form, record, clinician),
                               errors_of(err, rows, form)), status_code=422)
    repository.replace_patient(db, row, updated, actor_of(user))
    db.commit()
    return RedirectResponse(f"/patients/{patient_id}/details?saved=true", status_code=303)
