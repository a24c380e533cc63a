"""Second clinical review of `osteotwin assess`: serum calcium, kidney limits on bisphosphonates, the
DXA interval after a fracture, vitamin D consistency, external FRAX dates, immunoassay estradiol on
an aromatase inhibitor, the least significant change boundary, and estrogen or tamoxifen beside an
aromatase inhibitor. Real records through the real engine; each test failed before its fix."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from osteotwin.clinic.densitometry import bmd_change, least_significant_change_pct
from osteotwin.clinic.fracture_risk import RiskEstimate, external_frax
from osteotwin.clinic.model import Action, Assessment, Finding
from osteotwin.clinic.monitoring import add_months
from osteotwin.records import DxaScan, parse_patient_document
from tests.clinic.builders import (
    ANASTROZOLE,
    AS_OF,
    BC,
    LETROZOLE,
    days_ago,
    e2,
    hip_spine,
    lab,
    make,
    med,
    run,
    scan,
    vitd,
)

DENOSUMAB = med("denosumab", "60 mg", "182 d", start_days_ago=900, route="subcutaneous")


def _finding(result: Assessment, code: str) -> Finding:
    return next(f for f in result.findings if f.code == code)


def _action(result: Assessment, code: str) -> Action:
    return next(a for a in result.actions if a.code == code)


def calcium(value: float, unit: str = "mg/dL", age_days: int = 30) -> dict[str, Any]:
    return lab("calcium", value, unit, age_days)


def egfr(value: float, age_days: int = 30) -> dict[str, Any]:
    return lab("egfr", value, "mL/min/1.73m2", age_days)


# --- 1. serum calcium ---------------------------------------------------------------------------------

def test_hypercalcaemia_is_found_and_holds_back_vitamin_d_and_calcium() -> None:
    """Reviewer's m1a: 2.9 mmol/L on anastrozole with an insufficient 25(OH)D had passed silently and
    been told to raise vitamin D."""
    doc = make(sex="female", age=70, history=BC, medications=[ANASTROZOLE],
               labs=[vitd(25), calcium(2.9, "mmol/L")], lifestyle={"dietary_calcium": "600 mg/d"})
    result = run(doc)
    high = _finding(result, "SERUM_CALCIUM_HIGH")
    assert high.severity == "high" and "10.4 mg/dL" in high.message and "2.60 mmol/L" in high.message
    assert "hyperparathyroidism" in high.message and "msd_hypercalcemia" in high.evidence
    review = _action(result, "REVIEW_SERUM_CALCIUM")
    assert review.priority == 1 and "PTH" in review.message and "clinician" in review.message
    assert not {"START_VITAMIN_D", "INCREASE_CALCIUM_INTAKE"} & set(result.action_codes())
    # the same person without the calcium result is advised on vitamin D and calcium as before
    control = run(make(sex="female", age=70, history=BC, medications=[ANASTROZOLE], labs=[vitd(25)],
                       lifestyle={"dietary_calcium": "600 mg/d"}))
    assert {"START_VITAMIN_D", "INCREASE_CALCIUM_INTAKE"} <= set(control.action_codes())


@pytest.mark.parametrize(("value", "unit", "age_days", "code"), [
    (10.4, "mg/dL", 30, None), (10.5, "mg/dL", 30, "SERUM_CALCIUM_HIGH"),
    (8.4, "mg/dL", 30, None), (8.3, "mg/dL", 30, "SERUM_CALCIUM_LOW"),
    (2.05, "mmol/L", 30, "SERUM_CALCIUM_LOW"),
    (11.5, "mg/dL", 400, None), (7.5, "mg/dL", 400, None),  # older than 12 months: not today's level
])
def test_serum_calcium_limits_and_recency(value: float, unit: str, age_days: int,
                                          code: str | None) -> None:
    found = set(run(make(sex="female", age=66, labs=[calcium(value, unit, age_days)])).finding_codes())
    assert found & {"SERUM_CALCIUM_HIGH", "SERUM_CALCIUM_LOW"} == ({code} if code else set())


def test_hypocalcaemia_on_denosumab_is_corrected_first_and_calcium_not_asked_again() -> None:
    """Reviewer's m1b: calcium 7.2 mg/dL on denosumab; the dose-due action did not mention it and
    CHECK_CALCIUM_AND_RENAL asked for the calcium just measured."""
    result = run(make(sex="female", age=70, history=BC, medications=[DENOSUMAB],
                      labs=[calcium(7.2)]))
    low = _finding(result, "SERUM_CALCIUM_LOW")
    assert low.severity == "high" and "8.4 mg/dL" in low.message
    dose = _action(result, "DENOSUMAB_DOSE_DUE")
    assert "must be corrected before this injection" in dose.message
    assert "prolia_label" in dose.evidence
    check = _action(result, "CHECK_CALCIUM_AND_RENAL")
    assert check.message.startswith("Measure eGFR") and "Measure serum calcium" not in check.message
    assert _action(result, "REVIEW_SERUM_CALCIUM").priority == 1


def test_hypocalcaemia_qualifies_every_antiresorptive_proposal() -> None:
    osteoporosis = run(make(sex="female", age=70, dxa=hip_spine(-2.8), labs=[calcium(7.9)]))
    discuss = _action(osteoporosis, "DISCUSS_ANTIRESORPTIVE")
    assert "hypocalcaemia must be corrected before denosumab or zoledronic acid" in discuss.message
    assert {"prolia_label", "reclast_label"} <= set(discuss.evidence)
    # the aromatase-inhibitor algorithm's proposal (denosumab 60 mg every 6 months) likewise
    aibl = run(make(sex="female", age=62, history=BC, medications=[ANASTROZOLE],
                    dxa=hip_spine(-2.2), labs=[calcium(7.9)]))
    message = _action(aibl, "DISCUSS_ANTIRESORPTIVE").message
    assert "Discuss denosumab 60 mg" in message and "must be corrected" in message
    # "for the duration of therapy" does not leave denosumab's stop unplanned (rebound loss)
    assert "not stopped without a bisphosphonate planned to follow it" in message
    assert "tsourdi_2021" in _action(aibl, "DISCUSS_ANTIRESORPTIVE").evidence
    stopped = run(make(sex="female", age=68, medications=[
        med("denosumab", "60 mg", "6 mo", start_days_ago=900, stop=days_ago(300),
            route="subcutaneous")], labs=[calcium(7.9)]))
    assert "must be corrected" in _action(stopped, "DISCUSS_DENOSUMAB_TRANSITION").message


@pytest.mark.parametrize(("labs", "asks"), [
    ([], "Measure serum calcium and eGFR"),
    ([calcium(9.4)], "Measure eGFR"),
    ([egfr(70)], "Measure serum calcium before"),
    ([calcium(9.4, age_days=400), egfr(70, age_days=400)], "Measure serum calcium and eGFR"),
])
def test_calcium_and_renal_check_asks_only_for_what_is_not_recent(labs: list[dict[str, Any]],
                                                                   asks: str) -> None:
    result = run(make(sex="female", age=70, dxa=hip_spine(-2.8), labs=labs or None))
    assert _action(result, "CHECK_CALCIUM_AND_RENAL").message.startswith(asks)
    both = run(make(sex="female", age=70, dxa=hip_spine(-2.8), labs=[calcium(9.4), egfr(70)]))
    assert "CHECK_CALCIUM_AND_RENAL" not in both.action_codes()


# --- 2. kidney function and the bisphosphonate labels ---------------------------------------------------

def test_severe_ckd_qualifies_the_antiresorptive_proposal() -> None:
    """Reviewer's m2: eGFR 25 with osteoporosis; DISCUSS_ANTIRESORPTIVE offered a bisphosphonate."""
    result = run(make(sex="female", age=70, history=BC, dxa=[scan("lumbar_spine", t=-2.7)],
                      labs=[egfr(25)]))
    message = _action(result, "DISCUSS_ANTIRESORPTIVE").message
    assert "Kidney function rules out the bisphosphonates" in message
    assert "creatinine clearance" in message and "eGFR" in message
    assert "hypocalcaemia" in message and "CKD" in message
    assert {"reclast_label", "fosamax_label", "actonel_label", "prolia_label"} <= set(
        _action(result, "DISCUSS_ANTIRESORPTIVE").evidence)
    kidney = _finding(result, "KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE")
    assert "creatinine clearance (Cockcroft-Gault" in kidney.message


