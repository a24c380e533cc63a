"""Fixes from a clinician's cross-module consistency review: a hip fracture named only in the free-text
conditions, vitamin D before an antiresorptive (and the schedule's recheck date), an aromatase
inhibitor taken by a man without testosterone therapy, and the DXA interval after a significant loss
on an inhibitor."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from osteotwin.clinic.history_text import hip_fracture_mentions, mentions_hip_fracture
from osteotwin.clinic.model import Action, Assessment, Finding
from osteotwin.clinic.monitoring import add_months, dxa_plan
from tests.clinic.builders import (
    ALENDRONATE,
    ANASTROZOLE,
    AS_OF,
    LETROZOLE,
    TESTOSTERONE,
    days_ago,
    e2,
    lab,
    make,
    med,
    run,
    scan,
    total_t,
    vitd,
)


def _finding(result: Assessment, code: str) -> Finding:
    return next(f for f in result.findings if f.code == code)


def _action(result: Assessment, code: str) -> Action:
    return next(a for a in result.actions if a.code == code)


def _row(result: Assessment, test: str) -> tuple[str, dt.date | None, dt.date | None, str]:
    return next(row for row in result.monitoring if row[0] == test)


# --- 1. a hip fracture named in history.conditions ---------------------------------------------------

def _woman_70(conditions: list[str], **history: Any) -> dict[str, Any]:
    """The reviewer's p9: 70, one fragility fracture after 50, normal BMD (T -0.8 / -0.9)."""
    return make(sex="female", age=70, status="postmenopausal",
                history={"prior_fragility_fractures": 1, "conditions": conditions, **history},
                labs=[vitd(34)],
                dxa=[scan("lumbar_spine", t=-0.8, age_days=40),
                     scan("femoral_neck", t=-0.9, age_days=40)])


def test_hip_fracture_in_conditions_is_raised_and_treatment_discussed_whatever_the_bmd() -> None:
    text = "hip fracture 2024 after fall from standing height"
    result = run(_woman_70([text]))
    hip = _finding(result, "HIP_FRACTURE_IN_CONDITIONS")
    assert hip.severity == "high"
    assert text in hip.message and "if it was a fragility fracture" in hip.message.lower()
    assert "whatever the BMD" in hip.message
    assert {"bhof_2022", "camacho_aace_2020"} <= set(hip.evidence)
    discuss = _action(result, "DISCUSS_ANTIRESORPTIVE")
    assert discuss.priority == 1 and discuss.due == AS_OF
    assert "if the hip fracture" in discuss.message and "was a fragility fracture" in discuss.message
    assert "HIP_FRACTURE_IN_CONDITIONS" in discuss.because
    # the text is not read as a diagnosis: BMD stays normal, the fracture count unchanged
    assert "BMD_NORMAL" in result.finding_codes() and "BMD_OSTEOPOROSIS" not in result.finding_codes()
    assert result.facts["prior_fragility_fractures"].value == 1


def test_a_fracture_at_another_site_with_normal_bmd_stays_with_the_fracture_risk_rules() -> None:
    """The deliberate rule: normal BMD with a non-hip, non-vertebral fracture is decided by FRAX (BHOF
    2022 applies its thresholds to low bone mass), even with a high Garvan band."""
    result = run(_woman_70(["wrist fracture 2024 after fall from standing height"]))
    assert "FRACTURE_RISK_HIGH" in result.finding_codes()
    assert "HIP_FRACTURE_IN_CONDITIONS" not in result.finding_codes()
    assert "DISCUSS_ANTIRESORPTIVE" not in result.action_codes()


def test_hip_fracture_in_conditions_on_an_antiresorptive_is_moderate_without_a_new_discussion() -> None:
    doc = _woman_70(["fractured neck of femur 2021"])
    doc["medications"] = [ALENDRONATE]
    result = run(doc)
    assert _finding(result, "HIP_FRACTURE_IN_CONDITIONS").severity == "moderate"
    assert "DISCUSS_ANTIRESORPTIVE" not in result.action_codes()


