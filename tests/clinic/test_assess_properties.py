"""Property tests: assess() never crashes on a valid record, and its output keeps its invariants."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from osteotwin.clinic import assess
from osteotwin.clinic.model import SEVERITY_RANK
from osteotwin.clinic.reference import citations
from osteotwin.clinic.render import render_html, render_text, to_document
from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.vocabulary import action_codes, drug_names, finding_codes

AS_OF = dt.date(2025, 6, 1)
DRUG_DOSES = {"anastrozole": "1 mg", "letrozole": "2.5 mg", "exemestane": "25 mg",
              "testosterone_cypionate": "100 mg", "testosterone_gel": "50 mg",
              "alendronate": "70 mg", "denosumab": "60 mg", "zoledronic_acid": "5 mg",
              "goserelin": "3.6 mg", "ipamorelin": "0.3 mg", "tamoxifen": "20 mg",
              "estradiol_oral": "1 mg", "hcg": "1500 IU", "ibutamoren": "25 mg"}
LABS = {"estradiol": (0.0, 120.0, "pg/mL"), "total_testosterone": (5.0, 1500.0, "ng/dL"),
        "vitamin_d_25oh": (3.0, 120.0, "ng/mL"), "calcium": (7.0, 12.0, "mg/dL"),
        "egfr": (10.0, 120.0, "mL/min/1.73m2"), "ctx": (0.05, 1.5, "ng/mL")}

dates = st.integers(min_value=0, max_value=3000).map(lambda d: (AS_OF - dt.timedelta(days=d)))
maybe = st.one_of  # readability


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    sex = draw(st.sampled_from(["male", "female"]))
    age_days = draw(st.integers(min_value=19 * 366, max_value=95 * 365))
    patient: dict[str, Any] = {"sex": sex, "birth_date": (AS_OF - dt.timedelta(days=age_days))
                               .isoformat()}
    if draw(st.booleans()):
        patient["height"] = f"{draw(st.integers(140, 200))} cm"
        patient["weight"] = f"{draw(st.integers(40, 140))} kg"
    if sex == "female":
        patient["menopausal_status"] = draw(_opt(st.sampled_from(
            ["premenopausal", "perimenopausal", "postmenopausal"])))
    history = {k: v for k, v in {
        "prior_fragility_fractures": draw(_opt(st.integers(0, 4))),
        "falls_last_12_months": draw(_opt(st.integers(0, 5))),
        "smoking": draw(_opt(st.sampled_from(["never", "former", "current"]))),
        "alcohol_units_per_week": draw(_opt(st.integers(0, 60))),
        "glucocorticoids": draw(_opt(st.booleans())),
        "parent_hip_fracture": draw(_opt(st.booleans())),
        "vertebral_fracture": draw(_opt(st.booleans())),
        "breast_cancer": draw(_opt(st.booleans())),
        "hypogonadism": draw(_opt(st.booleans())),
    }.items() if v is not None}
    meds = []
    for drug in draw(st.lists(st.sampled_from(sorted(DRUG_DOSES)), max_size=4, unique=True)):
        start = draw(dates)
        row: dict[str, Any] = {"drug": drug, "dose": DRUG_DOSES[drug], "start": start.isoformat()}
        if draw(st.booleans()):
            row["every"] = f"{draw(st.sampled_from([1, 3.5, 7, 14, 180]))} d"
        if draw(st.booleans()):
            row["stop"] = (start + dt.timedelta(days=draw(st.integers(1, 900)))).isoformat()
        meds.append(row)
    labs = []
    for test in draw(st.lists(st.sampled_from(sorted(LABS)), max_size=6)):
        lo, hi, unit = LABS[test]
        labs.append({"test": test, "value": round(draw(st.floats(lo, hi)), 2), "unit": unit,
                     "date": draw(dates).isoformat(),
                     "method": draw(_opt(st.sampled_from(["lc-ms/ms", "immunoassay"])))})
    scans = []
    for site in draw(st.lists(st.sampled_from(["lumbar_spine", "total_hip", "femoral_neck"]),
                              max_size=5)):
        scan: dict[str, Any] = {"date": draw(dates).isoformat(), "site": site,
                                "device": draw(_opt(st.sampled_from(["hologic", "lunar"])))}
        if draw(st.booleans()):
            scan["bmd"] = f"{round(draw(st.floats(0.4, 1.5)), 3)} g/cm2"
        if draw(st.booleans()):
            scan["t_score"] = round(draw(st.floats(-5.0, 3.0)), 1)
        if draw(st.booleans()):
            scan["z_score"] = round(draw(st.floats(-5.0, 3.0)), 1)
        scans.append(scan)
    lifestyle = {k: v for k, v in {
        "dietary_calcium": draw(_opt(st.integers(100, 2600).map(lambda x: f"{x} mg/d"))),
        "protein": draw(_opt(st.floats(0.3, 2.5).map(lambda x: f"{x:.2f} g/kg/d"))),
        "resistance_sessions_per_week": draw(_opt(st.integers(0, 7))),
        "resistance_intensity": draw(_opt(st.sampled_from(["light", "moderate", "high"]))),
        "impact_sessions_per_week": draw(_opt(st.integers(0, 7))),
        "weight_bearing_aerobic_minutes_per_week": draw(_opt(st.integers(0, 600))),
        "sleep_hours": draw(_opt(st.floats(3, 11).map(lambda x: round(x, 1)))),
        "supplements": draw(st.lists(st.fixed_dictionaries({
            "name": st.sampled_from(["vitamin_d3", "calcium_carbonate"]),
            "dose": st.integers(100, 6000)}), max_size=2, unique_by=lambda s: s["name"])),
    }.items() if v is not None}
    for supp in lifestyle["supplements"]:
        supp["dose"] = f"{supp['dose']} {'IU/d' if supp['name'] == 'vitamin_d3' else 'mg/d'}"
    doc: dict[str, Any] = {"version": 1, "as_of": AS_OF.isoformat(), "patient": patient,
                           "history": history, "medications": meds, "labs": labs, "dxa": scans,
                           "lifestyle": lifestyle}
    if draw(st.booleans()):
        doc["fracture_risk_external"] = {
            "tool": "FRAX", "major_osteoporotic_10y_pct": draw(_opt(st.floats(0, 80))),
            "hip_10y_pct": draw(_opt(st.floats(0, 50)))}
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_assess_never_crashes_and_keeps_invariants(doc: dict[str, Any]) -> None:
    try:
        record = parse_patient_document(doc, source="hypothesis")
    except UserInputError:
        assume(False)
        return
    result = assess(record, AS_OF)
    found, acts = result.finding_codes(), result.action_codes()
    assert len(found) == len(set(found)) and len(acts) == len(set(acts))
    assert set(found) <= set(finding_codes()) and set(acts) <= set(action_codes())
    ranks = [SEVERITY_RANK[f.severity] for f in result.findings]
    assert ranks == sorted(ranks)
    priorities = [a.priority for a in result.actions]
    assert priorities == sorted(priorities)
    registry = citations()
    for item in (*result.findings, *result.actions):
        assert item.evidence and set(item.evidence) <= set(registry)
        assert item.message and "{" not in item.message
    # mutually exclusive categories
    assert len({"BMD_NORMAL", "BMD_LOW", "BMD_OSTEOPOROSIS"} & set(found)) <= 1
    assert len({"FRACTURE_RISK_HIGH", "FRACTURE_RISK_MODERATE", "FRACTURE_RISK_LOW"}
               & set(found)) <= 1
    if record.patient.sex == "female":
        assert "AI_USE_IN_MEN" not in found and "ESTRADIOL_LOW" not in found
    assert result.as_of == AS_OF
    document = to_document(result)
    assert document["as_of"] == AS_OF.isoformat()
    assert render_text(result) and render_html(result).startswith("<!DOCTYPE html>")


def test_drug_table_covers_real_drug_names() -> None:
    assert set(DRUG_DOSES) <= set(drug_names())