def test_egfr_30_to_35_leaves_risedronate_in_the_ai_algorithm_proposal() -> None:
    result = run(make(sex="female", age=62, history=BC, medications=[ANASTROZOLE],
                      dxa=hip_spine(-2.2), labs=[egfr(32)]))
    message = _action(result, "DISCUSS_ANTIRESORPTIVE").message
    assert message.startswith("Discuss denosumab 60 mg")
    assert "risedronate down to a clearance of 30" in message and "creatinine clearance" in message
    normal = run(make(sex="female", age=62, history=BC, medications=[ANASTROZOLE],
                      dxa=hip_spine(-2.2), labs=[egfr(60)]))
    assert "Kidney function" not in _action(normal, "DISCUSS_ANTIRESORPTIVE").message


# --- 3. DXA interval after a fragility fracture --------------------------------------------------------

@pytest.mark.parametrize("history", [{"vertebral_fracture": True},
                                     {"prior_fragility_fractures": 1}])
def test_a_fragility_fracture_gets_the_two_year_dxa_interval_whatever_the_bmd(
        history: dict[str, Any]) -> None:
    """Reviewer's m3: a vertebral fracture with femoral-neck T -0.9 was given 15 years (Gourlay 2012
    excluded people with a prior hip or clinical vertebral fracture)."""
    result = run(make(sex="female", age=70, history=history,
                      dxa=[scan("femoral_neck", t=-0.9, age_days=140)]))
    assert result.facts["dxa_interval_months"].value == 24
    last = result.facts["last_dxa_date"].value
    assert isinstance(last, dt.date) and result.facts["next_dxa_due"].value == add_months(last, 24)
    control = run(make(sex="female", age=70, dxa=[scan("femoral_neck", t=-0.9, age_days=140)]))
    assert control.facts["dxa_interval_months"].value == 180


