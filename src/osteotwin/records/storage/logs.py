"""Lifestyle log entries (exercise sessions, daily intake, symptoms): validation of one entry.

Ranges are plausibility limits to refuse typos, not targets: exercise up to 600 min a session,
calcium up to 5000 mg/d and vitamin D up to 100,000 IU/d (above the IOM 2011 upper limits, so real
over-use is still recorded), protein up to 400 g/d, symptom severity on a 0-10 numeric rating scale (optional for a fall or a
fracture, ``EVENTS_WITHOUT_SEVERITY``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.records.fields import plain_text
from osteotwin.records.storage.models import LOG_KINDS

EXERCISE_ACTIVITIES: tuple[str, ...] = ("resistance", "impact", "weight_bearing_aerobic", "balance",
                                        "other")
INTENSITIES: tuple[str, ...] = ("light", "moderate", "high")
SYMPTOMS: tuple[str, ...] = ("joint_pain", "muscle_pain", "back_pain", "hot_flushes", "fatigue",
                             "fall", "fracture", "other")

_FIELDS: dict[str, tuple[str, ...]] = {
    "exercise": ("kind", "date", "activity", "minutes", "intensity", "note"),
    "intake": ("kind", "date", "calcium_mg", "vitamin_d_iu", "protein_g", "note"),
    "symptom": ("kind", "date", "symptom", "severity", "note"),
}
#: Symptoms that are events: what counts is that one happened (a fall, a fracture: the assessment
#: counts them), so a 0-10 severity is optional; for the others (pain, hot flushes, fatigue) the
#: severity is the measurement, and required.
EVENTS_WITHOUT_SEVERITY: tuple[str, ...] = ("fall", "fracture")
LOG_NOTE_MAX_LENGTH = 500  # characters of free text with one log entry
_RANGES: dict[str, tuple[float, float]] = {
    "minutes": (1, 600), "calcium_mg": (0, 5000), "vitamin_d_iu": (0, 100_000),
    "protein_g": (0, 400), "severity": (0, 10),
}


def _number(entry: Mapping[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise UserInputError(key, value, "a number", problem="not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise UserInputError(key, value, "a number", problem="not a number")
    lo, hi = _RANGES[key]
    if not lo <= float(value) <= hi:
        raise UserInputError(key, value, f"{lo:g} to {hi:g}", problem="implausible value")
    return float(value)


def _choice(entry: Mapping[str, Any], key: str, choices: tuple[str, ...], *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None or value == "":
        if required:
            raise UserInputError(key, None, " | ".join(choices), problem="missing field")
        return None
    if not isinstance(value, str) or value not in choices:
        raise UserInputError(key, value, " | ".join(choices), problem="not an accepted value")
    return value


def _date(entry: Mapping[str, Any], birth_date: dt.date, today: dt.date) -> dt.date:
    raw = entry.get("date")
    if raw is None or raw == "":
        raise UserInputError("date", None, "an ISO 8601 date (YYYY-MM-DD)", problem="missing field")
    try:
        when = dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        when = None
    if when is None:
        raise UserInputError("date", raw, "an ISO 8601 date (YYYY-MM-DD)", problem="not a date")
    if when < birth_date or when > today + dt.timedelta(days=1):
        raise UserInputError("date", raw, f"{birth_date.isoformat()} to {today.isoformat()}",
                             problem="date outside the patient's life so far")
    return when


def validate_log(entry: Any, *, birth_date: dt.date, today: dt.date | None = None) -> tuple[str, dt.date,
                                                                                          dict[str, Any]]:
    """Check one log entry; return (kind, date, data) or raise ``UserInputError`` naming the field."""
    if not isinstance(entry, Mapping):
        raise UserInputError("", type(entry).__name__, "an object with kind and date",
                             problem="not an object")
    kind = _choice(entry, "kind", LOG_KINDS, required=True)
    assert kind is not None
    for key in entry:
        if key not in _FIELDS[kind]:
            raise UserInputError(str(key), key, ", ".join(_FIELDS[kind]), problem="unknown field")
    when = _date(entry, birth_date, today or dt.date.today())
    note = entry.get("note")
    if note is not None:
        note = plain_text(note, "note", allow_empty=True, max_length=LOG_NOTE_MAX_LENGTH)
    data: dict[str, Any] = {}
    if kind == "exercise":
        data["activity"] = _choice(entry, "activity", EXERCISE_ACTIVITIES, required=True)
        minutes = _number(entry, "minutes")
        if minutes is None:
            raise UserInputError("minutes", None, "1 to 600", problem="missing field")
        data["minutes"] = minutes
        data["intensity"] = _choice(entry, "intensity", INTENSITIES, required=False)
    elif kind == "intake":
        for key in ("calcium_mg", "vitamin_d_iu", "protein_g"):
            data[key] = _number(entry, key)
        if all(data[k] is None for k in ("calcium_mg", "vitamin_d_iu", "protein_g")):
            raise UserInputError("calcium_mg", None, "at least one of calcium_mg, vitamin_d_iu, "
                                 "protein_g", problem="empty intake entry")
    else:
        symptom = _choice(entry, "symptom", SYMPTOMS, required=True)
        data["symptom"] = symptom
        severity = _number(entry, "severity")
        if severity is None and symptom not in EVENTS_WITHOUT_SEVERITY:
            raise UserInputError("severity", None, "0 to 10 (optional only for "
                                 f"{' or '.join(EVENTS_WITHOUT_SEVERITY)})", problem="missing field")
        if severity is not None and int(severity) != severity:
            raise UserInputError("severity", severity, "a whole number 0 to 10",
                                 problem="not a whole number")
        data["severity"] = None if severity is None else int(severity)
    if note:
        data["note"] = note
    return kind, when, {k: v for k, v in data.items() if v is not None}