@pytest.mark.parametrize("text", [
    "hip fracture 2024 after fall from standing height",
    "left hip fracture 2023 (fall from standing), hemiarthroplasty",
    "fractured neck of femur 2019",
    "#NOF 2021",
    "Fx R hip 2022",
    "broken hip after a trip",
    "left intertrochanteric fracture, ORIF",
    "proximal femur fracture",
    "femoral neck fracture (fall)",
    "hip fracture without surgery",
])
def test_hip_fracture_wordings_are_recognised(text: str) -> None:
    assert mentions_hip_fracture(text)


@pytest.mark.parametrize("text", [
    "no hip fracture",
    "denies fractured hip",
    "hip fracture ruled out on MRI",
    "mother had a hip fracture",
    "hip fracture risk 4 % (FRAX)",
    "wrist fracture 2020",
    "hip replacement for osteoarthritis",
    "denies previous fractures; hip pain",
    "",
])
def test_negated_or_other_mentions_are_not_taken_for_a_hip_fracture(text: str) -> None:
    assert not mentions_hip_fracture(text)


def test_only_the_entries_that_mention_one_are_quoted() -> None:
    assert hip_fracture_mentions(["hypertension", "hip fracture 2020", "no hip fracture"]) == [
        "hip fracture 2020"]


# --- 2. vitamin D before an antiresorptive, and the schedule's recheck date --------------------------

def _letrozole_58(vitamin_d: float) -> dict[str, Any]:
    """The reviewer's p4: 58, letrozole, former smoker, spine T -2.3, no vitamin D supplement."""
    return make(sex="female", age=58, status="postmenopausal",
                history={"breast_cancer": True, "smoking": "former"}, medications=[LETROZOLE],
                labs=[vitd(vitamin_d, 17), lab("calcium", 9.4, "mg/dL", 17),
                      lab("egfr", 82, "mL/min/1.73m2", 17)],
                dxa=[scan("lumbar_spine", t=-2.3, age_days=12),
                     scan("femoral_neck", t=-1.5, age_days=12)],
                lifestyle={"supplements": []})


def test_antiresorptive_discussion_says_to_correct_vitamin_d_deficiency_first() -> None:
    result = run(_letrozole_58(14))
    discuss = _action(result, "DISCUSS_ANTIRESORPTIVE")
    assert discuss.priority == 1
    assert "25(OH)D 14 ng/mL" in discuss.message
    assert "corrected" in discuss.message and "before zoledronic acid or denosumab" in discuss.message
    assert {"reclast_label", "prolia_label"} <= set(discuss.evidence)
    assert "VITAMIN_D_DEFICIENT" in discuss.because


def test_no_vitamin_d_qualification_without_a_current_deficiency() -> None:
    for doc in (_letrozole_58(25), _letrozole_58(45)):
        discuss = _action(run(doc), "DISCUSS_ANTIRESORPTIVE")
        assert "25(OH)D" not in discuss.message
    stale = _letrozole_58(14)
    stale["labs"][0] = vitd(14, 400)  # older than the 12-month window: re-measured, not acted on
    assert "25(OH)D" not in _action(run(stale), "DISCUSS_ANTIRESORPTIVE").message


def test_schedule_vitamin_d_is_due_when_the_recheck_action_is() -> None:
    result = run(_letrozole_58(14))
    recheck = _action(result, "CHECK_VITAMIN_D")
    assert recheck.due == AS_OF + dt.timedelta(days=90)
    _, last, due, basis = _row(result, "25(OH)D")
    assert last == dt.date.fromisoformat(days_ago(17))
    assert due == recheck.due
    assert "3 months" in basis and "yearly" in basis


def test_schedule_vitamin_d_stays_yearly_without_a_recheck() -> None:
    result = run(_letrozole_58(45))
    assert "CHECK_VITAMIN_D" not in result.action_codes()
    _, last, due, basis = _row(result, "25(OH)D")
    assert last is not None and due == last + dt.timedelta(days=365)
    assert basis.endswith("; yearly")


# --- 3. an aromatase inhibitor in a man without testosterone therapy ---------------------------------