# --- 4. vitamin D: one coherent answer -----------------------------------------------------------------

def test_a_repletion_course_begun_after_the_low_result_is_neither_raised_nor_reduced() -> None:
    """Reviewer's m8a: 8 ng/mL, then 50,000 IU weekly started; START and REDUCE both fired."""
    doc = make(sex="female", age=70, history=BC, medications=[
        ANASTROZOLE, med("vitamin_d3", "50000 IU", "7 d", start_days_ago=12)], labs=[vitd(8, 17)])
    result = run(doc)
    codes = set(result.action_codes())
    assert "REDUCE_VITAMIN_D" not in codes and "START_VITAMIN_D" not in codes
    review = _action(result, "REVIEW_VITAMIN_D_TREATMENT")
    assert review.priority == 1 and "began after the low 25(OH)D" in review.message
    assert "before zoledronic acid or denosumab" in review.message


def test_deficiency_despite_a_high_dose_asks_about_adherence_and_absorption() -> None:
    doc = make(sex="female", age=70, history=BC, medications=[
        ANASTROZOLE, med("vitamin_d3", "50000 IU", "7 d", start_days_ago=200)], labs=[vitd(15)])
    result = run(doc)
    assert not {"REDUCE_VITAMIN_D", "START_VITAMIN_D"} & set(result.action_codes())
    review = _action(result, "REVIEW_VITAMIN_D_TREATMENT")
    assert "absorption" in review.message and "taken as recorded" in review.message
    assert "holick_2011" in review.evidence


def test_an_old_low_25ohd_is_remeasured_not_treated() -> None:
    """Reviewer's m8b: a 2-year-old 15 ng/mL gave VITAMIN_D_DEFICIENT and START_VITAMIN_D beside
    CHECK_VITAMIN_D 'Measure'."""
    doc = make(sex="female", age=70, history=BC, medications=[ANASTROZOLE], labs=[vitd(15, 760)],
               lifestyle={"supplements": [{"name": "vitamin_d3", "dose": "800 IU/d"}]})
    result = run(doc)
    assert not {"VITAMIN_D_DEFICIENT", "VITAMIN_D_INSUFFICIENT",
                "VITAMIN_D_BELOW_AI_TARGET"} & set(result.finding_codes())
    assert "START_VITAMIN_D" not in result.action_codes()
    assert _action(result, "CHECK_VITAMIN_D").message == "Measure 25(OH)D."
    assert "more than 12 months old" in _finding(result, "VITAMIN_D_NOT_MEASURED").message


