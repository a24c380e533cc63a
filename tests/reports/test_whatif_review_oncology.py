"""Oncology review of the report's what-if: the "plan followed" course keeps to the plan's holds and
caps (items 2 and 12), and the illustrated antiresorptive follows the assessment's kidney and
calcium/vitamin D findings (item 5). Patients from the review, built with the clinic test builders.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from osteotwin.records import PatientRecord, parse_patient_document
from osteotwin.reports.sections import plan_section
from osteotwin.reports.whatif import (
    FIRST_DELAY_D,
    Illustration,
    PlanTarget,
    WhatIf,
    alternatives,
    default_simulator,
    illustration,
    illustrative_course,
    what_if_section,
)
from osteotwin.simulate import Scenario
from osteotwin.vocabulary import drug_class
from tests.clinic.builders import AS_OF, BC, LETROZOLE, lab, make, med, scan, vitd
from tests.plan.test_review_oncology import hypercalcaemia

needs_simulator = pytest.mark.skipif(importlib.util.find_spec("osteotwin.simulate.single") is None,
                                     reason="osteotwin.simulate.single is not in this build")
XGEVA = med("denosumab", "120 mg", "28 d", start_days_ago=200, route="subcutaneous")


def _record(doc: dict[str, Any]) -> PatientRecord:
    return parse_patient_document(doc, source="test")


def _woman(medications: list[dict[str, Any]], labs: list[dict[str, Any]], *, age: float = 64,
           history: dict[str, Any] | None = None, t: float = -2.7,
           lifestyle: dict[str, Any] | None = None) -> PatientRecord:
    return _record(make(sex="female", age=age, status="postmenopausal", history={**BC, **(history or {})},
                        medications=medications, labs=labs,
                        dxa=[scan("lumbar_spine", t=t), scan("femoral_neck", t=t + 0.5)],
                        lifestyle={"dietary_calcium": "700 mg/d", "resistance_sessions_per_week": 0,
                                   "impact_sessions_per_week": 0, **(lifestyle or {})}))


def _plan(record: PatientRecord) -> PlanTarget:
    plan = plan_section(record, AS_OF, weeks=1)
    assert isinstance(plan, dict), plan
    return PlanTarget.from_plan(plan)


def _lifestyle_course(record: PatientRecord) -> tuple[Scenario, Scenario, PlanTarget]:
    base, plan = Scenario.from_record(record, years=1), _plan(record)
    course = next(s for s in alternatives(base, plan=plan) if s.lifestyle_from_t0 is not None)
    return base, course, plan


def _added(base: Scenario, course: Scenario) -> list[Any]:
    return [r for r in course.regimens if r not in base.regimens]


def test_plan_followed_does_not_raise_calcium_or_vitamin_d_with_a_high_serum_calcium() -> None:
    """Item 2: the course named "calcium and vitamin D at target" took vitamin D from 0 to 800 IU/d
    for a woman with calcium 11.0 mg/dL, calling them the plan's targets."""
    base, course, plan = _lifestyle_course(_record(hypercalcaemia()))
    now, followed = base.subject.lifestyle, course.lifestyle_from_t0
    assert followed is not None
    assert followed.vitamin_d_iu_d == now.vitamin_d_iu_d == 0
    assert followed.supplemental_calcium_mg_d == now.supplemental_calcium_mg_d == 600
    assert followed.dietary_calcium_mg_d == now.dietary_calcium_mg_d
    assert "at target" not in course.label and course.label == plan.label
    assert "not raised" in course.label
    words = plan.describe(now.impact_sessions_per_week)
    assert "calcium and vitamin D as now, not raised" in words and "REVIEW_SERUM_CALCIUM" in words
    assert "the plan's targets" not in words


@pytest.mark.parametrize(("medications", "history", "why"), [
    # p10: spinal and pelvic metastases on letrozole and Xgeva, 2 impact sessions a week
    ([LETROZOLE, XGEVA], {"conditions": ["metastatic breast cancer with bone metastases to "
                                         "thoracic and lumbar spine and pelvis"]}, "bone metastases"),
    # p14: a vertebral fracture, 2 impact sessions a week
    ([med("exemestane", "25 mg")], {"vertebral_fracture": True, "prior_fragility_fractures": 1},
     "vertebral"),
])
def test_plan_followed_caps_the_impact_the_plans_screen_caps(
        medications: list[dict[str, Any]], history: dict[str, Any], why: str) -> None:
    """Item 12: the "plan followed" course kept the impact sessions on record where the plan's
    safety screen allows none (bone metastases, vertebral fracture)."""
    record = _woman(medications, [lab("calcium", 9.1, "mg/dL"), vitd(32),
                                  lab("egfr", 88, "mL/min/1.73m2")], history=history, t=-1.4,
                    lifestyle={"impact_sessions_per_week": 2, "resistance_sessions_per_week": 1,
                               "resistance_intensity": "moderate"})
    base, course, plan = _lifestyle_course(record)
    assert base.subject.lifestyle.impact_sessions_per_week == 2
    assert course.lifestyle_from_t0 is not None
    assert course.lifestyle_from_t0.impact_sessions_per_week == 0
    assert plan.impact_cap == "brisk_walking" and why in (plan.impact_cap_reason or "")
    words = plan.describe(base.subject.lifestyle.impact_sessions_per_week)
    assert "except impact: the impact training on record (2 a week) is dropped" in words
    assert why in words.split("except impact")[1]