def _man_33(medications: list[dict[str, Any]], estradiol: float = 11) -> dict[str, Any]:
    """The reviewer's p7: 33, anastrozole 1 mg daily for infertility, no testosterone therapy."""
    return make(sex="male", age=33, medications=medications,
                history={"hypogonadism": True, "conditions": ["oligospermia, trying to conceive"]},
                labs=[e2(estradiol), total_t(520), vitd(34)])


def test_ai_alone_in_a_man_is_not_described_as_an_add_on_to_testosterone_therapy() -> None:
    result = run(_man_33([ANASTROZOLE]))
    finding = _finding(result, "AI_USE_IN_MEN")
    assert finding.severity == "moderate"
    assert "routine use with testosterone therapy" not in finding.message
    assert "no testosterone therapy on record" in finding.message
    assert "infertil" in finding.message and "conditional recommendation" in finding.message
    assert "spine BMD" in finding.message  # the bone reasons still apply
    assert "schlegel_aua_asrm_2021" in finding.evidence
    review = _action(result, "REVIEW_AROMATASE_INHIBITOR")
    assert "needed at all" not in review.message and "reason" in review.message
    assert review.priority == 1  # estradiol 11 pg/mL on the inhibitor is low (ESTRADIOL_LOW)


def test_ai_alone_in_a_man_with_estradiol_in_range_is_reviewed_at_priority_2() -> None:
    result = run(_man_33([ANASTROZOLE], estradiol=25))
    assert "ESTRADIOL_LOW" not in result.finding_codes()
    assert _action(result, "REVIEW_AROMATASE_INHIBITOR").priority == 2


def test_hcg_with_an_ai_is_not_testosterone_therapy() -> None:
    hcg = med("hcg", "1500 IU", "3.5 d", route="subcutaneous")
    finding = _finding(run(_man_33([hcg, ANASTROZOLE])), "AI_USE_IN_MEN")
    assert "routine use with testosterone therapy" not in finding.message


def test_ai_added_to_testosterone_therapy_keeps_its_wording_and_severity() -> None:
    result = run(make(sex="male", age=55, medications=[TESTOSTERONE, ANASTROZOLE],
                      labs=[e2(22), total_t(600)]))
    finding = _finding(result, "AI_USE_IN_MEN")
    assert finding.severity == "high"
    assert "routine use with testosterone therapy" in finding.message
    review = _action(result, "REVIEW_AROMATASE_INHIBITOR")
    assert review.priority == 1 and "needed at all" in review.message


# --- 4. the DXA interval after a significant loss on an inhibitor -----------------------------------

def _premenopausal_gos_exe(spine_now: float) -> dict[str, Any]:
    """The reviewer's p6: 40, goserelin with exemestane, spine BMD 1.02 g/cm² a year before."""
    return make(sex="female", age=40, status="premenopausal", history={"breast_cancer": True},
                medications=[med("goserelin", "3.6 mg", "28 d", start_days_ago=365,
                                 route="subcutaneous"),
                             med("exemestane", "25 mg", start_days_ago=335)],
                labs=[e2(4, 90), vitd(42, 90)],
                dxa=[scan("lumbar_spine", t=-0.6, z=-0.5, bmd=1.02, age_days=377),
                     scan("femoral_neck", t=-0.4, z=-0.2, bmd=0.80, age_days=377),
                     scan("lumbar_spine", t=-1.1, z=-1.0, bmd=spine_now, age_days=12),
                     scan("femoral_neck", t=-0.6, z=-0.4, bmd=0.78, age_days=12)])


def test_significant_loss_on_an_inhibitor_shortens_the_dxa_interval_to_12_months() -> None:
    result = run(_premenopausal_gos_exe(0.96))
    assert "BMD_SIGNIFICANT_LOSS" in result.finding_codes()
    assert result.facts["dxa_interval_months"].value == 12
    last_scan = dt.date.fromisoformat(days_ago(12))
    assert result.facts["next_dxa_due"].value == add_months(last_scan, 12)
    _, _, due, basis = _row(result, "DXA")
    assert due == add_months(last_scan, 12)
    assert "every 12 months" in basis and "Hadji 2017" in basis


