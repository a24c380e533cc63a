"""Review of men on testosterone, hCG or an aromatase inhibitor (reviewers' files p01b, p05, p05b, p05c,
p07, p07b): a haematocrit review says it is for the haematocrit and carries the value; old results do
not trigger "now" actions; an estradiol drawn before the inhibitor started is not read as its effect;
extrapolated and cancer-survivor guidance is said to be so; BMD messages give the lowest score's own
scan date."""

from __future__ import annotations

from typing import Any

from osteotwin.clinic import Action, Finding
from osteotwin.clinic.render import to_document
from tests.clinic.builders import (
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
)

HCG = med("hcg", "1500 IU", "3.5 d", start_days_ago=270, route="subcutaneous")


def hct(value: float, age_days: int = 4) -> dict[str, Any]:
    return lab("hematocrit", value, "%", age_days)


def _finding(doc: dict[str, Any], code: str) -> Finding:
    return next(f for f in run(doc).findings if f.code == code)


def _action(doc: dict[str, Any], code: str) -> Action:
    return next(a for a in run(doc).actions if a.code == code)


# --- haematocrit on testosterone therapy ------------------------------------------------------------

def test_haematocrit_review_names_the_haematocrit_and_carries_it_as_data() -> None:
    """p05b: Hct 56.5 % with testosterone in range; the review is for the haematocrit."""
    doc = make(medications=[TESTOSTERONE], labs=[total_t(700, 4), hct(56.5)])
    result = run(doc)
    assert "TESTOSTERONE_HIGH" not in result.finding_codes()
    review = next(a for a in result.actions if a.code == "REVIEW_TESTOSTERONE_THERAPY")
    assert review.priority == 1 and review.due == AS_OF
    assert "because of the haematocrit: 56.5 %" in review.message
    point = next(d for d in review.data if d.name == "hematocrit_pct")
    assert point.value == 56.5 and point.unit == "%" and point.date.isoformat() == days_ago(4)
    shown = next(a for a in to_document(result)["actions"]
                 if a["code"] == "REVIEW_TESTOSTERONE_THERAPY")
    assert {"name": "hematocrit_pct", "value": 56.5, "unit": "%", "date": days_ago(4)} in shown["data"]


def test_haematocrit_stays_a_reason_beside_a_high_testosterone() -> None:
    """p05: T 1450 and Hct high: because lists TESTOSTERONE_HIGH, and the haematocrit is carried too."""
    doc = make(medications=[TESTOSTERONE], labs=[total_t(1450, 4), hct(56.5)])
    review = _action(doc, "REVIEW_TESTOSTERONE_THERAPY")
    assert review.priority == 1
    assert review.because == ("TESTOSTERONE_HIGH",)
    assert "hematocrit_pct" in {d.name for d in review.data}
    assert review.message.startswith("Clinician to review testosterone therapy now because of the "
                                     "haematocrit")


def test_an_old_high_haematocrit_asks_for_a_recheck_not_a_review_now() -> None:
    """p05c: Hct 57 % three years ago and 55 % four years ago, none since (window: 12 months, the
    yearly check of Bhasin 2018)."""
    doc = make(medications=[TESTOSTERONE], labs=[total_t(600, 4), hct(57, 3 * 365), hct(55, 4 * 365)])
    review = _action(doc, "REVIEW_TESTOSTERONE_THERAPY")
    assert review.priority == 2
    assert "now" not in review.message
    assert "recheck the haematocrit" in review.message and "more than 12 months old" in review.message
    row = next(r for r in run(doc).monitoring if r[0] == "Haematocrit")
    assert row[2] == AS_OF and "over 12 months old" in row[3]
    # within the 12 months it is still today's level
    recent = _action(make(medications=[TESTOSTERONE], labs=[total_t(600, 4), hct(57, 360)]),
                     "REVIEW_TESTOSTERONE_THERAPY")
    assert recent.priority == 1 and "now because of the haematocrit" in recent.message


def test_hcg_with_a_high_haematocrit_is_worded_for_hcg() -> None:
    """p07b: hCG, no testosterone product: not "review testosterone therapy now"."""
    doc = make(age=33, medications=[HCG], labs=[total_t(650, 17), hct(56, 17)])
    review = _action(doc, "REVIEW_TESTOSTERONE_THERAPY")
    assert review.priority == 1
    assert review.message.startswith("Clinician to review the hCG therapy now")
    assert "testosterone therapy now" not in review.message
    assert "extrapolation" in review.message and review.grade == "D"


def test_haematocrit_is_in_the_monitoring_schedule_on_testosterone_therapy() -> None:
    """Bhasin 2018: haematocrit at 3-6 and 12 months, then yearly; no action code asks for it."""
    none_on_file = run(make(medications=[TESTOSTERONE], labs=[total_t(600, 4)]))
    row = next(r for r in none_on_file.monitoring if r[0] == "Haematocrit")
    assert row[1] is None and row[2] == AS_OF and "Bhasin 2018" in row[3]
    checked = run(make(medications=[TESTOSTERONE], labs=[total_t(600, 4), hct(48, 100)]))
    row = next(r for r in checked.monitoring if r[0] == "Haematocrit")
    assert row[1].isoformat() == days_ago(100) and row[2].isoformat() == days_ago(100 - 365)
    assert not any(r[0] == "Haematocrit" for r in run(make(labs=[hct(48, 100)])).monitoring)


# --- estradiol drawn before the aromatase inhibitor -------------------------------------------------

