"""Hypothesis strategies: valid patient file v1 documents covering every field (for FHIR tests)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from osteotwin.records.drugs import (
    DAILY_AVERAGE_LIMITS,
    DOSE_LIMITS,
    DRUG_ROUTES,
    INTERVAL_LIMITS,
    ROUTES,
    SUPPLEMENT_UNITS,
)
from osteotwin.records.patient import (
    DIET_PATTERNS,
    FOOD_EXCLUSIONS,
    INTENSITIES,
    MENOPAUSAL_STATUSES,
    SITES,
    SMOKING,
    TRAINING_SETTINGS,
)
from osteotwin.units import LAB_SPECS, lab_in
from osteotwin.vocabulary import drug_names

# Per-day amounts have their own plausible ranges in osteotwin.units.KINDS (daily_iu up to 100,000).
_DAILY_IU_MAX = 100_000.0

#: Any text ``extra`` keeps as given: all but NUL and bidirectional controls, which
#: ``fields.json_data`` refuses there.
texts = st.text(st.characters(exclude_characters="\x00\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
                                                 "\u2068\u2069"), max_size=12)
#: Text for the reader's text fields (ids, method, device, conditions, ...): no control characters,
#: tabs, line breaks or invisible format characters, which ``fields.plain_text`` refuses there.
line_texts = st.text(st.characters(exclude_categories=("Cc", "Cs", "Cf")), max_size=12)
events = st.dates(date(2000, 1, 1), date(2030, 12, 31))


def floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _iso(day: date) -> str:
    return day.isoformat()


@st.composite
def medications(draw: st.DrawFn) -> dict[str, Any]:
    drug = draw(st.sampled_from(drug_names()))
    limit = DOSE_LIMITS[drug]
    per_day = draw(st.booleans())
    doc: dict[str, Any] = {"drug": drug}
    if draw(st.booleans()):
        top = min(limit.maximum, _DAILY_IU_MAX) if per_day and limit.unit == "IU" else limit.maximum
        unit = f"{limit.unit}/d" if per_day else limit.unit
        doc["dose"] = {"value": draw(floats(1e-3, top)), "unit": unit}
    if not per_day and draw(st.booleans()):
        shortest = INTERVAL_LIMITS[drug].minimum_d if drug in INTERVAL_LIMITS else 0.01
        doc["every"] = {"value": draw(floats(shortest, 3653.0)), "unit": "d"}
    daily = DAILY_AVERAGE_LIMITS.get(drug)
    if daily is not None and "dose" in doc:  # a daily average the reader takes
        days = doc["every"]["value"] if "every" in doc else 1.0
        doc["dose"]["value"] = min(doc["dose"]["value"], daily.maximum * days)
    route = draw(optional(st.sampled_from(DRUG_ROUTES.get(drug, ROUTES))))
    if route is not None:
        doc["route"] = route
    start = draw(optional(events))
    if start is not None:
        doc["start"] = _iso(start)
        stop = draw(optional(st.integers(0, 4000)))
        if stop is not None:
            doc["stop"] = _iso(start + timedelta(days=stop))
    return doc


def results_by(latest: date) -> st.SearchStrategy[date]:
    """Dates of results (labs, scans): on or before ``latest``, the file's as_of or today (the
    reader refuses later ones)."""
    return st.dates(date(2000, 1, 1), latest)


@st.composite
def labs(draw: st.DrawFn, latest: date) -> dict[str, Any]:
    test = draw(st.sampled_from(sorted(LAB_SPECS)))
    spec = LAB_SPECS[test]
    unit = draw(st.sampled_from(spec.units))
    low, high = spec.plausible
    canonical = draw(floats(low * 1.01, high * 0.99))
    doc: dict[str, Any] = {"test": test, "value": lab_in(test, canonical, unit), "unit": unit,
                           "date": _iso(draw(results_by(latest)))}
    method = draw(optional(line_texts))
    if method is not None:
        doc["method"] = method
    return doc


@st.composite
def scans(draw: st.DrawFn, latest: date) -> dict[str, Any]:
    doc: dict[str, Any] = {"date": _iso(draw(results_by(latest))),
                           "site": draw(st.sampled_from(SITES))}
    present = draw(st.sets(st.sampled_from(["bmd", "t_score", "z_score"]), min_size=1))
    if "bmd" in present:
        doc["bmd"] = {"value": draw(floats(0.2, 2.5)), "unit": "g/cm2"}
    for score in ("t_score", "z_score"):
        if score in present:
            doc[score] = draw(floats(-8.0, 6.0))
    device = draw(optional(line_texts))
    if device is not None:
        doc["device"] = device
    return doc


@st.composite
def supplements(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(SUPPLEMENT_UNITS)))
    unit = SUPPLEMENT_UNITS[name]
    limit = DAILY_AVERAGE_LIMITS.get(name) or DOSE_LIMITS[name]
    top = min(limit.maximum, _DAILY_IU_MAX if unit == "IU/d" else 20000.0)
    return {"name": name, "dose": {"value": draw(floats(0.0, top)), "unit": unit}}


def _drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | floats(-1e9, 1e9) | texts,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)


@st.composite
def patient_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid patient file v1 document; floats are exact, units canonical or as reported."""
    sex = draw(st.sampled_from(["male", "female"]))
    patient = _drop_none({
        "id": draw(optional(line_texts)),
        "sex": sex,
        "birth_date": _iso(draw(st.dates(date(1925, 1, 1), date(1999, 12, 31)))),
        # imperial units too: converted values carry binary noise the export must keep exactly
        "height": draw(optional(floats(100.0, 230.0).map(lambda v: {"value": v, "unit": "cm"})
                                | floats(40.0, 90.0).map(lambda v: {"value": v, "unit": "in"}))),
        "weight": draw(optional(floats(25.0, 300.0).map(lambda v: {"value": v, "unit": "kg"})
                                | floats(56.0, 660.0).map(lambda v: {"value": v, "unit": "lb"}))),
        "menopausal_status": draw(optional(st.sampled_from(MENOPAUSAL_STATUSES)))
        if sex == "female" else None,
    })
    history = _drop_none({
        "prior_fragility_fractures": draw(optional(st.integers(0, 50))),
        "falls_last_12_months": draw(optional(st.integers(0, 50))),
        "smoking": draw(optional(st.sampled_from(SMOKING))),
        "alcohol_units_per_week": draw(optional(floats(0.0, 300.0))),
        **{flag: draw(optional(st.booleans())) for flag in (
            "glucocorticoids", "rheumatoid_arthritis", "parent_hip_fracture",
            "vertebral_fracture", "breast_cancer", "prostate_cancer", "hypogonadism")},
        "conditions": draw(st.lists(line_texts, max_size=3)),
    })
    lifestyle = _drop_none({
        "dietary_calcium": draw(optional(floats(0.0, 20000.0).map(
            lambda v: {"value": v, "unit": "mg/d"}))),
        "protein": draw(optional(floats(0.0, 5.0).map(lambda v: {"value": v, "unit": "g/kg/d"}))),
        "supplements": draw(st.lists(supplements(), max_size=3)),
        "resistance_sessions_per_week": draw(optional(floats(0.0, 21.0))),
        "resistance_intensity": draw(optional(st.sampled_from(INTENSITIES))),
        "impact_sessions_per_week": draw(optional(floats(0.0, 21.0))),
        "weight_bearing_aerobic_minutes_per_week": draw(optional(floats(0.0, 3000.0))),
        "sleep_hours": draw(optional(floats(0.0, 16.0))),
        "diet_pattern": draw(optional(st.sampled_from(DIET_PATTERNS))),
        "food_exclusions": draw(st.lists(st.sampled_from(FOOD_EXCLUSIONS), max_size=4)),
        "training_setting": draw(optional(st.sampled_from(TRAINING_SETTINGS))),
    })
    # as_of not after today, results not after as_of (else today): the reader refuses the others
    as_of = draw(optional(st.dates(date(2020, 1, 1), date.today())))
    latest = as_of or date.today()
    doc: dict[str, Any] = {"version": 1, "patient": patient, "history": history,
                           "medications": draw(st.lists(medications(), max_size=4)),
                           "labs": draw(st.lists(labs(latest), max_size=5)),
                           "dxa": draw(st.lists(scans(latest), max_size=4)),
                           "lifestyle": lifestyle,
                           "extra": draw(st.dictionaries(texts, _json, max_size=3))}
    if as_of is not None:
        doc["as_of"] = _iso(as_of)
    birth = date.fromisoformat(patient["birth_date"])
    if ((as_of or date.today()) - birth).days / 365.25 < 50.0 and history.get("prior_fragility_fractures"):
        history["prior_fragility_fractures"] = 0  # the count is of fractures after 50
    if draw(st.booleans()):
        doc["fracture_risk_external"] = _drop_none({
            "tool": draw(line_texts),
            "major_osteoporotic_10y_pct": draw(optional(floats(0.0, 100.0))),
            "hip_10y_pct": draw(optional(floats(0.0, 100.0))),
            "date": draw(optional(events.map(_iso))),
            "bmd_included": draw(optional(st.booleans())),
            "country": draw(optional(line_texts)),
        })
    return doc