@pytest.mark.parametrize(("ng_ml", "age_days", "codes"), [
    (25, 300, {"VITAMIN_D_INSUFFICIENT", "START_VITAMIN_D"}),
    (25, 400, {"VITAMIN_D_NOT_MEASURED", "CHECK_VITAMIN_D"}),
    (15, 400, {"VITAMIN_D_NOT_MEASURED", "CHECK_VITAMIN_D"}),
])
def test_vitamin_d_thresholds_share_the_12_month_window(ng_ml: float, age_days: int,
                                                        codes: set[str]) -> None:
    """A man without a bone-health indication: an old low result alone still asks for a new one."""
    result = run(make(labs=[vitd(ng_ml, age_days)]))
    emitted = {*result.finding_codes(), *result.action_codes()}
    assert codes <= emitted
    if age_days > 365:
        assert not {"VITAMIN_D_DEFICIENT", "VITAMIN_D_INSUFFICIENT", "START_VITAMIN_D"} & emitted


# --- 5. external FRAX and the assessment date -------------------------------------------------------------

FRAX = {"tool": "FRAX", "major_osteoporotic_10y_pct": 12, "hip_10y_pct": 3.0}


def test_a_frax_dated_after_the_assessment_is_ignored() -> None:
    """Reviewer's m5: a FRAX dated 2026 was used for an assessment on 2025-06-01."""
    doc = make(sex="male", age=70, dxa=[scan("femoral_neck", t=-2.0)],
               frax={**FRAX, "date": (AS_OF + dt.timedelta(days=223)).isoformat()})
    result = run(doc)
    assert result.fracture_risk.primary is None
    assert any("after the assessment date" in r for r in result.fracture_risk.not_estimated)
    assert "FRACTURE_RISK_HIGH" not in result.finding_codes()
    record = parse_patient_document(doc, source="test")
    assert isinstance(external_frax(record, AS_OF + dt.timedelta(days=223)), RiskEstimate)


def test_a_frax_older_than_the_latest_dxa_carries_a_note() -> None:
    doc = make(sex="male", age=70, dxa=[scan("femoral_neck", t=-2.0, age_days=60)],
               frax={**FRAX, "date": days_ago(400)})
    result = run(doc)
    primary = result.fracture_risk.primary
    assert primary is not None and primary.model.startswith("FRAX")
    assert "before the latest DXA" in primary.limits[0]
    assert "recalculate it with the current BMD" in _finding(result, "FRACTURE_RISK_HIGH").message
    fresh = run(make(sex="male", age=70, dxa=[scan("femoral_neck", t=-2.0, age_days=60)],
                     frax={**FRAX, "date": days_ago(30)}))
    assert fresh.fracture_risk.primary is not None and fresh.fracture_risk.primary.note is None
    assert "recalculate" not in _finding(fresh, "FRACTURE_RISK_HIGH").message


# --- 6. a raised immunoassay estradiol on an aromatase inhibitor ------------------------------------------

@pytest.mark.parametrize("method", ["immunoassay", None])
def test_immunoassay_estradiol_on_exemestane_is_confirmed_first(method: str | None) -> None:
    """Reviewer's m9: exemestane, estradiol 30 pg/mL by immunoassay, flagged high with an oncology
    review at priority 1 and the LC-MS/MS repeat second."""
    doc = make(sex="female", age=70, history=BC, dxa=hip_spine(-0.5, 200),
               medications=[med("exemestane", "25 mg")], labs=[e2(30, method=method)])
    result = run(doc)
    high = _finding(result, "ESTRADIOL_HIGH")
    assert high.severity == "moderate" and "cross-react" in high.message
    assert "ESTRADIOL_METHOD_NOT_MASS_SPEC" in result.finding_codes()
    order = [a.code for a in result.actions if a.code in ("CHECK_ESTRADIOL",
                                                          "REVIEW_AROMATASE_INHIBITOR")]
    assert order == ["CHECK_ESTRADIOL", "REVIEW_AROMATASE_INHIBITOR"]
    check = _action(result, "CHECK_ESTRADIOL")
    assert check.priority == 1 and check.message.startswith("Confirm the estradiol by LC-MS/MS")
    review = _action(result, "REVIEW_AROMATASE_INHIBITOR")
    assert review.priority == 2 and review.message.startswith("If LC-MS/MS confirms")


