"""Fixes from the clinical review of `osteotwin assess` (assessment audit): severities, vitamin D tiers,
exercise actions that respect the plan's safety screen, messages that match the data."""

from __future__ import annotations

import datetime as dt

from osteotwin.clinic import assess
from osteotwin.plan.exercise.screening import screen
from osteotwin.records import parse_patient_document
from tests.clinic.builders import (
    ALENDRONATE,
    ANASTROZOLE,
    AS_OF,
    BC,
    LETROZOLE,
    TESTOSTERONE,
    days_ago,
    lab,
    make,
    med,
    run,
    scan,
    vitd,
)


def _finding(doc: dict, code: str):  # type: ignore[no-untyped-def]
    return next(f for f in run(doc).findings if f.code == code)


def _action(doc: dict, code: str):  # type: ignore[no-untyped-def]
    return next(a for a in run(doc).actions if a.code == code)


# --- aromatase inhibitor without ovarian suppression -------------------------------------------------

def test_ai_alone_at_35_with_status_unrecorded_is_high() -> None:
    doc = make(sex="female", age=35, history=BC, medications=[ANASTROZOLE])
    doc["patient"].pop("menopausal_status")
    assert _finding(doc, "AI_WITHOUT_OVARIAN_SUPPRESSION").severity == "high"


# --- vitamin D --------------------------------------------------------------------------------------

def test_severe_vitamin_d_deficiency_is_high_and_corrected_before_antiresorptives() -> None:
    doc = make(sex="female", age=64, history=BC, labs=[vitd(8)])
    deficient = _finding(doc, "VITAMIN_D_DEFICIENT")
    assert deficient.severity == "high"
    assert "12 ng/mL" in deficient.message and "denosumab" in deficient.message
    start = _action(doc, "START_VITAMIN_D")
    assert start.priority == 1 and "before zoledronic acid or denosumab" in start.message
    assert "stay within" not in start.message  # not the maintenance wording
    assert _finding(make(labs=[vitd(19)]), "VITAMIN_D_DEFICIENT").severity == "moderate"


def test_high_vitamin_d_level_is_flagged_on_a_normal_dose() -> None:
    doc = make(sex="female", age=64, labs=[vitd(95)],
               lifestyle={"supplements": [{"name": "vitamin_d3", "dose": "2000 IU/d"}]})
    reduce = _action(doc, "REDUCE_VITAMIN_D")
    assert "50 ng/mL" in reduce.message and "iom_2011" in reduce.evidence
    assert "REDUCE_VITAMIN_D" not in {a.code for a in run(make(labs=[vitd(45)])).actions}


def test_men_on_an_off_label_ai_are_not_told_to_raise_vitamin_d_to_40() -> None:
    doc = make(sex="male", age=50, medications=[TESTOSTERONE, ANASTROZOLE], labs=[vitd(34)])
    result = run(doc)
    below = next(f for f in result.findings if f.code == "VITAMIN_D_BELOW_AI_TARGET")
    assert below.severity == "info" and below.grade == "D" and "women" in below.message
    assert "START_VITAMIN_D" not in result.action_codes()


# --- falls and exercise -----------------------------------------------------------------------------

FALLER_85 = {"sex": "female", "age": 85, "history": {"falls_last_12_months": 3,
                                                "prior_fragility_fractures": 1},
                 "dxa": [scan("femoral_neck", t=-2.8)],
                 "lifestyle": {"resistance_sessions_per_week": 0, "impact_sessions_per_week": 0,
                            "training_setting": "gym"}}


def test_recurrent_falls_are_high_risk() -> None:
    assert _finding(make(**FALLER_85), "FALL_RISK").severity == "high"
    one = make(sex="female", age=70, history={"falls_last_12_months": 1})
    assert _finding(one, "FALL_RISK").severity == "moderate"


def test_exercise_actions_respect_the_plans_safety_screen() -> None:
    doc = make(**FALLER_85)
    result = run(doc)
    assert "ADD_IMPACT_TRAINING" not in result.action_codes()
    resistance = next(a for a in result.actions if a.code == "START_RESISTANCE_TRAINING")
    assert "80-85 %" not in resistance.message and "not advised" in resistance.message
    balance = next(a for a in result.actions if a.code == "ADD_BALANCE_TRAINING")
    assert "no jumps or drop landings for now" in balance.message
    assert "a fall in the last 12 months" in balance.message  # the plan screen's own reason
    plan = screen(parse_patient_document(doc, source="test"), AS_OF)
    assert not plan.high_intensity_eligible and plan.impact_cap == "low"


def test_the_assessment_and_the_plan_screen_agree() -> None:
    """Whenever the assessment suggests jumps or LIFTMOR-type lifting, the plan allows them too."""
    cases = [
        {"sex": "female", "age": 60, "history": {"vertebral_fracture": True}},
        {"sex": "female", "age": 60, "history": {"prior_fragility_fractures": 2}},
        {"sex": "female", "age": 60, "history": {"falls_last_12_months": 1}},
        {"sex": "female", "age": 78},
        {"sex": "female", "age": 60, "history": {"vertebral_fracture": None}, "dxa": [scan("lumbar_spine", t=-1.8)]},
        {"sex": "female", "age": 60, "dxa": [scan("lumbar_spine", t=-1.8)]},
    ]
    for kwargs in cases:
        doc = make(**kwargs, lifestyle={"resistance_sessions_per_week": 0,
                                        "impact_sessions_per_week": 0, "training_setting": "gym"})
        result = run(doc)
        plan = screen(parse_patient_document(doc, source="test"), AS_OF)
        if "ADD_IMPACT_TRAINING" in result.action_codes():
            assert plan.impact_cap in ("moderate", "high"), kwargs
        resistance = next(a for a in result.actions if a.code == "START_RESISTANCE_TRAINING")
        if "80-85 %" in resistance.message:
            assert plan.high_intensity_eligible, kwargs


