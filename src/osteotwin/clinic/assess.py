"""``assess(record, as_of)``: the pure function from one person's record to cited findings and actions.

No I/O and no clock: the same record and date always give the same assessment. Data dated after
``as_of`` are ignored.
"""

from __future__ import annotations

import datetime as dt
import math

from osteotwin.clinic.densitometry import summarize
from osteotwin.clinic.engine import run_rules
from osteotwin.clinic.facts import current_ai_start, derive_facts
from osteotwin.clinic.fracture_risk import estimate
from osteotwin.clinic.model import Assessment, Fact
from osteotwin.clinic.monitoring import schedule
from osteotwin.records.patient import PatientRecord


def assess(record: PatientRecord, as_of: dt.date | None = None) -> Assessment:
    """Assess ``record`` on ``as_of`` (default: the record's own ``as_of``; one of them is required)."""
    when = as_of or record.as_of
    if when is None:
        raise ValueError("assess() needs a date: pass as_of or set it in the record")
    dxa = summarize(record, when, current_ai_start(record, when))
    fn = dxa.sites.get("femoral_neck")
    risk = estimate(record, when, None if fn is None else fn.t_score, None if fn is None else fn.date,
                    dxa.last_scan_date)
    facts = derive_facts(record, when, dxa, risk)
    findings, actions = run_rules(facts)
    return Assessment(
        as_of=when,
        patient_id=record.patient.id,
        summary=tuple(_summary(record, facts)),
        findings=tuple(findings),
        actions=tuple(actions),
        densitometry=dxa,
        fracture_risk=risk,
        facts=facts,
        monitoring=tuple(schedule(record, facts, when, actions)),
    )


def _summary(record: PatientRecord, facts: dict[str, Fact]) -> list[str]:
    p, h = record.patient, record.history
    as_of = facts["as_of"].value
    assert isinstance(as_of, dt.date)
    age = p.age_on(as_of)
    # Completed years (35.5 is 35), as ages are normally given.
    who = f"{'Man' if p.sex == 'male' else 'Woman'}, {math.floor(age)} years"
    if p.menopausal_status:
        who += f", {p.menopausal_status}"
    bmi = facts["bmi_kg_m2"].value
    who += f", BMI {bmi}" if bmi is not None else ", BMI not recorded"
    lines = [who]
    active = record.active_medications(facts["as_of"].value)  # type: ignore[arg-type]
    if active:
        meds = [m.drug.replace("_", " ") + (f" since {m.start}" if m.start else "") for m in active]
        lines.append("Current medicines: " + "; ".join(meds))
    else:
        lines.append("No current medicines on record")
    conditions = [name.replace("_", " ") for name in (
        "breast_cancer", "prostate_cancer", "hypogonadism", "rheumatoid_arthritis",
        "glucocorticoids", "vertebral_fracture", "parent_hip_fracture") if getattr(h, name) is True]
    conditions.extend(h.conditions)
    if conditions:
        lines.append("History: " + ", ".join(conditions))
    last = facts["last_dxa_date"].value
    lines.append(f"Latest DXA: {last}" if last else "No DXA on file")
    return lines
