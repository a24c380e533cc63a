"""What the record holds, as plain rows for the report (pure; "not recorded" is shown, never guessed)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from osteotwin.records.patient import PatientRecord
from osteotwin.units import count_unit

NOT_RECORDED = "not recorded"
_FLAGS = (("glucocorticoids", "Oral glucocorticoids ≥ 3 months"),
          ("rheumatoid_arthritis", "Rheumatoid arthritis"),
          ("parent_hip_fracture", "Parent hip fracture"),
          ("vertebral_fracture", "Vertebral fracture"),
          ("breast_cancer", "Breast cancer"),
          ("prostate_cancer", "Prostate cancer"),
          ("hypogonadism", "Hypogonadism"))


@dataclass(frozen=True)
class PatientSummary:
    """Rows (label, value) per block, and tables (header, rows) for medicines, labs and DXA."""

    person: Sequence[tuple[str, str]]
    history: Sequence[tuple[str, str]]
    medications: Sequence[tuple[str, ...]]
    labs: Sequence[tuple[str, ...]]
    dxa: Sequence[tuple[str, ...]]
    lifestyle: Sequence[tuple[str, str]]
    external_risk: Sequence[tuple[str, str]]


def _num(value: float | None, unit: str = "", digits: int = 3) -> str:
    if value is None:
        return NOT_RECORDED
    return f"{value:.{digits}g} {count_unit(value, unit)}".strip()


def _yes_no(value: bool | None) -> str:
    return NOT_RECORDED if value is None else ("yes" if value else "no")


def _name(code: str | None) -> str:
    return NOT_RECORDED if code is None else code.replace("_", " ")


def summarize_record(record: PatientRecord, as_of: dt.date) -> PatientSummary:
    """The record's contents for the report; data dated after ``as_of`` are listed but marked."""
    p, h, life = record.patient, record.history, record.lifestyle
    bmi = p.bmi
    person = [
        ("Patient id", p.id if p.id else NOT_RECORDED),
        ("Sex", p.sex),
        ("Birth date (age)", f"{p.birth_date.isoformat()} ({math.floor(p.age_on(as_of))} years)"),
        ("Height", _num(p.height_cm, "cm", 4)),
        ("Weight", _num(p.weight_kg, "kg", 4)),
        ("BMI", NOT_RECORDED if bmi is None else f"{bmi:.1f} kg/m²"),
    ]
    if p.sex == "female":
        person.append(("Menopausal status", _name(p.menopausal_status)))
    history = [
        ("Fragility fractures after 50", _num(h.prior_fragility_fractures)),
        ("Falls in the last 12 months", _num(h.falls_last_12_months)),
        ("Smoking", _name(h.smoking)),
        ("Alcohol", _num(h.alcohol_units_per_week, "units/week")),
        *((label, _yes_no(getattr(h, key))) for key, label in _FLAGS),
    ]
    if h.conditions:
        history.append(("Other conditions", "; ".join(h.conditions)))
    medications = [(
        m.drug.replace("_", " "),
        (_num(m.dose_mg, "mg") if m.dose_mg is not None else _num(m.dose_iu, "IU"))
        + ("" if m.every_d is not None else " per day"),
        "continuous" if m.every_d is None else m.schedule_words(),
        _name(m.route),
        m.start.isoformat() if m.start else NOT_RECORDED,
        m.stop.isoformat() if m.stop else "ongoing",
    ) for m in record.medications]
    labs = [(
        lab.date.isoformat() + (" (after report date)" if lab.date > as_of else ""),
        lab.test.replace("_", " "),
        f"{lab.reported_value:g} {lab.reported_unit}",
        "" if lab.reported_unit == lab.unit else f"{lab.value:.3g} {lab.unit}",
        lab.method or "",
    ) for lab in sorted(record.labs, key=lambda x: (x.date, x.test))]
    dxa = [(
        s.date.isoformat(), s.site.replace("_", " "),
        _num(s.bmd_g_cm2, "g/cm²"), _num(s.t_score, digits=2), _num(s.z_score, digits=2),
        s.device or "",
    ) for s in sorted(record.dxa, key=lambda x: (x.date, x.site))]
    lifestyle = [
        ("Dietary calcium", _num(life.dietary_calcium_mg_d, "mg/day", 4)),
        ("Protein", _num(life.protein_g_kg_d, "g/kg/day")),
        ("Supplements", "; ".join(f"{s.name.replace('_', ' ')} {s.dose_per_day:g} {s.unit}"
                                  for s in life.supplements) or "none recorded"),
        ("Resistance training", _num(life.resistance_sessions_per_week, "sessions/week")
         + (f", {life.resistance_intensity} intensity" if life.resistance_intensity else "")),
        ("Impact training", _num(life.impact_sessions_per_week, "sessions/week")),
        ("Weight-bearing aerobic", _num(life.weight_bearing_aerobic_minutes_per_week,
                                        "min/week", 4)),
        ("Sleep", _num(life.sleep_hours, "h/night")),
        ("Diet", _name(life.diet_pattern) + (
            f", excluding {', '.join(life.food_exclusions)}" if life.food_exclusions else "")),
        ("Training setting", _name(life.training_setting)),
    ]
    risk = record.fracture_risk_external
    external = [] if risk is None else [
        ("Tool", risk.tool or NOT_RECORDED),
        ("Major osteoporotic fracture, 10 y", _num(risk.major_osteoporotic_10y_pct, "%")),
        ("Hip fracture, 10 y", _num(risk.hip_10y_pct, "%")),
        ("Date", risk.date.isoformat() if risk.date else NOT_RECORDED),
        ("BMD included", _yes_no(risk.bmd_included)),
    ]
    return PatientSummary(person, history, medications, labs, dxa, lifestyle, external)