# --- densitometry wording ---------------------------------------------------------------------------

def test_z_score_normal_is_within_expected_range_and_names_the_t_score_on_an_ai() -> None:
    doc = make(sex="female", age=45, status="premenopausal", history=BC,
               medications=[med("goserelin", "3.6 mg", "28 d", route="subcutaneous"), LETROZOLE],
               dxa=[scan("lumbar_spine", t=-2.3, z=-1.8)])
    normal = _finding(doc, "BMD_NORMAL")
    assert "expected range for age" in normal.message and "normal range" not in normal.message
    assert "T-score -2.3" in normal.message


def test_a_t_score_judged_by_the_z_rule_is_called_a_t_score() -> None:
    doc = make(sex="female", age=47, status="premenopausal", dxa=[scan("femoral_neck", t=-1.3)])
    normal = _finding(doc, "BMD_NORMAL")
    assert normal.message.startswith("Lowest T-score -1.3") and "ask for the Z-score" in normal.message


# --- kidney function --------------------------------------------------------------------------------

def test_low_egfr_on_alendronate_has_an_action_and_no_repeated_unit() -> None:
    doc = make(sex="female", age=75, medications=[ALENDRONATE],
               labs=[lab("egfr", 28, "mL/min/1.73m2")])
    kidney = _finding(doc, "KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE")
    assert "reported" not in kidney.message
    refer = _action(doc, "REFER_SPECIALIST")
    assert "alendronate" in refer.message and refer.priority == 1


# --- presentation -----------------------------------------------------------------------------------

def test_age_is_given_in_completed_years() -> None:
    doc = make(sex="female", age=35)
    doc["patient"]["birth_date"] = (AS_OF - dt.timedelta(days=round(35.6 * 365.25))).isoformat()
    result = assess(parse_patient_document(doc, source="test"), AS_OF)
    assert result.summary[0].startswith("Woman, 35 years")


def test_missing_last_result_is_not_repeated() -> None:
    doc = make(sex="male", age=50, medications=[TESTOSTERONE, ANASTROZOLE])
    message = _finding(doc, "ESTRADIOL_NOT_MEASURED").message
    assert "not recorded, not recorded" not in message and "last: none on file" in message


def test_merged_actions_say_their_opening_once() -> None:
    doc = make(sex="female", age=72, history={"vertebral_fracture": True, **BC},
               dxa=[scan("lumbar_spine", t=-2.7)])
    message = _action(doc, "DISCUSS_ANTIRESORPTIVE").message
    assert message.count("Discuss bisphosphonate or denosumab therapy:") <= 1


def test_a_treatment_discussion_after_a_bisphosphonate_holiday_says_it_is_a_restart() -> None:
    """A woman whose zoledronic acid stopped 2.7 years ago, now with osteoporosis: the discussion
    names the earlier course and the ASBMR reassessment after a holiday (Adler et al. 2016)."""
    stopped = med("zoledronic_acid", "5 mg", "365 d", start_days_ago=1735, stop=days_ago(1000),
                  route="intravenous")
    doc = make(sex="female", age=70, status="postmenopausal", medications=[stopped],
               dxa=[scan("lumbar_spine", t=-2.6)])
    action = next(a for a in run(doc).actions if a.code == "DISCUSS_ANTIRESORPTIVE")
    assert f"zoledronic acid, stopped {days_ago(1000)}, 2.7 years ago" in action.message
    assert "not a first course" in action.message and "adler_2016" in action.evidence
    never = make(sex="female", age=70, status="postmenopausal", dxa=[scan("lumbar_spine", t=-2.6)])
    first = next(a for a in run(never).actions if a.code == "DISCUSS_ANTIRESORPTIVE")
    assert "bisphosphonate course is on record" not in first.message


def test_a_garvan_band_alone_proposes_treatment_as_a_consideration_to_confirm_with_frax() -> None:
    """Garvan estimates any low-trauma fracture; the 20 % cut-off was set on FRAX's major
    osteoporotic fracture: the finding says the band leans high, the discussion is grade C."""
    doc = make(sex="female", age=78, status="postmenopausal",
               history={"falls_last_12_months": 1, "prior_fragility_fractures": 0},
               dxa=[scan("femoral_neck", t=-1.6)])
    result = run(doc)
    high = next(f for f in result.findings if f.code == "FRACTURE_RISK_HIGH")
    assert "Garvan" in high.message and "leans high" in high.message
    action = next(a for a in result.actions if a.code == "DISCUSS_ANTIRESORPTIVE")
    assert action.grade == "C" and "confirm with FRAX" in action.message
    frax = make(sex="female", age=78, status="postmenopausal", dxa=[scan("femoral_neck", t=-1.6)],
                frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 24.0, "hip_10y_pct": 3.5,
                      "date": days_ago(30), "bmd_included": True})
    by_frax = next(a for a in run(frax).actions if a.code == "DISCUSS_ANTIRESORPTIVE")
    assert by_frax.grade == "A" and "confirm with FRAX" not in by_frax.message
