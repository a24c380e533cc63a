"""HTML form fields -> patient file v1 entries, and validation errors -> form field names.

Validation itself is the patient file reader's (``repository.validate_entry``); this module only
turns text inputs into the entry shape and maps the error's field back to the input that caused it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord

LAB_FIELDS = ("test", "value", "unit", "date", "method")
DXA_FIELDS = ("date", "site", "bmd_value", "bmd_unit", "t_score", "z_score", "device")
MEDICATION_FIELDS = ("drug", "dose_value", "dose_unit", "route", "every_value", "every_unit", "start",
                     "stop")
PATIENT_FIELDS = ("patient_id", "sex", "birth_date", "height_value", "height_unit", "weight_value",
                  "weight_unit", "menopausal_status")

DOSE_UNITS = ("mg", "ug", "g", "IU", "mg/d", "ug/d", "IU/d")
INTERVAL_UNITS = ("d", "wk", "mo")
BMD_UNITS = ("g/cm2", "mg/cm2")
HEIGHT_UNITS = ("cm", "in")
WEIGHT_UNITS = ("kg", "lb")

# error field (patient file name) -> form input name
_FIELD_TO_INPUT = {"bmd": "bmd_value", "dose": "dose_value", "every": "every_value",
                   "patient.height": "height_value", "patient.weight": "weight_value",
                   "patient.id": "patient_id", "patient.sex": "sex",
                   "patient.birth_date": "birth_date", "patient.menopausal_status": "menopausal_status"}


def form_text(form: Mapping[str, Any], key: str) -> str:
    """An input's text, stripped ("" when absent)."""
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


#: What a number input accepts, for error messages.
NUMBER_ACCEPTED = "a number written with digits and at most one decimal point or comma (1200, 12.5, 12,5)"


class AmbiguousNumber(ValueError):
    """A number typed with a thousands separator, or one that reads two ways."""


def parse_decimal(text: str) -> float:
    """``text`` as a float, a decimal comma accepted ("12,5" = 12.5). Refused (``ValueError``;
    ``AmbiguousNumber`` where it reads two ways): a comma followed by exactly three digits after a
    non-zero whole part ("1,000": one thousand, or one?), a comma and a point together, more than
    one comma, and Python's digit grouping ("1_000"), so a separator never silently scales a
    value a thousandfold."""
    if "_" in text:
        raise AmbiguousNumber(text)
    if "," in text:
        whole, _, fraction = text.partition(",")
        if "." in text or "," in fraction:
            raise AmbiguousNumber(text)
        if len(fraction) == 3 and fraction.isdigit() and whole.strip("+-") not in ("", "0"):
            raise AmbiguousNumber(text)
        text = f"{whole}.{fraction}"
    return float(text)