def test_without_a_significant_loss_ovarian_suppression_with_an_ai_still_gives_12_months() -> None:
    """Without a loss the interval is not shortened for one, but ovarian suppression with an AI
    before the menopause is itself yearly (ABCSG-12; Hadji 2017; ESMO 2020)."""
    result = run(_premenopausal_gos_exe(1.00))
    assert "BMD_SIGNIFICANT_LOSS" not in result.finding_codes()
    assert result.facts["dxa_interval_months"].value == 12
    note = str(result.facts["dxa_interval_note"].value)
    assert "ovarian suppression" in note and "least significant change" not in note


def test_dxa_plan_loss_on_ai() -> None:
    last = dt.date(2025, 1, 10)
    plan = dxa_plan(as_of=AS_OF, reasons=("aromatase inhibitor",), last_scan=last,
                    on_treatment=True, lowest_score=-1.1, baseline_missing=False, loss_on_ai=True)
    assert plan.interval_months == 12 and plan.next_due == dt.date(2026, 1, 10)
    assert plan.interval_note and not plan.overdue
    usual = dxa_plan(as_of=AS_OF, reasons=("aromatase inhibitor",), last_scan=last,
                     on_treatment=True, lowest_score=-1.1, baseline_missing=False)
    assert usual.interval_months == 24 and usual.interval_note == ""


def test_the_impact_action_keeps_drop_landings_back_where_the_plan_does() -> None:
    """Review: the assessment advised drop landings where the plan stops at jumps (its moderate
    impact cap, e.g. no DXA on file); now the action says drop landings wait, and why."""
    from tests.clinic.builders import LETROZOLE, make, run, scan

    lifestyle = {"impact_sessions_per_week": 0}
    no_scan = run(make(sex="female", age=58, medications=[LETROZOLE], lifestyle=lifestyle,
                       history={"breast_cancer": True}))
    assert no_scan.facts["impact_moderate_only"].value is not None
    action = next(a for a in no_scan.actions if a.code == "ADD_IMPACT_TRAINING")
    assert action.message.startswith("Add moderate impact loading (jumps")
    assert "drop landings wait (moderate impact only: " in action.message
    assert "no DXA on file" in action.message
    cleared = run(make(sex="female", age=58, medications=[LETROZOLE],
                       lifestyle={**lifestyle, "training_setting": "gym"},
                       history={"breast_cancer": True},
                       dxa=[scan("lumbar_spine", t=-0.5), scan("femoral_neck", t=-0.6)]))
    assert cleared.facts["impact_moderate_only"].value is None
    action = next(a for a in cleared.actions if a.code == "ADD_IMPACT_TRAINING")
    assert action.message.startswith("Add impact loading (jumps, drop landings)")


def test_the_spine_is_spared_after_denosumab_is_stopped() -> None:
    """Review: after a denosumab stop (no bisphosphonate since) the plan spares the spine but the
    assessment said nothing of it; it now asks to avoid loaded flexion, naming the window."""
    from tests.clinic.builders import days_ago, make, med, run, scan

    stopped = med("denosumab", "60 mg", "6 mo", start_days_ago=1500, route="subcutaneous",
                  stop=days_ago(230))
    result = run(make(sex="female", age=66, medications=[stopped],
                      dxa=[scan("lumbar_spine", t=-1.2), scan("femoral_neck", t=-1.1)]))
    assert result.facts["denosumab_rebound_risk"].value is not None
    action = next(a for a in result.actions if a.code == "AVOID_LOADED_SPINAL_FLEXION")
    assert "while bone turnover rebounds after denosumab was stopped (denosumab stopped" in action.message
    assert "cummings_2018" in action.evidence
    ongoing = run(make(sex="female", age=66, medications=[med("denosumab", "60 mg", "6 mo",
                                                                  start_days_ago=1500,
                                                                  route="subcutaneous")],
                       dxa=[scan("lumbar_spine", t=-1.2), scan("femoral_neck", t=-1.1)]))
    assert ongoing.facts["denosumab_rebound_risk"].value is None
    assert "AVOID_LOADED_SPINAL_FLEXION" not in set(ongoing.action_codes())


# --- follow-up review: a cue counts only when it governs the mention; a loss is the AI's only on it ---