def test_mass_spectrometry_estradiol_on_an_ai_is_still_reviewed_at_once() -> None:
    result = run(make(sex="female", age=70, history=BC, dxa=hip_spine(-0.5, 200),
                      medications=[med("exemestane", "25 mg")], labs=[e2(30, method="LC-MS/MS")]))
    assert _finding(result, "ESTRADIOL_HIGH").severity == "high"
    assert _action(result, "REVIEW_AROMATASE_INHIBITOR").priority == 1
    assert "ESTRADIOL_METHOD_NOT_MASS_SPEC" not in result.finding_codes()


# --- 7. least significant change: a change of at least the LSC ------------------------------------------

def _scan(day: int, bmd: float, site: str) -> DxaScan:
    return DxaScan(date=dt.date(2020, 1, 1) + dt.timedelta(days=day), site=site,  # type: ignore[arg-type]
                   bmd_g_cm2=bmd, device="hologic")


def test_lsc_is_2_77_times_the_iscd_precision_unrounded_to_a_tenth() -> None:
    assert [least_significant_change_pct(site) for site in (
        "lumbar_spine", "total_hip", "femoral_neck")] == [5.26, 4.99, 6.93]


@pytest.mark.parametrize(("site", "later", "significant"), [
    ("lumbar_spine", 0.9474, True), ("lumbar_spine", 0.9475, False),
    ("total_hip", 0.9501, True), ("total_hip", 0.9502, False),
    ("femoral_neck", 0.9307, True), ("femoral_neck", 0.9308, False),
])
def test_a_loss_equal_to_the_lsc_is_significant(site: str, later: float, significant: bool) -> None:
    change = bmd_change(_scan(0, 1.000, site), _scan(400, later, site))
    assert change is not None and change.significant_loss is significant
    assert (-change.change_pct >= change.lsc_pct) is significant


def test_a_spine_loss_at_the_lsc_reaches_the_finding() -> None:
    doc = make(sex="female", age=62, history=BC, medications=[ANASTROZOLE], dxa=[
        scan("lumbar_spine", t=-0.5, bmd=1.000, age_days=500),
        scan("lumbar_spine", t=-0.9, bmd=0.9474, age_days=60)])
    finding = _finding(run(doc), "BMD_SIGNIFICANT_LOSS")
    assert "-5.26 %" in finding.message and "LSC 5.26 %" in finding.message


# --- 8. estrogen or tamoxifen beside an aromatase inhibitor -----------------------------------------------

def test_estrogen_or_tamoxifen_with_an_ai_in_breast_cancer_is_raised() -> None:
    """Reviewer's m4: letrozole, tamoxifen and oral estradiol all current passed silently."""
    estradiol = med("estradiol_oral", "1 mg", start_days_ago=365)
    tamoxifen = med("tamoxifen", "20 mg", start_days_ago=730)
    both = run(make(sex="female", age=70, history=BC, medications=[LETROZOLE, tamoxifen, estradiol]))
    conflict = _finding(both, "ENDOCRINE_THERAPY_CONFLICT")
    assert conflict.severity == "high" and "ASCO 2019" in conflict.message
    assert "ATAC" in conflict.message and "shapiro_asco_2019" in conflict.evidence
    assert _action(both, "REVIEW_MEDICATION_LIST").priority == 1
    assert "ENDOCRINE_THERAPY_CONFLICT" in run(make(sex="female", age=70, history=BC, medications=[
        LETROZOLE, estradiol])).finding_codes()
    assert "ENDOCRINE_THERAPY_CONFLICT" not in run(make(sex="female", age=70, history=BC,
                                                        medications=[LETROZOLE])).finding_codes()