def form_number(form: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    """An input as a finite number (``parse_decimal``), None when blank; errors name ``key``."""
    text = form_text(form, key)
    if not text:
        if required:
            raise UserInputError(key, None, "a number", problem="missing value")
        return None
    try:
        value = parse_decimal(text)
    except AmbiguousNumber:
        raise UserInputError(key, text, NUMBER_ACCEPTED, problem="ambiguous number: a thousands "
                             "separator or two decimal marks") from None
    except ValueError:
        raise UserInputError(key, text, NUMBER_ACCEPTED, problem="not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UserInputError(key, text, "a finite number", problem="not a number")
    return value


def form_quantity(form: Mapping[str, Any], value_key: str, unit_key: str) -> str | None:
    """A value input and its unit select as the patient file's quantity text ("178 cm"), or None."""
    value = form_number(form, value_key)
    if value is None:
        return None
    return f"{value:.10g} {form_text(form, unit_key)}".strip()  # as the patient file writes numbers


def drop_empty(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` without its blank (None or "") values: blank means not recorded."""
    return {k: v for k, v in entry.items() if v not in (None, "")}


def past_date(text: str, key: str, what: str, today: dt.date | None = None) -> str:
    """``text``, refused when it is an ISO date after today: a result, scan or log entry records
    what has happened (a future date is a typo, and would be left out of every assessment). Text
    that is not an ISO date is left to the patient file reader's message. Shared by the forms and
    the JSON API."""
    try:
        when = dt.date.fromisoformat(text.strip())  # as the patient file reader reads it
    except (AttributeError, TypeError, ValueError):
        return text
    _refuse_after_today(when, key, what, today)
    return text


def _refuse_after_today(when: dt.date, key: str, what: str, today: dt.date | None) -> None:
    today = today or dt.date.today()
    if when > today:
        raise UserInputError(key, when.isoformat(), f"a date on or before today ({today.isoformat()})",
                             problem=f"date in the future: {what} cannot be dated after today")


def past_results(record: PatientRecord, today: dt.date | None = None) -> PatientRecord:
    """``record``, refused when a lab result or DXA scan in it is dated after today (``past_date``
    for a whole record: created, replaced or imported); errors name the entry (``labs[2].date``)."""
    for i, lab in enumerate(record.labs):
        _refuse_after_today(lab.date, f"labs[{i}].date", "a lab result", today)
    for i, scan in enumerate(record.dxa):
        _refuse_after_today(scan.date, f"dxa[{i}].date", "a DXA scan", today)
    return record


def _past_date(form: Mapping[str, Any], key: str, what: str, today: dt.date | None = None) -> str:
    """The date input ``key`` as text (``past_date``)."""
    return past_date(form_text(form, key), key, what, today)


def lab_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    return drop_empty({"test": form_text(form, "test"), "value": form_number(form, "value", required=True),
                        "unit": form_text(form, "unit"), "date": _past_date(form, "date", "a lab result"),
                        "method": form_text(form, "method")})


def dxa_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    """A DXA scan (its date may not be after today); a medication's start and stop may be (planned)."""
    return drop_empty({"date": _past_date(form, "date", "a DXA scan"), "site": form_text(form, "site"),
                        "bmd": form_quantity(form, "bmd_value", "bmd_unit"),
                        "t_score": form_number(form, "t_score"), "z_score": form_number(form, "z_score"),
                        "device": form_text(form, "device")})


def medication_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    return drop_empty({"drug": form_text(form, "drug"), "dose": form_quantity(form, "dose_value", "dose_unit"),
                        "route": form_text(form, "route"),
                        "every": form_quantity(form, "every_value", "every_unit"),
                        "start": form_text(form, "start"), "stop": form_text(form, "stop")})


def log_entry(form: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": form_text(form, "kind"), "date": _past_date(form, "date", "a log entry"),
                             "note": form_text(form, "note")}
    kind = entry["kind"]
    if kind == "exercise":
        entry.update(activity=form_text(form, "activity"), minutes=form_number(form, "minutes"),
                     intensity=form_text(form, "intensity"))
    elif kind == "intake":
        entry.update(calcium_mg=form_number(form, "calcium_mg"), vitamin_d_iu=form_number(form, "vitamin_d_iu"),
                     protein_g=form_number(form, "protein_g"))
    elif kind == "symptom":
        entry.update(symptom=form_text(form, "symptom"), severity=form_number(form, "severity"))
    return drop_empty(entry)


def patient_document(form: Mapping[str, Any]) -> dict[str, Any]:
    """A minimal patient file v1 document from the new-patient form."""
    patient = drop_empty({"id": form_text(form, "patient_id"), "sex": form_text(form, "sex"),
                           "birth_date": form_text(form, "birth_date"),
                           "height": form_quantity(form, "height_value", "height_unit"),
                           "weight": form_quantity(form, "weight_value", "weight_unit"),
                           "menopausal_status": form_text(form, "menopausal_status")})
    return {"version": 1, "patient": patient}


def input_name(error: UserInputError) -> str:
    """The form input an error belongs to (``bmd`` -> ``bmd_value``, ``patient.sex`` -> ``sex``)."""
    field = error.field
    if field in _FIELD_TO_INPUT:
        return _FIELD_TO_INPUT[field]
    head = field.split(".")[0].split("[")[0]
    return _FIELD_TO_INPUT.get(head, head or "form")


def field_errors(error: UserInputError) -> dict[str, str]:
    """``{input name: message}`` for the template."""
    accepted = f" Accepted: {error.accepted}." if error.accepted else ""
    return {input_name(error): f"{error.problem.capitalize()}.{accepted}"}
