"""Whole-plan edge cases: missing body size, no foods left, minors; vitamin D as the assessment sees it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from osteotwin.clinic import assess
from osteotwin.errors import UserInputError
from osteotwin.plan.nutrition.foods import FoodTable
from osteotwin.plan.nutrition.plan import build_nutrition_plan
from osteotwin.plan.personal import build_personal_plan
from osteotwin.plan.serialize import plan_document
from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.storage.seed import demo_record_text


def _doc(**patient: Any) -> dict[str, Any]:
    return {"version": 1, "as_of": "2025-06-01",
            "patient": {"sex": "male", "birth_date": "1955-05-05", **patient},
            "lifestyle": {"diet_pattern": "vegetarian", "food_exclusions": ["dairy", "eggs"]}}


def test_plan_without_height_or_weight_uses_stated_fallbacks() -> None:
    plan = build_personal_plan(parse_patient_document(_doc(), source="test"), weeks=2)
    doc = plan_document(plan)
    protein = next(t for t in doc["nutrition"]["target_details"] if t["nutrient"] == "protein_g")
    assert protein["minimum"] == 56 and "weight not recorded" in protein["basis"]
    energy = next(t for t in doc["nutrition"]["target_details"] if t["nutrient"] == "energy_kcal")
    assert "not recorded" in energy["basis"]
    assert "TRAINING_SETTING_UNKNOWN" in {f["code"] for f in doc["exercise"]["safety"]}
    for day in doc["nutrition"]["days"]:
        assert not any(f["category"] in ("milk", "yogurt", "cheese", "egg", "meat", "fish")
                       for f in day["foods"])


def test_minor_is_refused_with_a_clear_error() -> None:
    # the reader refuses minors on the file's as_of date; a plan dated earlier is refused here
    record = parse_patient_document(_doc(birth_date="2007-01-01"), source="test")
    with pytest.raises(UserInputError) as err:
        build_personal_plan(record, weeks=4, as_of=dt.date(2024, 6, 1))
    assert "patient.birth_date" in err.value.one_line() and "18" in err.value.one_line()


def test_no_foods_left_is_explained_not_a_crash() -> None:
    plan = build_nutrition_plan(sex="female", age_years=60, weight_kg=60, height_cm=160,
                                diet_pattern="vegan", table=FoodTable(()))
    assert plan.solver_status == "failed" and all(not d.items for d in plan.days)
    assert {g.nutrient for g in plan.gaps} >= {"calcium_mg", "protein_g", "vitamin_d_iu"}
    assert all("no allowed food provides it" in g.explanation for g in plan.gaps)
    assert any("no foods are left" in n for n in plan.notes)
    assert {s.nutrient for s in plan.supplements} == {"calcium_mg", "vitamin_d_iu"}


def _woman(medications: list[dict[str, Any]], vitamin_d_ng_ml: float) -> dict[str, Any]:
    return {"version": 1, "as_of": "2025-06-01",
            "patient": {"sex": "female", "birth_date": "1962-05-05", "height": "165 cm",
                        "weight": "62 kg", "menopausal_status": "postmenopausal"},
            "history": {"breast_cancer": True},
            "medications": medications,
            "labs": [{"test": "vitamin_d_25oh", "value": vitamin_d_ng_ml, "unit": "ng/mL",
                      "date": "2025-05-01"}],
            "lifestyle": {"diet_pattern": "omnivore"}}


def test_plan_and_assessment_agree_on_vitamin_d_for_a_woman_on_an_ai() -> None:
    letrozole = [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-01-01"}]
    record = parse_patient_document(_woman(letrozole, 15), source="test")
    plan = build_personal_plan(record, weeks=1)
    minimum = plan.nutrition.targets.get("vitamin_d_iu").minimum
    assessment = assess(record)
    assert minimum == assessment.facts["vitamin_d_ai_minimum_iu_d"].value == 800
    assert "VITAMIN_D_DEFICIENT" in assessment.finding_codes()
    assert any(n.startswith("25(OH)D 15 ng/mL on 2025-05-01 is deficient") for n in plan.nutrition.notes)
    stopped = [{**letrozole[0], "stop": "2025-01-01"}]
    off_ai = build_personal_plan(parse_patient_document(_woman(stopped, 35), source="test"), weeks=1)
    assert off_ai.nutrition.targets.get("vitamin_d_iu").minimum == 600
    assert not any("25(OH)D" in n for n in off_ai.nutrition.notes)


def test_a_low_25ohd_keeps_the_vitamin_d_supplement_out_of_question() -> None:
    """The demo man (vitamin D3 1000 IU/d), with his 25(OH)D of 22 ng/mL measured within the last
    12 months (the assessment reads older results as due for re-measurement): the plan must not ask
    whether his vitamin D supplement is still needed while his level is low, only say that raising
    it is the clinician's decision."""
    text = demo_record_text().replace("{test: vitamin_d_25oh, value: 22, unit: ng/mL, date: 2024-05-01}",
                                      "{test: vitamin_d_25oh, value: 22, unit: ng/mL, date: 2025-05-01}")
    assert "2025-05-01}" in text
    record = parse_patient_document(parse_text(text, source="demo"))
    notes = build_personal_plan(record, weeks=1).nutrition.notes
    assert any(n.startswith("25(OH)D 22 ng/mL on 2025-05-01 is insufficient") for n in notes), notes
    assert not any("current supplement (1000 IU/d) is still needed" in n for n in notes)
    assert any("calcium target every day: whether the current supplement" in n for n in notes)


def test_a_high_25ohd_reaches_the_plan_from_the_assessment() -> None:
    doc = {**_doc(), "labs": [{"test": "vitamin_d_25oh", "value": 300, "unit": "nmol/L",
                               "date": "2025-05-01"}]}  # 120 ng/mL
    record = parse_patient_document(doc)
    assert "VITAMIN_D_HIGH" in assess(record, dt.date(2025, 6, 1)).finding_codes()
    plan = build_personal_plan(record, weeks=1).nutrition
    assert any("is above 50 ng/mL: the plan suggests no vitamin D supplement" in n for n in plan.notes)
    assert not any(s.nutrient == "vitamin_d_iu" and s.dose_per_day > 0 for s in plan.supplements)


def test_a_low_egfr_holds_back_protein_without_a_bone_treatment_indication() -> None:
    """eGFR 25 in a man with no bone-health indication: the assessment's antiresorptive kidney finding
    does not fire, but the diet is still for reduced kidney function (KDIGO 2012: below 30)."""
    doc = {**_doc(weight="80 kg"), "labs": [{"test": "egfr", "value": 25, "unit": "mL/min/1.73m2",
                                              "date": "2025-05-01"}]}
    record = parse_patient_document(doc)
    assert "KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE" not in assess(record, dt.date(2025, 6, 1)).finding_codes()
    nutrition = build_personal_plan(record, weeks=1).nutrition
    assert nutrition.targets.get("potassium_mg").minimum is None
    protein = nutrition.targets.get("protein_g")  # about 0.8 g/kg/d below 30 [KDIGO2012]
    assert (protein.minimum, protein.maximum) == pytest.approx((0.8 * 80, 0.9 * 80))
    assert any(n.startswith("reduced kidney function (eGFR 25") for n in nutrition.notes)
