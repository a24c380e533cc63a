"""Oncology and endocrinology review of the assessment (/tmp/review_onc, defects #1, #3, #4, #6-#10,
#12-#15): hypercalcaemia read with its PTH (Walker and Shane 2022), the adjuvant bisphosphonate's
contraindications, bone metastases (Van Poznak 2017; ESMO 2020; IBMEWG), intake at an eGFR below 30
(KDIGO 2012; KDOQI 2020), vitamin D kept rather than raised, denosumab at the end of an aromatase
inhibitor and after it stops (ECTS 2021), the menopause under 60 (NCCN; Smith 2006), estradiol on
ovarian suppression (SOFT-EST), FRAX without BMD (NOGG 2022) and osteomalacia (Holick 2011)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.clinic import Assessment
from osteotwin.clinic.model import Action, Finding
from osteotwin.clinic.render.plain import explain
from tests.clinic.builders import (
    ALENDRONATE,
    BC,
    LETROZOLE,
    PROLIA,
    days_ago,
    e2,
    hip_spine,
    kidney_labs,
    lab,
    make,
    med,
    run,
    scan,
    vitd,
)

GOSERELIN = med("goserelin", "3.6 mg", "28 d", start_days_ago=300, route="subcutaneous")
EXEMESTANE = med("exemestane", "25 mg", start_days_ago=270)
BONE_METS = "metastatic breast cancer with bone metastases to thoracic and lumbar spine and pelvis"


def _woman(*, age: float = 68, status: str | None = "postmenopausal",
           history: dict[str, Any] | None = None, medications: list[dict[str, Any]] | None = None,
           labs: list[dict[str, Any]] | None = None, dxa: list[dict[str, Any]] | None = None,
           lifestyle: dict[str, Any] | None = None, frax: dict[str, Any] | None = None) -> Assessment:
    return run(make(sex="female", age=age, status=status, history={**BC, **(history or {})},
                    medications=medications or [LETROZOLE], labs=labs, lifestyle=lifestyle,
                    dxa=dxa or hip_spine(-1.2, 200), frax=frax))


def _finding(result: Assessment, code: str) -> Finding | None:
    return next((f for f in result.findings if f.code == code), None)


def _action(result: Assessment, code: str) -> Action | None:
    return next((a for a in result.actions if a.code == code), None)


def _schedule(result: Assessment, test: str) -> tuple[Any, ...] | None:
    return next((row for row in result.monitoring if row[0] == test), None)


# --- #1 hypercalcaemia with a suppressed PTH in breast cancer ------------------------------------------

def _hypercalcaemia(pth_days: int = 12, pth: float = 12.0, **kw: Any) -> Assessment:
    return _woman(history={"vertebral_fracture": True, "prior_fragility_fractures": 1}, labs=[
        lab("calcium", 11.0, "mg/dL", 12), lab("pth", pth, "pg/mL", pth_days), vitd(18, 12),
        lab("egfr", 75, "mL/min/1.73m2", 12)], medications=[EXEMESTANE], **kw)


def test_a_suppressed_pth_makes_hypercalcaemia_pth_independent_not_hyperparathyroidism() -> None:
    result = _hypercalcaemia()
    high = _finding(result, "SERUM_CALCIUM_HIGH")
    assert high is not None and high.severity == "high"
    assert "PTH-independent" in high.message and "PTHrP" in high.message
    assert "commonest cause" not in high.message
    assert "may be pathological" in high.message  # the vertebral fracture, with breast cancer
    assert {"walker_shane_2022", "mayo_pth_reference"} <= set(high.evidence)
    review = _action(result, "REVIEW_SERUM_CALCIUM")
    assert review is not None and review.priority == 1 and review.due == result.as_of
    assert "oncology team" in review.message and "restaging" in review.message
    assert "PTHrP" in review.message and "primary hyperparathyroidism being" not in review.message
    # the adjuvant bisphosphonate is held, and the review says why
    assert _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE") is None
    assert "holding the adjuvant bisphosphonate discussion" in review.message
    assert "until the high calcium is explained" in review.message
    discuss = _action(result, "DISCUSS_ANTIRESORPTIVE")
    assert discuss is not None and "its cause is found first" in discuss.message


def test_pth_is_read_only_beside_its_calcium_and_below_the_reference_interval() -> None:
    # drawn 200 days before the calcium: not read as suppressed
    stale = _finding(_hypercalcaemia(pth_days=200), "SERUM_CALCIUM_HIGH")
    assert stale is not None and "PTH-independent hypercalcaemia, not" not in stale.message
    # 40 pg/mL is inside the interval: no PTH-independent reading, breast cancer still named
    normal = _finding(_hypercalcaemia(pth=40.0), "SERUM_CALCIUM_HIGH")
    assert normal is not None and "PTH-independent hypercalcaemia, not" not in normal.message
    assert "bone metastases and PTHrP are causes to exclude" in normal.message
    # without breast cancer the commonest cause is still named
    plain = run(make(sex="female", age=70, labs=[lab("calcium", 11.0, "mg/dL"),
                                                 lab("pth", 70, "pg/mL")]))
    finding, review = _finding(plain, "SERUM_CALCIUM_HIGH"), _action(plain, "REVIEW_SERUM_CALCIUM")
    assert finding is not None and "primary hyperparathyroidism" in finding.message
    assert review is not None and "oncology" not in review.message


# --- #4 the adjuvant bisphosphonate's contraindications -------------------------------------------------

def test_adjuvant_bisphosphonate_carries_the_kidney_limits_of_zoledronic_acid_and_clodronate() -> None:
    result = _woman(age=72, labs=[lab("egfr", 25, "mL/min/1.73m2"), lab("calcium", 9.0, "mg/dL")])
    action = _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")
    assert action is not None and "KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE" in result.finding_codes()
    assert "not recommended below a creatinine clearance of 30 mL/min (Zometa label)" in action.message
    assert "clodronate is reduced" in action.message
    assert {"zometa_label", "bonefos_smpc"} <= set(action.evidence)


def test_adjuvant_bisphosphonate_waits_for_calcium_and_vitamin_d_to_be_corrected() -> None:
    result = _woman(labs=[lab("calcium", 7.9, "mg/dL"), vitd(9), lab("egfr", 70, "mL/min/1.73m2")])
    action = _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")
    assert action is not None and "corrected first" in action.message
    assert "reclast_label" in action.evidence


def test_adjuvant_bisphosphonate_is_not_added_to_ongoing_denosumab() -> None:
    result = _woman(medications=[LETROZOLE, PROLIA], labs=kidney_labs())
    action = _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")
    assert action is not None and action.grade == "C"
    assert "(denosumab 60 mg every " in action.message  # the denosumab on record, named
    assert "not added on top" in action.message and "transition" in action.message
    assert "Consider raising adjuvant bisphosphonate therapy" not in action.message
    assert "tsourdi_2021" in action.evidence


# --- #3 and #12 bone metastases -------------------------------------------------------------------------

def test_bone_metastases_without_a_bone_modifying_agent_go_to_oncology_not_osteoporosis_rules() -> None:
    result = _woman(age=58.5, history={"conditions": [BONE_METS]}, dxa=hip_spine(-2.2, 200),
                    labs=kidney_labs(), lifestyle={"impact_sessions_per_week": 2,
                                                   "weight_bearing_aerobic_minutes_per_week": 120})
    finding = _finding(result, "BONE_METASTASES_IN_CONDITIONS")
    assert finding is not None and finding.severity == "high"
    assert "van_poznak_2017" in finding.evidence
    action = _action(result, "REVIEW_BONE_METASTASIS_TREATMENT")
    assert action is not None and action.priority == 1 and "120 mg" in action.message
    codes = set(result.finding_codes()) | set(result.action_codes())
    assert not codes & {"DISCUSS_ANTIRESORPTIVE", "FRACTURE_RISK_NOT_ESTIMATED", "FRACTURE_RISK_HIGH",
                        "CONSIDER_ADJUVANT_BISPHOSPHONATE", "ORDER_DXA", "DXA_OVERDUE"}
    dxa = _schedule(result, "DXA")
    assert dxa is not None and dxa[2] is None and "bone metastases" in dxa[3]
    assert "ASCO 2019" not in str(result.facts["dxa_indication"].value)
    # the exercise precautions the plan already applies (IBMEWG), and the impact she does now
    flexion = _action(result, "AVOID_LOADED_SPINAL_FLEXION")
    supervised = _action(result, "SUPERVISED_EXERCISE")
    assert flexion is not None and "campbell_ibmewg_2022" in flexion.evidence
    assert supervised is not None and "now recorded (2 sessions/week)" in supervised.message
    aerobic = _action(result, "INCREASE_WEIGHT_BEARING_AEROBIC")
    assert aerobic is not None and "adapted to the lesions" in aerobic.message


def test_bone_metastases_on_the_osteoporosis_denosumab_dose_are_not_scheduled_as_prolia() -> None:
    result = _woman(age=58.5, history={"conditions": [BONE_METS]}, medications=[LETROZOLE, PROLIA],
                    labs=kidney_labs())
    assert _action(result, "DENOSUMAB_DOSE_DUE") is None
    action = _action(result, "REVIEW_BONE_METASTASIS_TREATMENT")
    assert action is not None and "not at the metastasis dose" in action.message
    row = _schedule(result, "Denosumab injection")
    assert row is not None and "not the bone-metastasis one" in row[3]


def test_current_impact_beyond_the_screen_is_said_after_a_vertebral_fracture() -> None:
    result = _woman(history={"vertebral_fracture": True}, labs=kidney_labs(),
                    lifestyle={"impact_sessions_per_week": 1})
    action = _action(result, "SUPERVISED_EXERCISE")
    assert action is not None and "impact training now recorded" in action.message


# --- #7 intake at an eGFR below 30 agrees with the nutrition plan ---------------------------------------

def test_ckd_4_is_not_asked_for_more_protein_or_1200_mg_calcium() -> None:
    from osteotwin.plan.nutrition.targets import nutrient_targets

    result = _woman(age=72, labs=[lab("egfr", 25, "mL/min/1.73m2"), lab("calcium", 9.0, "mg/dL")],
                    lifestyle={"protein": "0.8 g/kg/d", "dietary_calcium": "700 mg/d"})
    codes = set(result.finding_codes()) | set(result.action_codes())
    assert not codes & {"PROTEIN_INTAKE_LOW", "INCREASE_PROTEIN_INTAKE"}
    action = _action(result, "INCREASE_CALCIUM_INTAKE")
    assert action is not None and "1200" not in action.message and "kdoqi_2020" in action.evidence
    plan = nutrient_targets("female", 72, weight_kg=80, egfr_below_30=True).get("calcium_mg")
    facts = result.facts
    assert (facts["ckd_calcium_min_mg_d"].value, facts["ckd_calcium_max_mg_d"].value) == (
        plan.minimum, plan.maximum)
    assert f"{plan.minimum:.0f} mg/d to {plan.maximum:.0f} mg/d" in action.message


# --- #14 vitamin D kept, not raised ---------------------------------------------------------------------

def test_a_replete_level_on_a_stable_dose_gets_no_start_and_no_three_month_recheck() -> None:
    result = _woman(labs=[vitd(32, 60)], lifestyle={
        "supplements": [{"name": "vitamin_d3", "dose": "1000 IU/d"}]})
    assert _action(result, "START_VITAMIN_D") is None and _action(result, "CHECK_VITAMIN_D") is None
    row = _schedule(result, "25(OH)D")
    assert row is not None and row[2] == dt.date.fromisoformat(days_ago(60)) + dt.timedelta(days=365)
    text = explain("START_VITAMIN_D") or ""
    assert "More vitamin D is suggested" not in text and "Starting vitamin D" in text
    # a proposed change keeps its recheck
    low = _woman(labs=[vitd(24, 60)], lifestyle={"supplements": []})
    assert _action(low, "START_VITAMIN_D") is not None
    recheck = _action(low, "CHECK_VITAMIN_D")
    assert recheck is not None and recheck.due == low.as_of + dt.timedelta(days=90)


# --- #15 denosumab at the end of the inhibitor: first -------------------------------------------------------

def test_denosumab_at_the_end_of_the_inhibitor_is_priority_1() -> None:
    ending = med("letrozole", "2.5 mg", start_days_ago=1800, stop="2025-08-01")
    on_denosumab = _action(_woman(medications=[ending, PROLIA], labs=kidney_labs()),
                           "REVIEW_ANTIRESORPTIVE_AT_AI_END")
    assert on_denosumab is not None and on_denosumab.priority == 1
    assert "cummings_2018" in on_denosumab.evidence and "planned bisphosphonate" in on_denosumab.message
    on_alendronate = _action(_woman(medications=[ending, ALENDRONATE], labs=kidney_labs()),
                             "REVIEW_ANTIRESORPTIVE_AT_AI_END")
    assert on_alendronate is not None and on_alendronate.priority == 2


# --- #8 the menopause under 60 -----------------------------------------------------------------------------

def test_recorded_postmenopause_at_44_after_chemotherapy_is_confirmed_by_estradiol() -> None:
    amenorrhoea = {"conditions": ["amenorrhoea since adjuvant chemotherapy (AC-T) 2024"]}
    result = _woman(age=44, history=amenorrhoea, labs=[vitd(34)])
    finding = _finding(result, "ESTRADIOL_NOT_MEASURED")
    assert finding is not None and "smith_2006" in finding.evidence and "under 60" in finding.message
    check = _action(result, "CHECK_ESTRADIOL")
    assert check is not None and check.priority == 1 and "FSH" in check.message
    assert _schedule(result, "Estradiol") is not None
    adjuvant = _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")
    assert adjuvant is not None and "recorded but not established" in adjuvant.message


def test_sixty_or_over_or_a_bilateral_oophorectomy_establishes_the_menopause() -> None:
    for result in (_woman(age=62, labs=[vitd(34)]),
                   _woman(age=50, history={"conditions": ["TAH-BSO 2019"]}, labs=[vitd(34)])):
        assert "ESTRADIOL_NOT_MEASURED" not in result.finding_codes()
        assert _schedule(result, "Estradiol") is None


# --- #9 estradiol on ovarian suppression with an aromatase inhibitor --------------------------------------

def test_lcms_estradiol_above_the_postmenopausal_range_on_ovarian_suppression_is_reviewed() -> None:
    result = _woman(age=40, status="premenopausal", medications=[GOSERELIN, EXEMESTANE],
                    labs=[e2(18), *kidney_labs()])
    high = _finding(result, "ESTRADIOL_HIGH")
    assert high is not None and high.severity == "high"
    assert "26 pmol/L" in high.message and "2.72 pg/mL" in high.message
    assert {"bellet_2016", "verdonk_2019"} <= set(high.evidence)
    review = _action(result, "REVIEW_AROMATASE_INHIBITOR")
    assert review is not None and review.priority == 1 and "goserelin" in review.message
    suppressed = _woman(age=40, status="premenopausal", medications=[GOSERELIN, EXEMESTANE],
                        labs=[e2(2.5), *kidney_labs()])
    assert "ESTRADIOL_HIGH" not in suppressed.finding_codes()


# --- #6 the DXA after denosumab stops -------------------------------------------------------------------------

def test_dxa_after_denosumab_stops_is_at_the_transition_not_a_screening_interval() -> None:
    stopped = med("denosumab", "60 mg", "6 mo", start_days_ago=1800, stop=days_ago(92),
                  route="subcutaneous")
    ai_stopped = med("letrozole", "2.5 mg", start_days_ago=1800, stop=days_ago(92))
    result = _woman(age=63, medications=[ai_stopped, stopped], labs=kidney_labs(),
                    dxa=hip_spine(-1.5, 730))
    due = result.facts["next_dxa_due"].value
    transition = result.facts["denosumab_follow_on_due"].value
    assert isinstance(due, dt.date) and isinstance(transition, dt.date) and due <= transition
    assert result.facts["dxa_interval_months"].value != 60
    order = _action(result, "ORDER_DXA")
    assert order is not None and "tsourdi_2021" in order.evidence and "transition" in order.message
    # with the follow-on bisphosphonate started, about 12 months after it
    follow_on = med("alendronate", "70 mg", "7 d", start_days_ago=60)
    after = _woman(age=63, medications=[ai_stopped, stopped, follow_on], labs=kidney_labs(),
                   dxa=hip_spine(-1.5, 200))
    start = dt.date.fromisoformat(days_ago(60))
    assert after.facts["dxa_after_denosumab_due"].value == start.replace(year=start.year + 1)


# --- #10 a FRAX without BMD while a femoral-neck BMD is on file -----------------------------------------

def test_frax_without_bmd_is_recalculated_before_it_drives_treatment() -> None:
    frax = {"tool": "frax", "major_osteoporotic_10y_pct": 24.0, "hip_10y_pct": 5.1,
            "date": days_ago(120), "bmd_included": False, "country": "US"}
    dxa = [scan("femoral_neck", t=-0.5, age_days=147), scan("lumbar_spine", t=-0.4, age_days=147)]
    result = _woman(age=70, dxa=dxa, frax=frax, labs=kidney_labs())
    high = _finding(result, "FRACTURE_RISK_HIGH")
    assert high is not None and "recalculate it with the femoral-neck BMD" in high.message
    assert "gregson_nogg_2022" in result.citation_ids()
    assert _action(result, "DISCUSS_ANTIRESORPTIVE") is None
    # the same FRAX calculated with BMD proposes the discussion (ASCO 2019 rec 3.4)
    with_bmd = _woman(age=70, dxa=dxa, frax={**frax, "bmd_included": True}, labs=kidney_labs())
    action = _action(with_bmd, "DISCUSS_ANTIRESORPTIVE")
    assert action is not None and action.priority == 1


# --- #13 severe vitamin D deficiency with hypocalcaemia ------------------------------------------------

def test_severe_deficiency_with_hypocalcaemia_asks_for_an_osteomalacia_work_up_first() -> None:
    labs = [lab("calcium", 7.9, "mg/dL"), vitd(9), lab("egfr", 70, "mL/min/1.73m2")]
    life = {"resistance_sessions_per_week": 0, "resistance_intensity": "light",
            "impact_sessions_per_week": 0, "training_setting": "home_weights"}
    result = _woman(dxa=hip_spine(-2.8, 20), labs=labs, lifestyle=life)
    refer = _action(result, "REFER_SPECIALIST")
    assert refer is not None and refer.priority == 1
    assert "osteomalacia" in refer.message and "alkaline phosphatase" in refer.message
    assert "coeliac" in refer.message and {"holick_2011", "bhof_2022"} <= set(refer.evidence)
    osteoporosis = _finding(result, "BMD_OSTEOPOROSIS")
    assert osteoporosis is not None and "osteomalacia" in osteoporosis.message
    resistance = _action(result, "START_RESISTANCE_TRAINING")
    assert resistance is not None and "5 sets of 5" not in resistance.message
    assert _action(result, "ADD_IMPACT_TRAINING") is None
    # a normal calcium: no osteomalacia work-up from this rule
    normal = _woman(dxa=hip_spine(-2.8, 20), labs=[lab("calcium", 9.3, "mg/dL"), vitd(9),
                                                   lab("egfr", 70, "mL/min/1.73m2")], lifestyle=life)
    normal_refer = _action(normal, "REFER_SPECIALIST")
    assert normal_refer is None or "osteomalacia" not in normal_refer.message
