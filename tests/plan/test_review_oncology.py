"""Oncology review, item 2: with a high serum calcium the plan raises neither calcium nor vitamin D and
suggests no supplement, deferring to the assessment's REVIEW_SERUM_CALCIUM (the cause first).

The patient is the review's p14 (a woman of 68 on exemestane, T12 fracture, calcium 11.0 mg/dL, PTH
12 pg/mL, 25(OH)D 18 ng/mL, calcium carbonate 600 mg/d), built with the clinic test builders.
"""

from __future__ import annotations

from typing import Any

import pytest

from osteotwin.plan.personal import build_personal_plan
from osteotwin.plan.serialize import plan_document
from osteotwin.records import parse_patient_document
from tests.clinic.builders import AS_OF, BC, lab, make, med, run, vitd

DIETARY_CALCIUM_MG = 700.0


def hypercalcaemia(calcium_mg_dl: float = 11.0, drop_lifestyle: tuple[str, ...] = ()) -> dict[str, Any]:
    """The review's p14, with the serum calcium given (and ``drop_lifestyle`` left unrecorded)."""
    return make(sex="female", age=68, status="postmenopausal",
                history={**BC, "prior_fragility_fractures": 1, "vertebral_fracture": True,
                         "conditions": ["T12 vertebral compression fracture 2024"]},
                medications=[med("exemestane", "25 mg", start_days_ago=640)],
                labs=[lab("calcium", calcium_mg_dl, "mg/dL", 12), lab("pth", 12, "pg/mL", 12),
                      vitd(18, 12), lab("egfr", 75, "mL/min/1.73m2", 12)],
                lifestyle={"dietary_calcium": f"{DIETARY_CALCIUM_MG:g} mg/d",
                           "supplements": [{"name": "calcium_carbonate", "dose": "600 mg/d"}],
                           "resistance_sessions_per_week": 1, "resistance_intensity": "moderate",
                           "impact_sessions_per_week": 1, "diet_pattern": "omnivore"},
                drop_lifestyle=drop_lifestyle)


def _plan(doc: dict[str, Any]) -> dict[str, Any]:
    return plan_document(build_personal_plan(parse_patient_document(doc, source="test"), weeks=1,
                                             as_of=AS_OF))


def _target(plan: dict[str, Any], nutrient: str) -> dict[str, Any]:
    return next(t for t in plan["nutrition"]["target_details"] if t["nutrient"] == nutrient)


@pytest.fixture(scope="module")
def held() -> dict[str, Any]:
    return _plan(hypercalcaemia())


def test_the_assessment_finds_the_high_calcium_the_plan_defers_to() -> None:
    result = run(hypercalcaemia())
    assert "SERUM_CALCIUM_HIGH" in result.finding_codes()
    assert "REVIEW_SERUM_CALCIUM" in result.action_codes()


def test_no_calcium_or_vitamin_d_target_raises_intake(held: dict[str, Any]) -> None:
    """The review: the plan set calcium >= 1200 mg and vitamin D >= 800 IU, and day 1 brought food
    calcium to 1275 mg on top of the 600 mg supplement."""
    calcium, vitamin_d = _target(held, "calcium_mg"), _target(held, "vitamin_d_iu")
    assert vitamin_d["minimum"] is None
    assert calcium["minimum"] in (None, DIETARY_CALCIUM_MG)  # kept as now at most
    assert calcium["maximum"] == DIETARY_CALCIUM_MG
    for target in (calcium, vitamin_d):
        assert target["held"] and "serum calcium 11 mg/dL" in target["held"]
        assert "REVIEW_SERUM_CALCIUM" in target["basis"] and "not raised" in target["basis"]
        assert target["sources"] and target["evidence_grade"] == "D"  # the planner defers
    for day in held["nutrition"]["days"]:
        assert day["totals"]["calcium_mg"] <= DIETARY_CALCIUM_MG + 0.5, day["day"]
    assert not any(g["nutrient"] in ("calcium_mg", "vitamin_d_iu") for g in held["nutrition"]["unmet"])


def test_no_supplement_is_suggested_and_the_current_one_is_for_the_clinician(
        held: dict[str, Any]) -> None:
    """The review: "SUPPLEMENT (suggested): vitamin D3 400 IU/d" with hypercalcaemia."""
    supplements = held["nutrition"]["supplements"]
    assert not any(s["status"] in ("suggested", "current_supplement_covers") for s in supplements)
    calcium = [s for s in supplements if s["nutrient"] == "calcium_mg"]
    assert len(calcium) == 1 and calcium[0]["status"] == "review_dose"
    assert calcium[0]["dose_per_day"] == 600
    assert "usually withheld until the cause is known" in calcium[0]["reason"]
    assert "REVIEW_SERUM_CALCIUM" in calcium[0]["reason"]
    assert not any(s["nutrient"] == "vitamin_d_iu" for s in supplements)
    note = next(n for n in held["nutrition"]["notes"] if n.startswith("serum calcium 11 mg/dL"))
    assert "no supplement is suggested until the cause is known" in note
    assert "25(OH)D 18 ng/mL" in note and "depends on the cause" in note


def test_without_a_recorded_food_intake_calcium_is_capped_at_the_rda_not_aimed_at() -> None:
    calcium = _target(_plan(hypercalcaemia(drop_lifestyle=("dietary_calcium",))), "calcium_mg")
    assert calcium["minimum"] is None and calcium["maximum"] == 1200  # IOM 2011, women over 50
    assert calcium["held"] and "IOM2011" in calcium["sources"]


def test_a_normal_calcium_keeps_the_usual_targets() -> None:
    plan = _plan(hypercalcaemia(calcium_mg_dl=9.4))
    calcium, vitamin_d = _target(plan, "calcium_mg"), _target(plan, "vitamin_d_iu")
    assert calcium["minimum"] == 1200 and calcium["held"] is None  # IOM 2011, women over 50
    assert vitamin_d["minimum"] == 800 and vitamin_d["held"] is None  # ASCO 2019, on an inhibitor
