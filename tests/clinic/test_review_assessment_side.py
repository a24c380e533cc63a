"""Review of the day's assessment change (the assessment side): each test fails on the code before
the fix. Findings: DXA_OVERDUE after denosumab (1), unconfirmed FHIR conditions (2), the menopause
by FSH and estradiol (3), the adjuvant kidney note (5), one eGFR < 30 diet reading (6), wording and
the "held" rule (9), ASCO 2019 calcium wording with metastases (10), one follow-on rule (11) and
named thresholds (12)."""

from __future__ import annotations

from typing import Any

from osteotwin.clinic import Assessment
from tests.clinic.builders import (
    ANASTROZOLE,
    BC,
    days_ago,
    e2,
    hip_spine,
    kidney_labs,
    lab,
    make,
    run,
    vitd,
)


def _finding(result: Assessment, code: str) -> Any:
    return next((f for f in result.findings if f.code == code), None)


def _action(result: Assessment, code: str) -> Any:
    return next((a for a in result.actions if a.code == code), None)


# --- 1. DXA overdue after denosumab stopped -----------------------------------------------------------

def _denosumab_stopped(dxa_age_days: int) -> Assessment:
    """A woman on an AI whose denosumab stopped (last injection about 10.6 months ago), with no
    bisphosphonate since, and a DXA taken before the last injection."""
    denosumab = {"drug": "denosumab", "dose": "60 mg", "route": "subcutaneous", "every": "182 d",
                 "start": "2021-01-15", "stop": "2024-10-01"}
    return run(make(sex="female", age=66, status="postmenopausal", history=BC,
                    medications=[ANASTROZOLE, denosumab], labs=[*kidney_labs(), vitd(32)],
                    dxa=hip_spine(-1.7, dxa_age_days)))


def test_dxa_overdue_after_denosumab_does_not_claim_the_24_month_interval() -> None:
    result = _denosumab_stopped(dxa_age_days=457)  # 15 months: within the 24-month interval
    finding = _finding(result, "DXA_OVERDUE")
    assert finding is not None and "dxa-overdue-after-denosumab" in finding.rules
    assert "older than the recommended interval" not in finding.message
    assert "ECTS, Tsourdi 2021" in finding.message
    order = _action(result, "ORDER_DXA")
    assert order is not None and order.rules == ("act-order-dxa-after-denosumab",)
    assert "Order a follow-up DXA on the same densitometer" not in order.message


def test_dxa_older_than_the_interval_keeps_the_interval_message() -> None:
    result = _denosumab_stopped(dxa_age_days=800)  # older than 24 months: the interval is passed
    finding = _finding(result, "DXA_OVERDUE")
    assert finding is not None and finding.rules == ("dxa-overdue",)
    assert "older than the recommended interval of 24 months" in finding.message


# --- 2. a condition the FHIR import marks unconfirmed ---------------------------------------------

PROVISIONAL = " (verification status: provisional)"


def test_unconfirmed_conditions_count_for_no_reading_that_changes_care() -> None:
    from osteotwin.clinic import history_text as ht

    mets = "Metastatic breast cancer, bone metastases" + PROVISIONAL
    assert not ht.names_distant_metastases(mets) and not ht.names_bone_metastases(mets)
    assert ht.names_distant_metastases("Metastatic breast cancer, bone metastases")
    assert ht.bilateral_oophorectomy_mentions(
        ["Bilateral oophorectomy (verification status: differential)"]) == []
    assert ht.amenorrhoea_mentions(["Amenorrhoea (verification status: unconfirmed)"]) == []
    # a hip fracture is still raised, to be confirmed
    assert ht.hip_fracture_mentions(["Hip fracture" + PROVISIONAL]) == ["Hip fracture" + PROVISIONAL]


def test_the_qualifier_words_are_the_importers() -> None:
    from osteotwin.clinic.history_text import is_unconfirmed
    from osteotwin.records.fhir.importer import UNCONFIRMED_VERIFICATION, unconfirmed_qualifier

    assert all(is_unconfirmed(f"Liver metastases {unconfirmed_qualifier(word)}")
               for word in UNCONFIRMED_VERIFICATION)
    assert not is_unconfirmed("Liver metastases (verification status: confirmed)")