def test_plan_followed_keeps_impact_above_the_plan_where_jumping_is_allowed() -> None:
    """The cap applies only where the screen allows no jumping: a woman cleared for moderate impact
    keeps her 4 sessions a week (activity above the plan is kept)."""
    record = _woman([LETROZOLE], [lab("calcium", 9.2, "mg/dL"), vitd(32)], t=-1.6,
                    lifestyle={"impact_sessions_per_week": 4})
    _, course, plan = _lifestyle_course(record)
    assert not plan.caps_impact
    assert course.lifestyle_from_t0 is not None
    assert course.lifestyle_from_t0.impact_sessions_per_week == 4
    assert "Activity already above the plan is kept." in plan.describe(4)


def test_no_bisphosphonate_is_illustrated_where_kidney_function_limits_them() -> None:
    """Item 5, p08: eGFR 25 on anastrozole, T -2.7: the report showed zoledronic acid 4 mg every 6
    months from today, which the Zometa label does not recommend under a clearance of 30 mL/min."""
    record = _woman([med("anastrozole", "1 mg")], [lab("egfr", 25, "mL/min/1.73m2"),
                                                  lab("calcium", 9.0, "mg/dL"), vitd(24)], age=72)
    base = Scenario.from_record(record, years=1)
    added = _added(base, alternatives(base, illustrative_course(record, AS_OF))[-1])
    assert len(added) == 1 and drug_class(added[0].drug) != "bisphosphonate"
    shown = illustration(record, AS_OF)
    assert shown is not None and shown.situation == "kidney_limit"
    # below an eGFR of 30 denosumab waits for the CKD mineral and bone disorder evaluation its own
    # note asks for (it had started "from today" beside that note)
    assert shown.label == "denosumab 60 mg every 6 months starting in about 3 months (illustration)"
    caution = shown.caution()
    assert "eGFR 25 mL/min/1.73 m²" in caution and "Zometa label" in caution
    assert ("zoledronic acid 4 mg every 6 months is not recommended below a creatinine clearance of "
            "30 mL/min") in caution
    assert "Prolia boxed warning" in caution and "CKD mineral and bone disorder" in caution
    assert {"prolia_label", "zometa_label", "fda_prolia_2024"} <= set(shown.sources)


@pytest.mark.parametrize(("labs", "first"), [
    # p09: calcium 7.9 mg/dL, 25(OH)D 9 ng/mL
    ([lab("calcium", 7.9, "mg/dL"), vitd(9), lab("egfr", 70, "mL/min/1.73m2")],
     "the low serum calcium is corrected and the vitamin D deficiency is corrected"),
    ([lab("calcium", 9.2, "mg/dL"), vitd(9), lab("egfr", 70, "mL/min/1.73m2")],
     "the vitamin D deficiency is corrected"),
])
def test_the_illustrated_course_does_not_start_today_where_calcium_or_vitamin_d_come_first(
        labs: list[dict[str, Any]], first: str) -> None:
    """Item 5, p09: the course started "from today" where the assessment asks for the calcium and
    vitamin D to be corrected before an antiresorptive (Prolia and Reclast labels)."""
    record = _woman([LETROZOLE], labs)
    base, shown = Scenario.from_record(record, years=1), illustration(record, AS_OF)
    assert shown is not None
    course = alternatives(base, shown)[-1]
    added = _added(base, course)
    assert len(added) == 1 and added[0].start_d == shown.start_d > 0
    assert "from today" not in course.label and "starting in about 3 months" in course.label
    assert f"not today: the assessment asks that {first} before" in shown.caution()


def test_a_high_serum_calcium_defers_the_course_to_its_cause() -> None:
    """With a high calcium the assessment finds the cause first (REVIEW_SERUM_CALCIUM), before any
    antiresorptive change; a low vitamin D beside it is corrected or not by the cause, so it is not
    named as coming first."""
    shown = Illustration("aromatase_inhibitor", FIRST_DELAY_D, ("SERUM_CALCIUM_HIGH",))
    caution = shown.caution()
    assert "asks that the cause of the high serum calcium is found before" in caution
    assert "(the assessment's REVIEW_SERUM_CALCIUM)" in caution and "labels" not in caution
    assert shown.regimen().start_d == FIRST_DELAY_D and "from today" not in shown.label


def test_a_normal_calcium_and_kidney_function_keep_the_usual_course_from_today() -> None:
    record = _woman([LETROZOLE], [lab("calcium", 9.2, "mg/dL"), vitd(32),
                                  lab("egfr", 80, "mL/min/1.73m2")])
    shown = illustration(record, AS_OF)
    assert shown is not None and (shown.situation, shown.start_d) == ("aromatase_inhibitor", 0.0)
    assert shown.label == "zoledronic acid 4 mg every 6 months from today (illustration)"


@needs_simulator
def test_the_report_carries_the_kidney_limit_of_a_simulated_bisphosphonate() -> None:
    """Item 5: a current bisphosphonate below its label's kidney limit is said beside the numbers
    (a woman on alendronate at eGFR 28: Fosamax, not recommended under 35 mL/min)."""
    record = _woman([LETROZOLE, med("alendronate", "70 mg", "7 d", start_days_ago=300)],
                    [lab("egfr", 28, "mL/min/1.73m2"), lab("calcium", 9.2, "mg/dL"), vitd(32)])
    section = what_if_section(record, AS_OF, years=1, simulator=default_simulator(band_draws=0))
    assert isinstance(section, WhatIf), section
    limits = [text for text in section.cautions if text.startswith("Label limit")]
    assert len(limits) == 1
    assert limits[0].startswith("Label limit (current course, ")
    assert "alendronate is not recommended below a creatinine clearance of 35 mL/min" in limits[0]
    assert "eGFR on file is 28 mL/min/1.73 m²" in limits[0] and "Fosamax" in limits[0]
