"""Review of men's records: recorded conditions and medical clearance, and vitamin D and calcium
supplements counted as the assessment counts them.

1. ACSM 2015 pre-participation screening asks medical clearance only for known cardiovascular,
   metabolic (type 1 or 2 diabetes) or renal disease, or their signs or symptoms: a free-text
   "secondary hypogonadism" had held back high-intensity lifts until clearance, for a man already
   training hard four times a week;
2. vitamin D3 listed under medications was left out of the plan's supplement total (the assessment
   counted 7000 IU/d, above the upper level; the plan said the 2000 IU/d supplement "covers it").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from osteotwin.clinic import assess
from osteotwin.plan.exercise.conditions import read_conditions
from osteotwin.plan.exercise.screening import Screening, screen
from osteotwin.plan.nutrition.foods import FoodTable, packaged_food_table
from osteotwin.plan.nutrition.plan import _supplement_over_upper_level, build_nutrition_plan
from osteotwin.plan.nutrition.targets import nutrient_targets
from osteotwin.plan.personal import build_personal_plan
from osteotwin.plan.serialize import plan_document
from osteotwin.records import parse_patient_document

AS_OF = dt.date(2025, 6, 1)
TESTOSTERONE = {"drug": "testosterone_cypionate", "dose": "100 mg", "route": "intramuscular",
                "every": "7 d", "start": "2023-09-01"}


def _man(conditions: list[str], *, medications: list[dict[str, Any]] | None = None,
         **lifestyle: Any) -> Any:
    """The reviewer's p01c: a man of 38 on testosterone, training hard in a gym 4 times a week."""
    doc: dict[str, Any] = {
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "male", "birth_date": "1987-03-15", "height": "182 cm", "weight": "92 kg"},
        "history": {"prior_fragility_fractures": 0, "falls_last_12_months": 0, "vertebral_fracture": False,
                    "hypogonadism": True, "conditions": conditions},
        "medications": medications if medications is not None else [TESTOSTERONE],
        "labs": [{"test": "vitamin_d_25oh", "value": 32, "unit": "ng/mL", "date": "2025-05-20"}],
        "dxa": [{"date": "2025-02-10", "site": "lumbar_spine", "z_score": -1.2},
                {"date": "2025-02-10", "site": "femoral_neck", "z_score": -0.9}],
        "lifestyle": {"training_setting": "gym", "diet_pattern": "omnivore",
                      "resistance_sessions_per_week": 4, "resistance_intensity": "high",
                      "impact_sessions_per_week": 1, "weight_bearing_aerobic_minutes_per_week": 120,
                      **lifestyle},
    }
    return parse_patient_document(doc, source="test")


def _codes(s: Screening) -> set[str]:
    return {f.code for f in s.flags}


# --- 1. conditions and medical clearance -------------------------------------------------------------


def test_secondary_hypogonadism_in_the_conditions_changes_nothing_in_the_program() -> None:
    """The reviewer's p01c against p01d: only the condition text differs."""
    with_text = screen(_man(["secondary hypogonadism"]), AS_OF)
    without = screen(_man([]), AS_OF)
    assert without.high_intensity_eligible, "precondition: cleared for high intensity without it"
    assert with_text.high_intensity_eligible and not with_text.high_intensity_held_back
    assert with_text.vigorous_aerobic_allowed and with_text.impact_cap == without.impact_cap
    assert not with_text.unassessed_conditions
    assert with_text.no_clearance_conditions == ("secondary hypogonadism",)
    assert "CONDITIONS_NOT_ASSESSED" not in _codes(with_text)
    assert "HIGH_INTENSITY_DEFERRED" not in _codes(with_text)
    said = next(f for f in with_text.flags if f.code == "CONDITIONS_NO_CLEARANCE_NEEDED")
    assert said.severity == "info" and "ACSM-PPS2015" in said.sources
    assert '"secondary hypogonadism"' in said.message
    doc = plan_document(build_personal_plan(_man(["secondary hypogonadism"]), weeks=12))
    assert doc["exercise"]["screening"]["conditions"]["no_clearance_needed"] == ["secondary hypogonadism"]
    assert doc["exercise"]["screening"]["high_intensity_eligible"]
    assert doc["sources"]["ACSM-PPS2015"].startswith("Riebe D")


@pytest.mark.parametrize("text", [
    "secondary hypogonadism, wishes to preserve fertility",
    "hypogonadotropic hypogonadism on TRT",
    "oligospermia, trying to conceive",
    "hypothyroidism (treated)",
    "Hashimoto's thyroiditis, on levothyroxine 75 mcg",
    "secondary hypogonadism, no diabetes",  # a denied disease is not the disease
    "hypogonadism; not diabetic, CKD ruled out",
])
def test_endocrine_conditions_other_than_diabetes_need_no_clearance(text: str) -> None:
    s = screen(_man([text]), AS_OF)
    assert s.no_clearance_conditions == (text,)
    assert s.high_intensity_eligible and s.vigorous_aerobic_allowed
    assert not (s.unassessed_conditions or s.metabolic_renal_conditions or s.cardiac_conditions)