@pytest.mark.parametrize("text", [
    "no complications after hip fracture surgery 2022",
    "not walking well since hip fracture 2023",
    "hip fracture 2023 while visiting her sister",
    "subcapital fracture left femur 2021",
    "pertrochanteric fracture 2020",
    "subtrochanteric fracture R femur 2019",
    "NOF fracture 2018",
    "fracture of the greater trochanter",
    "no trauma hip fracture 2023",
    "lives with her husband since hip fracture 2021",
    "hip fracture 2022 with high risk of falls",
    "hip fracture 2019 on alendronate for prevention of further fractures",
])
def test_a_cue_that_does_not_govern_the_mention_keeps_it(text: str) -> None:
    assert mentions_hip_fracture(text)


@pytest.mark.parametrize("text", [
    "no hip fracture",
    "mother's hip fracture",
    "mother\u2019s hip fracture",
    "family history of hip fracture",
    "hip replacement for arthritis",
    "FH hip fracture",
    "parental hip fracture",
    "mother (85) had a hip fracture",
    "hip fracture in her mother",
    "hip fracture (father)",
    "denies any previous hip fracture",
    "never had a hip fracture",
    "hip X-ray: no fracture",
    "hip fracture was excluded on MRI",
    "risk of hip fracture",
    "FRAX hip fracture 3.1 %",
])
def test_a_governing_negation_owner_or_risk_still_excludes_the_mention(text: str) -> None:
    assert not mentions_hip_fracture(text)


def _letrozole_with_spine_loss(*, start_days_ago: int, earlier_days: int,
                               later_days: int) -> dict[str, Any]:
    """64, letrozole for breast cancer; spine BMD 1.02 -> 0.96 g/cm² (beyond the LSC)."""
    return make(sex="female", age=64, status="postmenopausal", history={"breast_cancer": True},
                medications=[med("letrozole", "2.5 mg", start_days_ago=start_days_ago)],
                labs=[vitd(42, 60)],
                dxa=[scan("lumbar_spine", t=-0.6, bmd=1.02, age_days=earlier_days),
                     scan("femoral_neck", t=-0.4, bmd=0.80, age_days=earlier_days),
                     scan("lumbar_spine", t=-1.1, bmd=0.96, age_days=later_days),
                     scan("femoral_neck", t=-0.5, bmd=0.80, age_days=later_days)])


def test_a_loss_measured_after_the_inhibitor_started_shortens_the_interval() -> None:
    result = run(_letrozole_with_spine_loss(start_days_ago=400, earlier_days=377, later_days=12))
    assert "BMD_SIGNIFICANT_LOSS" in result.finding_codes()
    assert result.facts["dxa_interval_months"].value == 12
    assert result.facts["dxa_interval_note"].value


def test_a_loss_measured_before_the_inhibitor_started_is_not_put_down_to_it() -> None:
    result = run(_letrozole_with_spine_loss(start_days_ago=60, earlier_days=800, later_days=90))
    assert "BMD_SIGNIFICANT_LOSS" in result.finding_codes()
    assert result.facts["dxa_interval_months"].value == 24
    assert not result.facts["dxa_interval_note"].value
    last_scan = dt.date.fromisoformat(days_ago(90))
    _, _, due, basis = _row(result, "DXA")
    assert due == add_months(last_scan, 24)
    assert "aromatase inhibitor" in basis and "every 24 months" in basis
    assert "shortened" not in basis
    # a scan on the day the inhibitor started was taken before it could act
    same_day = run(_letrozole_with_spine_loss(start_days_ago=90, earlier_days=800, later_days=90))
    assert same_day.facts["dxa_interval_months"].value == 24
    # nor does the treatment discussion call it a loss on the inhibitor
    for before in (result, same_day):
        assert before.facts["bmd_significant_loss_on_ai"].value is False
        assert not any("falling beyond the least significant change on an aromatase inhibitor"
                       in a.message for a in before.actions)
    after = run(_letrozole_with_spine_loss(start_days_ago=400, earlier_days=377, later_days=12))
    assert any("falling beyond the least significant change on an aromatase inhibitor" in a.message
               for a in after.actions if a.code == "DISCUSS_ANTIRESORPTIVE")
