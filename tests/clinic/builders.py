"""Patient documents for clinic tests, parsed by the real patient-file reader (no mocks).

``BASE`` is a healthy 45-year-old man with complete, favourable lifestyle data and nothing else on
file: the only finding it should produce is FRACTURE_RISK_NOT_ESTIMATED.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from osteotwin.clinic import Assessment, assess
from osteotwin.records import parse_patient_document

AS_OF = dt.date(2025, 6, 1)

BASE: dict[str, Any] = {
    "version": 1,
    "as_of": AS_OF.isoformat(),
    "patient": {"id": "test", "sex": "male", "birth_date": "1980-01-15", "height": "180 cm",
                "weight": "80 kg"},
    "history": {"prior_fragility_fractures": 0, "falls_last_12_months": 0, "smoking": "never",
                "alcohol_units_per_week": 0, "glucocorticoids": False,
                "rheumatoid_arthritis": False, "parent_hip_fracture": False,
                "vertebral_fracture": False, "breast_cancer": False, "prostate_cancer": False,
                "hypogonadism": False},
    "lifestyle": {"dietary_calcium": "1000 mg/d", "protein": "1.0 g/kg/d",
                  "resistance_sessions_per_week": 3, "resistance_intensity": "high",
                  "impact_sessions_per_week": 3, "weight_bearing_aerobic_minutes_per_week": 200,
                  "sleep_hours": 8},
}


def birth_date_for(age_y: float) -> str:
    """Birth date that makes the person ``age_y`` years old on AS_OF (mid-year, no rounding edge)."""
    return (AS_OF - dt.timedelta(days=round((age_y + 0.5) * 365.25))).isoformat()


def days_ago(days: int) -> str:
    return (AS_OF - dt.timedelta(days=days)).isoformat()


def make(*, sex: str | None = None, age: float | None = None, status: str | None = None,
         history: dict[str, Any] | None = None, lifestyle: dict[str, Any] | None = None,
         medications: list[dict[str, Any]] | None = None, labs: list[dict[str, Any]] | None = None,
         dxa: list[dict[str, Any]] | None = None, frax: dict[str, Any] | None = None,
         drop_lifestyle: tuple[str, ...] = ()) -> dict[str, Any]:
    """A patient document: BASE with the given changes."""
    doc = copy.deepcopy(BASE)
    if sex is not None:
        doc["patient"]["sex"] = sex
        if sex == "female" and status is None:
            doc["patient"]["menopausal_status"] = "premenopausal" if (age or 45) < 50 \
                else "postmenopausal"
    if status is not None:
        doc["patient"]["menopausal_status"] = status
    if age is not None:
        doc["patient"]["birth_date"] = birth_date_for(age)
    doc["history"].update(history or {})
    doc["lifestyle"].update(lifestyle or {})
    for key in drop_lifestyle:
        doc["lifestyle"].pop(key, None)
    if medications:
        doc["medications"] = medications
    if labs:
        doc["labs"] = labs
    if dxa:
        doc["dxa"] = dxa
    if frax:
        doc["fracture_risk_external"] = frax
    return doc


def run(doc: dict[str, Any]) -> Assessment:
    return assess(parse_patient_document(doc, source="test"), AS_OF)


def codes(doc: dict[str, Any]) -> set[str]:
    """Finding and action codes the assessment emits."""
    result = run(doc)
    return {*result.finding_codes(), *result.action_codes()}


# Building blocks -----------------------------------------------------------------------------------

def med(drug: str, dose: str, every: str | None = "1 d", start_days_ago: int = 400,
        stop: str | None = None, route: str = "oral") -> dict[str, Any]:
    row: dict[str, Any] = {"drug": drug, "dose": dose, "route": route,
                           "start": days_ago(start_days_ago)}
    if every is not None:
        row["every"] = every
    if stop is not None:
        row["stop"] = stop
    return row


ANASTROZOLE = med("anastrozole", "1 mg")
LETROZOLE = med("letrozole", "2.5 mg")
TESTOSTERONE = med("testosterone_cypionate", "100 mg", "7 d", route="intramuscular")
ALENDRONATE = med("alendronate", "70 mg", "7 d")
PROLIA = med("denosumab", "60 mg", "182 d", start_days_ago=900, route="subcutaneous")
#: history: breast cancer on record
BC: dict[str, Any] = {"breast_cancer": True}


def lab(test: str, value: float, unit: str, age_days: int = 30,
        method: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"test": test, "value": value, "unit": unit, "date": days_ago(age_days)}
    if method is not None:
        row["method"] = method
    return row


def e2(value: float, age_days: int = 30, method: str | None = "lc-ms/ms") -> dict[str, Any]:
    return lab("estradiol", value, "pg/mL", age_days, method)


def total_t(value_ng_dl: float, age_days: int = 30) -> dict[str, Any]:
    return lab("total_testosterone", value_ng_dl, "ng/dL", age_days)


def vitd(value_ng_ml: float, age_days: int = 30) -> dict[str, Any]:
    return lab("vitamin_d_25oh", value_ng_ml, "ng/mL", age_days)


def scan(site: str, *, t: float | None = None, z: float | None = None, bmd: float | None = None,
         age_days: int = 60, device: str = "hologic") -> dict[str, Any]:
    row: dict[str, Any] = {"date": days_ago(age_days), "site": site, "device": device}
    if t is not None:
        row["t_score"] = t
    if z is not None:
        row["z_score"] = z
    if bmd is not None:
        row["bmd"] = f"{bmd} g/cm2"
    return row


def kidney_labs() -> list[dict[str, Any]]:
    """Normal serum calcium and eGFR (what the antiresorptive rules ask for first)."""
    return [lab("calcium", 9.2, "mg/dL"), lab("egfr", 80, "mL/min/1.73m2")]


def hip_spine(t: float, age_days: int = 60) -> list[dict[str, Any]]:
    """Femoral neck at ``t`` and a spine 0.5 SD higher, same day."""
    return [scan("femoral_neck", t=t, age_days=age_days),
            scan("lumbar_spine", t=round(t + 0.5, 1), age_days=age_days)]