@pytest.mark.parametrize(("text", "kind"), [
    ("type 2 diabetes", "metabolic"),
    ("T2DM on metformin", "metabolic"),
    ("type 1 diabetes mellitus, insulin pump", "metabolic"),
    ("secondary hypogonadism; type 2 diabetes", "metabolic"),
    ("hypothyroidism, diabetes well controlled", "metabolic"),
    ("chronic kidney disease stage 3", "renal"),
    ("CKD 3a", "renal"),
    ("coronary heart disease", "cardiac"),
    ("hypothyroidism, stable angina", "cardiac"),
])
def test_diabetes_kidney_and_heart_disease_still_need_clearance(text: str, kind: str) -> None:
    s = screen(_man([text]), AS_OF)
    read = s.cardiac_conditions if kind == "cardiac" else s.metabolic_renal_conditions
    assert read == (text,)
    assert not s.no_clearance_conditions
    assert not s.high_intensity_eligible and not s.vigorous_aerobic_allowed
    assert any(text in reason and "medical clearance" in reason for reason in s.high_intensity_held_back)
    code = "CARDIAC_CONDITION" if kind == "cardiac" else "METABOLIC_OR_RENAL_DISEASE"
    flag = next(f for f in s.flags if f.code == code)
    assert flag.sources == ("ACSM-PPS2015",) and flag.severity == "restriction"
    # he already trains: moderate work goes on, clearance comes before vigorous work (ACSM 2015)
    assert "before vigorous exercise (moderate exercise already done may continue)" in flag.message


def test_diabetes_without_current_training_needs_clearance_before_any_exercise() -> None:
    s = screen(_man(["type 2 diabetes"], resistance_sessions_per_week=0, resistance_intensity=None,
                    impact_sessions_per_week=0, weight_bearing_aerobic_minutes_per_week=0), AS_OF)
    flag = next(f for f in s.flags if f.code == "METABOLIC_OR_RENAL_DISEASE")
    assert "before starting any exercise" in flag.message


@pytest.mark.parametrize("text", [
    "prediabetes",  # not type 1 or 2 diabetes
    "diabetes insipidus",
    "hypothyroidism, untreated",  # a word the reading does not account for
    "secondary hypogonadism with palpitations",  # a symptom
    "hyperthyroidism",
    "family history of type 2 diabetes",
])
def test_other_conditions_stay_unassessed_and_clearance_is_still_asked(text: str) -> None:
    s = screen(_man([text]), AS_OF)
    assert s.unassessed_conditions == (text,)
    assert not (s.no_clearance_conditions or s.metabolic_renal_conditions)
    assert not s.high_intensity_eligible
    assert "CONDITIONS_NOT_ASSESSED" in _codes(s)


@pytest.mark.parametrize("text", ["no angina", "father had a heart attack at 70",
                                  "family history of heart failure"])
def test_denied_or_a_relatives_heart_disease_is_not_read_as_his(text: str) -> None:
    s = screen(_man([text]), AS_OF)
    assert not s.cardiac_conditions and "CARDIAC_CONDITION" not in _codes(s)


# --- 2. supplements counted as the assessment counts them ---------------------------------------------

VITAMIN_D_MED = {"drug": "vitamin_d3", "dose": "5000 IU", "route": "oral", "every": "1 d",
                 "start": "2024-03-01"}


def _nutrition(record: Any) -> dict[str, Any]:
    doc: dict[str, Any] = plan_document(build_personal_plan(record, weeks=4))["nutrition"]
    return doc


def test_vitamin_d_listed_as_a_medicine_counts_in_the_plan_as_in_the_assessment() -> None:
    """The reviewer's p09: 5000 IU/d under medications and 2000 IU/d under supplements."""
    record = _man([], medications=[TESTOSTERONE, VITAMIN_D_MED],
                  supplements=[{"name": "vitamin_d3", "dose": "2000 IU/d"}])
    assessment = assess(record, AS_OF)
    assert assessment.facts["vitamin_d_intake_iu_d"].value == 7000
    assert "VITAMIN_D_INTAKE_EXCESSIVE" in assessment.finding_codes()
    nutrition = _nutrition(record)
    assert any("provide 7000 IU/d of vitamin D" in n for n in nutrition["notes"])
    assert not any("provide 2000 IU/d of vitamin D" in n for n in nutrition["notes"])
    vit_d = [s for s in nutrition["supplements"] if s["nutrient"] == "vitamin_d_iu"]
    assert vit_d, "the intake above the upper level is addressed"
    for advice in vit_d:
        assert advice["status"] != "current_supplement_covers" and "covers it" not in advice["reason"]
        assert advice["status"] in ("reduce", "review_dose") and "7000 IU/d" in advice["reason"]
        assert advice["status"] != "reduce" or advice["dose_per_day"] < 4000