def _adjuvant_candidate(conditions: list[str], *, age: float = 62) -> Assessment:
    history = {**BC, "conditions": conditions}
    return run(make(sex="female", age=age, status="postmenopausal", history=history,
                    medications=[ANASTROZOLE], labs=[*kidney_labs(), vitd(32)],
                    dxa=hip_spine(-1.2, 200)))


def test_a_provisional_metastatic_diagnosis_does_not_withdraw_the_adjuvant_discussion() -> None:
    result = _adjuvant_candidate(["Metastatic breast cancer" + PROVISIONAL])
    assert result.facts["metastases_in_conditions"].value is None
    assert _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE") is not None
    assert _action(_adjuvant_candidate(["Metastatic breast cancer"]),
                   "CONSIDER_ADJUVANT_BISPHOSPHONATE") is None


def test_a_differential_oophorectomy_does_not_establish_the_menopause() -> None:
    result = _adjuvant_candidate(["Bilateral oophorectomy (verification status: differential)"],
                                 age=52)
    assert result.facts["bilateral_oophorectomy_in_conditions"].value is None
    assert result.facts["menopause_by_record_only"].value is True


def test_an_unconfirmed_hip_fracture_is_raised_and_said_to_be_unconfirmed() -> None:
    result = _adjuvant_candidate(["Hip fracture 2023" + PROVISIONAL])
    finding = _finding(result, "HIP_FRACTURE_IN_CONDITIONS")
    assert finding is not None and "marks it as not confirmed" in finding.message


# --- 3. the menopause confirmed by FSH and estradiol on file ------------------------------------------

def _recorded_postmenopausal_at_55(labs: list[dict[str, Any]]) -> Assessment:
    history = {**BC, "conditions": ["amenorrhoea for 3 years, natural menopause at 51"]}
    return run(make(sex="female", age=55, status="postmenopausal", history=history,
                    medications=[{**ANASTROZOLE, "start": days_ago(150)}],
                    labs=[*kidney_labs(), vitd(32), *labs], dxa=hip_spine(-1.2, 200)))


def test_postmenopausal_fsh_and_lcms_estradiol_establish_the_menopause() -> None:
    result = _recorded_postmenopausal_at_55([e2(2, 90), lab("fsh", 85, "IU/L", 90)])
    assert result.facts["menopause_by_labs"].value is True
    assert result.facts["menopause_by_record_only"].value is False
    assert result.facts["menopause_confirmed"].value is True
    action = _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")
    assert action is not None and "not established" not in action.message


def test_labs_outside_the_postmenopausal_range_or_by_immunoassay_do_not() -> None:
    for labs in ([e2(2, 90), lab("fsh", 12, "IU/L", 90)],           # FSH below 30 IU/L
                 [e2(40, 90), lab("fsh", 85, "IU/L", 90)],          # estradiol above 26 pmol/L
                 [e2(2, 90, method="immunoassay"), lab("fsh", 85, "IU/L", 90)],
                 [e2(2, 400), lab("fsh", 85, "IU/L", 400)],         # over a year old
                 [e2(2, 90)]):                                      # no FSH
        result = _recorded_postmenopausal_at_55(labs)
        assert result.facts["menopause_by_record_only"].value is True, labs
        action = _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")
        assert action is not None and "FSH of 30 IU/L or more" in action.message


# --- 5. the kidney note on the adjuvant bisphosphonate, by the labels' bands --------------------------

def _adjuvant_at_egfr(egfr: float) -> Any:
    result = run(make(sex="female", age=62, status="postmenopausal", history=BC,
                      medications=[ANASTROZOLE],
                      labs=[lab("calcium", 9.2, "mg/dL"), lab("egfr", egfr, "mL/min/1.73m2"),
                            vitd(32)], dxa=hip_spine(-1.2, 200)))
    return _action(result, "CONSIDER_ADJUVANT_BISPHOSPHONATE")


def test_the_adjuvant_kidney_note_follows_the_zometa_and_clodronate_bands() -> None:
    assert "act-consider-adjuvant-bisphosphonate-kidney-50-60" in _adjuvant_at_egfr(55).rules
    assert "reduced dose for a creatinine clearance of 30-60" in _adjuvant_at_egfr(55).message
    at_45 = _adjuvant_at_egfr(45)  # above the osteoporosis finding's 35
    assert "clodronate is reduced to 1200 mg a day" in at_45.message
    assert "reduced dose for a creatinine clearance of 30-60" in at_45.message
    at_25 = _adjuvant_at_egfr(25)
    assert at_25 is not None and "800 mg a day" in at_25.message
    assert "not recommended below a creatinine clearance of 30" in at_25.message
    assert not any("kidney" in rule for rule in _adjuvant_at_egfr(80).rules)