def test_estradiol_from_before_the_inhibitor_is_not_blamed_on_it() -> None:
    """p01b: E2 8 pg/mL drawn before testosterone and anastrozole started, two years ago."""
    ai = med("anastrozole", "0.5 mg", "3.5 d", start_days_ago=500)
    doc = make(medications=[med("testosterone_cypionate", "100 mg", "7 d", start_days_ago=640,
                                route="intramuscular"), ai],
               labs=[e2(8, 740), total_t(780, 12)])
    result = run(doc)
    assert "ESTRADIOL_LOW" not in result.finding_codes()
    assert "ESTRADIOL_NOT_MEASURED" in result.finding_codes()
    review = next(a for a in result.actions if a.code == "REVIEW_AROMATASE_INHIBITOR")
    assert f"drawn before the aromatase inhibitor started ({days_ago(500)})" in review.message
    assert "CHECK_BONE_TURNOVER_MARKERS" not in result.action_codes()


def test_on_ai_estradiol_threshold_reads_only_a_result_on_the_inhibitor() -> None:
    started = med("anastrozole", "1 mg", start_days_ago=30)
    # 15 pg/mL before the inhibitor: not below the off-inhibitor 15, and not an on-inhibitor level
    assert "ESTRADIOL_LOW" not in run(make(medications=[started], labs=[e2(15, 60)])).finding_codes()
    # the same level drawn on it is
    on_it = _finding(make(medications=[ANASTROZOLE], labs=[e2(15, 30)]), "ESTRADIOL_LOW")
    assert "on an aromatase" in on_it.message
    # a recent baseline below 10 is still flagged, said to predate the inhibitor
    baseline = _finding(make(medications=[started], labs=[e2(8, 60)]), "ESTRADIOL_LOW")
    assert baseline.severity == "high"
    assert f"drawn before the aromatase inhibitor started ({days_ago(30)})" in baseline.message


def test_a_premenopausal_estradiol_before_the_inhibitor_is_not_incomplete_suppression() -> None:
    goserelin = med("goserelin", "3.6 mg", "28 d", start_days_ago=60, route="subcutaneous")
    letrozole = {**LETROZOLE, "start": days_ago(20)}
    doc = make(sex="female", age=40, status="premenopausal", history={"breast_cancer": True},
               medications=[goserelin, letrozole], labs=[e2(120, 90)])
    result = run(doc)
    assert "ESTRADIOL_HIGH" not in result.finding_codes()
    assert not any("above the suppressed range" in a.message for a in result.actions)


def test_the_on_ai_estradiol_rule_cites_the_bone_threshold_paper() -> None:
    low = _finding(make(medications=[ANASTROZOLE], labs=[e2(15, 30)]), "ESTRADIOL_LOW")
    assert "finkelstein_2016" in low.evidence and "finkelstein_2013" not in low.evidence


# --- extrapolated and population-specific guidance ---------------------------------------------------

def test_dxa_for_a_man_on_an_inhibitor_outside_cancer_is_said_to_be_extrapolated() -> None:
    """p07: 33-year-old man on hCG and anastrozole, no DXA."""
    doc = make(age=33, medications=[HCG, med("anastrozole", "0.25 mg", "7 d", start_days_ago=140)],
               labs=[e2(18, 17), total_t(650, 17)])
    missing = _finding(doc, "DXA_MISSING")
    assert "extrapolated" in missing.message and missing.grade == "D"
    assert not {"uspstf_2018", "shapiro_asco_2019"} & set(missing.evidence)
    order = _action(doc, "ORDER_DXA")
    assert "extrapolated" in order.message and "shapiro_asco_2019" not in order.evidence
    # a woman treated for breast cancer keeps the guideline wording and sources
    woman = make(sex="female", age=62, history={"breast_cancer": True}, medications=[ANASTROZOLE])
    assert "extrapolated" not in _finding(woman, "DXA_MISSING").message
    assert "shapiro_asco_2019" in _action(woman, "ORDER_DXA").evidence


def test_calcium_intake_cites_asco_only_for_cancer_survivors() -> None:
    man = make(lifestyle={"dietary_calcium": "900 mg/d"})
    low = _finding(man, "CALCIUM_INTAKE_LOW")
    assert "ASCO" not in low.message and "cancer" not in low.message and "IOM 2011" in low.message
    assert "shapiro_asco_2019" not in low.evidence
    assert "shapiro_asco_2019" not in _action(man, "INCREASE_CALCIUM_INTAKE").evidence
    survivor = make(sex="female", age=62, history={"breast_cancer": True},
                    lifestyle={"dietary_calcium": "700 mg/d"})
    low = _finding(survivor, "CALCIUM_INTAKE_LOW")
    assert "ASCO 2019 advises 1000-1200 mg/d for cancer survivors" in low.message
    assert "shapiro_asco_2019" in low.evidence


# --- the date of the lowest score -------------------------------------------------------------------

def test_bmd_messages_give_the_date_of_the_lowest_scores_scan() -> None:
    """Total hip T -3.0 on an older scan, lumbar spine T -1.0 on a later one: the hip's date."""
    osteoporosis = make(sex="female", age=66, dxa=[scan("total_hip", t=-3.0, age_days=120),
                                                    scan("lumbar_spine", t=-1.0, age_days=60)])
    message = _finding(osteoporosis, "BMD_OSTEOPOROSIS").message
    assert f"at the total hip ({days_ago(120)})" in message and days_ago(60) not in message
    low = make(sex="female", age=66, dxa=[scan("total_hip", t=-2.0, age_days=120),
                                          scan("lumbar_spine", t=-0.5, age_days=60)])
    message = _finding(low, "BMD_LOW").message
    assert f"at the total hip (DXA {days_ago(120)})" in message and days_ago(60) not in message