def test_calcium_listed_as_a_medicine_counts_against_the_upper_level() -> None:
    calcium = {"drug": "calcium_carbonate", "dose": "300 mg", "route": "oral", "every": "1 d",
               "start": "2024-03-01"}
    record = _man([], medications=[TESTOSTERONE, calcium],
                  supplements=[{"name": "calcium_carbonate", "dose": "200 mg/d"}])
    counted = assess(record, AS_OF).facts["supplement_calcium_mg_d"].value
    assert counted == 500
    nutrition = _nutrition(record)
    caps = {t["nutrient"]: t.get("maximum_from_food") for t in nutrition["target_details"]}
    assert caps["calcium_mg"] == 2500 - 500  # UL 2500 mg/d for a man of 38
    assert any("provide 500 mg/d of calcium" in n for n in nutrition["notes"])


def test_a_supplement_the_assessment_finds_above_the_upper_level_never_covers_a_gap() -> None:
    """Food with no vitamin D and a supplement just above the UL (within the plan's 1 % tolerance):
    the supplement would have "covered" the food gap; the assessment says it is above the UL."""
    full = packaged_food_table()
    no_vitamin_d = FoodTable(tuple(f for f in full.foods if not f.per_portion("vitamin_d_iu")))
    finding = "Vitamin D intake from supplements 4010 IU/d is above the tolerable upper level of 4000 IU/d"
    plan = build_nutrition_plan(sex="male", age_years=38, weight_kg=92, height_cm=182,
                                diet_pattern="omnivore", table=no_vitamin_d,
                                current_supplements={"vitamin_d_iu": 4010.0},
                                intake_above_upper_level={"vitamin_d_iu": finding})
    vit_d = [s for s in plan.supplements if s.nutrient == "vitamin_d_iu"]
    assert len(vit_d) == 1
    advice = vit_d[0]
    assert advice.status != "current_supplement_covers" and "covers it" not in advice.reason
    assert finding.rstrip(".") in advice.reason
    # "reduce" with a food plan; with none found in the solver's time, the dose is the clinician's
    assert (advice.status, advice.dose_per_day < 4010) in {("reduce", True), ("review_dose", False)}


def test_recorded_intake_above_the_upper_level_is_reviewed_even_where_planned_food_keeps_it_within() -> None:
    """Calcium: the assessment counts the food recorded now (over the UL with the supplement); the
    planned food keeps the total within it but leaves a gap larger than the supplement. The
    supplement is neither said to cover the gap nor topped up: its dose is the clinician's."""
    calcium = nutrient_targets("male", 38, 92, 182).get("calcium_mg")
    finding = ("Calcium intake of at least 2700 mg/d (food 2200 mg/d + supplements 500 mg/d) is above "
               "the tolerable upper level of 2500 mg/d for age (IOM 2011).")
    advice = _supplement_over_upper_level(calcium, 600.0, 400.0, 500.0, None, plan_over=False,
                                          assessed=finding)
    assert advice.status == "review_dose" and advice.dose_per_day == 500.0
    assert "covers it" not in advice.reason and "2700 mg/d" in advice.reason
    unplanned = _supplement_over_upper_level(calcium, 1000.0, 0.0, 500.0, None, plan_over=False,
                                             assessed=finding, planned=False)
    assert unplanned.status == "review_dose" and "no food plan" in unplanned.reason


@pytest.mark.parametrize("text", ["joint aches since starting AI", "arthralgia of the hands",
                                  "AI-associated arthralgia", "morning stiffness, joint pain in both hands"])
def test_inhibitor_arthralgia_outside_knees_and_hips_needs_no_clearance(text: str) -> None:
    """Joint pain is not among ACSM's clearance conditions and exercise eased an inhibitor's
    arthralgia (HOPE): most women on an inhibitor would otherwise wait for clearance and lose
    the high-intensity program."""
    read = read_conditions([text])
    assert read["no_clearance"] == (text,) and not read["unassessed"] and not read["joint"]


@pytest.mark.parametrize("text", ["knee joint aches", "arthralgia in hips and knees"])
def test_arthralgia_in_a_knee_or_hip_still_caps_impact(text: str) -> None:
    read = read_conditions([text])
    assert read["joint"] == (text,) and not read["no_clearance"]


def test_joint_pain_beside_an_unknown_symptom_is_still_asked_about() -> None:
    assert read_conditions(["joint pain and palpitations"])["unassessed"] == ("joint pain and palpitations",)