# --- 6. one eGFR < 30 diet reading for the plan and the assessment -------------------------------------

def test_an_egfr_just_below_30_gives_the_kidney_diet_in_both_outputs() -> None:
    from osteotwin.clinic.kidney_diet import DIET_EGFR_LIMIT, diet_ckd
    from osteotwin.plan.personal import build_personal_plan
    from osteotwin.records import parse_patient_document
    from tests.clinic.builders import AS_OF

    doc = make(sex="female", age=66, status="postmenopausal", history=BC, medications=[ANASTROZOLE],
               labs=[lab("calcium", 9.4, "mg/dL"), lab("egfr", 29.996, "mL/min/1.73m2"), vitd(32)],
               dxa=hip_spine(-1.7, 200), lifestyle={"dietary_calcium": "800 mg/d"})
    record = parse_patient_document(doc, source="test")
    assert DIET_EGFR_LIMIT == 30.0 and diet_ckd(record, AS_OF)
    result = run(doc)
    assert result.facts["diet_ckd"].value is True
    action = _action(result, "INCREASE_CALCIUM_INTAKE")
    assert action is None or "1200 mg/d" not in action.message
    assert _finding(result, "CALCIUM_INTAKE_LOW") is None or \
        "1200 mg/d" not in _finding(result, "CALCIUM_INTAKE_LOW").message
    calcium = build_personal_plan(record, as_of=AS_OF).nutrition.targets.get("calcium_mg")
    assert calcium is not None and calcium.maximum == 1000.0


# --- 9. "consider" wording, and the held rule only where the addition was proposed --------------------

def _high_calcium(medications: list[dict[str, Any]]) -> Assessment:
    return run(make(sex="female", age=62, status="postmenopausal", history=BC, medications=medications,
                    labs=[lab("calcium", 11.0, "mg/dL", 12), lab("egfr", 75, "mL/min/1.73m2", 12),
                          vitd(32, 12)], dxa=hip_spine(-1.2, 200)))


def test_the_held_adjuvant_wording_suggests_and_skips_women_on_denosumab() -> None:
    review = _action(_high_calcium([ANASTROZOLE]), "REVIEW_SERUM_CALCIUM")
    assert review is not None and "act-review-calcium-high-adjuvant-held" in review.rules
    assert "Consider holding the adjuvant bisphosphonate discussion" in review.message
    assert " is held until" not in review.message
    prolia = {"drug": "denosumab", "dose": "60 mg", "route": "subcutaneous", "every": "182 d",
              "start": days_ago(900)}
    on_denosumab = _action(_high_calcium([ANASTROZOLE, prolia]), "REVIEW_SERUM_CALCIUM")
    assert on_denosumab is None or "act-review-calcium-high-adjuvant-held" not in on_denosumab.rules


def test_the_flagged_actions_are_worded_as_suggestions() -> None:
    from osteotwin.clinic.engine import load_rules

    rules = {rule.id: rule for rule in load_rules()}
    for rule_id in ("act-check-estradiol-after-amenorrhoea", "act-check-estradiol-menopause-by-record",
                    "act-refer-osteomalacia-workup", "act-review-calcium-high-adjuvant-held"):
        assert rules[rule_id].message.startswith("Consider "), rule_id


# --- 10. no ASCO 2019 cancer-survivor calcium wording with metastatic disease -------------------------

def test_calcium_advice_does_not_cite_asco_2019_with_bone_metastases() -> None:
    def calcium_low(conditions: list[str]) -> Any:
        result = run(make(sex="female", age=62, status="postmenopausal",
                          history={**BC, "conditions": conditions}, medications=[ANASTROZOLE],
                          labs=[*kidney_labs(), vitd(32)], dxa=hip_spine(-1.2, 200),
                          lifestyle={"dietary_calcium": "800 mg/d"}))
        return _finding(result, "CALCIUM_INTAKE_LOW")

    metastatic = calcium_low(["breast cancer with bone metastases (spine)"])
    assert metastatic is not None and "ASCO 2019" not in metastatic.message
    assert "shapiro_asco_2019" not in metastatic.evidence
    early = calcium_low([])
    assert early is not None and "ASCO 2019 advises 1000-1200 mg/d" in early.message


# --- 11. one definition of the follow-on bisphosphonate ------------------------------------------------

def test_the_after_denosumab_dxa_reads_the_shared_follow_on_start(monkeypatch: Any) -> None:
    import datetime as dt

    from osteotwin.clinic import facts
    from osteotwin.clinic.follow_on import bisphosphonate_followed, follow_on_start
    from osteotwin.records import parse_patient_document
    from tests.clinic.builders import AS_OF, med

    denosumab = med("denosumab", "60 mg", "182 d", start_days_ago=1600, route="subcutaneous",
                    stop=days_ago(300))
    alendronate = med("alendronate", "70 mg", "7 d", start_days_ago=150)
    doc = make(sex="female", age=66, medications=[denosumab, alendronate],
               dxa=hip_spine(-1.7, 700), labs=kidney_labs())
    record = parse_patient_document(doc, source="test")
    last_injection = run(doc).facts["denosumab_last_dose"].value
    assert isinstance(last_injection, dt.date)
    start = follow_on_start(record, last_injection, AS_OF)
    assert start == AS_OF - dt.timedelta(days=150)
    assert bisphosphonate_followed(record, last_injection, AS_OF)
    assert run(doc).facts["dxa_after_denosumab_due"].value == dt.date(start.year + 1, start.month,
                                                                        start.day)
    # the fact is built on that one function, not a copy of it
    monkeypatch.setattr(facts, "follow_on_start", lambda *_: dt.date(2025, 1, 1))
    assert run(doc).facts["dxa_after_denosumab_due"].value == dt.date(2026, 1, 1)


# --- 12. named thresholds -------------------------------------------------------------------------------

def test_the_post_bisphosphonate_dxa_tolerance_is_its_own_constant(monkeypatch: Any) -> None:
    import datetime as dt

    from osteotwin.clinic import monitoring

    assert monitoring.AFTER_DENOSUMAB_DXA_TOLERANCE_D == 90
    monkeypatch.setattr(monitoring, "DUE_SOON_D", 0)  # the action-list window is another concept
    start = dt.date(2024, 6, 1)
    due = monitoring.after_denosumab_dxa_due(
        last_scan=dt.date(2025, 4, 1), last_injection=dt.date(2024, 3, 1), transition=None,
        follow_on_start=start)
    assert due is None  # two months before 2025-06-01: counts as the 12-month scan


def test_the_pth_pairing_window_is_marked_as_osteotwins_choice() -> None:
    from pathlib import Path

    from osteotwin.clinic import facts

    text = Path(facts.__file__).read_text(encoding="utf-8")
    comment = text[:text.index("PTH_CALCIUM_PAIRING_D = 30")].rsplit("\n\n", 1)[-1]
    assert "osteotwin's choice" in comment and "Walker and Shane 2022" in comment


def test_a_high_frax_without_the_bmd_on_file_is_not_graded_high_severity() -> None:
    """A FRAX calculated without BMD while a femoral-neck T-score is on file reaches the threshold
    only as calculated (it can overstate the risk): its FRACTURE_RISK_HIGH is of moderate severity
    and says so (it had read high severity, "at or above the treatment threshold"), citing NOGG."""
    from osteotwin.clinic import assess
    from osteotwin.records import parse_patient_document

    record = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1955-01-01", "menopausal_status": "postmenopausal"},
        "medications": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-01-01"}],
        "dxa": [{"date": "2025-01-05", "site": "femoral_neck", "bmd": "0.80 g/cm2", "t_score": -0.5}],
        "fracture_risk_external": {"tool": "frax", "date": "2025-02-01", "country": "US",
                                   "bmd_included": False, "major_osteoporotic_10y_pct": 24,
                                   "hip_10y_pct": 5.1}})
    finding = next(f for f in assess(record).findings if f.code == "FRACTURE_RISK_HIGH")
    assert finding.severity == "moderate"
    assert "as calculated" in finding.message and "overstate" in finding.message
    assert "gregson_nogg_2022" in finding.evidence
    assert finding.rules == ("fracture-risk-high-model-without-bmd",)
