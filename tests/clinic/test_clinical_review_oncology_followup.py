"""Oncology review, follow-up: decision-support wording of the vitamin D and denosumab actions, a
vitamin D level already at 30 ng/mL on an aromatase inhibitor (kept, not raised toward 30), cumulative
DXA loss against the least significant change (ISCD), the adjuvant zoledronic acid course (Dhesy-Thind
2017) and the end of aromatase-inhibitor therapy (Hadji 2017; Tsourdi 2021)."""

from __future__ import annotations

from typing import Any

import pytest

from osteotwin.clinic import Assessment
from tests.clinic.builders import (
    BC,
    LETROZOLE,
    PROLIA,
    days_ago,
    hip_spine,
    kidney_labs,
    make,
    med,
    run,
    scan,
    vitd,
)

LABS = kidney_labs()


def _woman(medications: list[dict[str, Any]], *, age: float = 67,
           labs: list[dict[str, Any]] | None = None, dxa: list[dict[str, Any]] | None = None,
           lifestyle: dict[str, Any] | None = None) -> Assessment:
    return run(make(sex="female", age=age, status="postmenopausal", history=BC,
                    medications=medications, labs=[*LABS, *(labs or [])], lifestyle=lifestyle,
                    dxa=dxa or hip_spine(-1.2, 200)))


def _action(result: Assessment, code: str) -> Any:
    return next((a for a in result.actions if a.code == code), None)


# --- 1. wording ---------------------------------------------------------------------------------------

def test_vitamin_d_intake_on_an_ai_is_worded_for_discussion_not_as_an_order() -> None:
    action = _action(_woman([LETROZOLE]), "START_VITAMIN_D")
    assert action is not None and "act-start-vitd-ai-intake" in action.rules
    assert "take at least" not in action.message
    assert "consider discussing vitamin D3 of at least 800 IU/d" in action.message


def test_denosumab_dose_due_gives_the_label_interval_not_an_order() -> None:
    action = _action(_woman([LETROZOLE, PROLIA]), "DENOSUMAB_DOSE_DUE")
    assert action is not None
    assert "keep to" not in action.message and "do not stop" not in action.message
    assert "the label's interval is every 6 months" in action.message
    assert "more than 16 weeks late carried 3.9 times the vertebral-fracture risk" in action.message


def test_a_level_already_above_30_on_an_ai_is_kept_not_raised_toward_30() -> None:
    """30 to 40 ng/mL on an aromatase inhibitor with enough intake: kept, so no START_VITAMIN_D (the
    code means starting or raising) and no recheck "after changing the dose" (oncology review #14);
    the finding says the level is kept."""
    supplements = {"supplements": [{"name": "vitamin_d3", "dose": "2000 IU/d"}]}
    kept = _woman([LETROZOLE], labs=[vitd(34)], lifestyle=supplements)
    assert _action(kept, "START_VITAMIN_D") is None and _action(kept, "CHECK_VITAMIN_D") is None
    finding = next(f for f in kept.findings if f.code == "VITAMIN_D_BELOW_AI_TARGET")
    assert "at the general target" in finding.message and "no change" in finding.message
    assert "not a guideline threshold" in finding.message
    # below 30 ng/mL the level is still raised toward 30
    low = _action(_woman([LETROZOLE], labs=[vitd(24)], lifestyle=supplements), "START_VITAMIN_D")
    assert low is not None and "toward 25(OH)D of at least 30 ng/mL" in low.message


# --- 2. cumulative DXA loss against the least significant change ------------------------------------

def _series(site: str, values: list[float], ages: list[int], device: str = "hologic"
            ) -> list[dict[str, Any]]:
    return [scan(site, bmd=v, t=-1.5, age_days=a, device=device) for v, a in zip(values, ages, strict=True)]


YEARLY = [1850, 1460, 1095, 730, 365, 60]


def test_a_loss_in_steps_each_below_the_lsc_is_caught_over_the_whole_series() -> None:
    spine = _series("lumbar_spine", [1.000, 0.988, 0.975, 0.962, 0.950, 0.937], YEARLY)  # -6.3 %
    hip = _series("total_hip", [0.800, 0.790, 0.780, 0.770, 0.760, 0.7512], YEARLY)  # -6.1 %
    letrozole = med("letrozole", "2.5 mg", start_days_ago=1840)
    result = _woman([letrozole], dxa=[*spine, *hip])
    finding = next((f for f in result.findings if f.code == "BMD_SIGNIFICANT_LOSS"), None)
    assert finding is not None
    assert f"lumbar spine -6.3 % from {days_ago(1850)} to {days_ago(60)}" in finding.message
    assert f"total hip -6.1 % from {days_ago(1850)} to {days_ago(60)}" in finding.message
    assert "cumulative, from the earliest comparable scan over 5 scan intervals" in finding.message
    # each step was below the LSC: the consecutive change is not itself a significant loss
    assert not result.densitometry.sites["lumbar_spine"].change.significant_loss  # type: ignore[union-attr]
    assert result.facts["bmd_significant_loss_on_ai"].value is True
    assert _action(result, "DISCUSS_ANTIRESORPTIVE") is not None


def test_the_scan_at_the_start_of_the_inhibitor_is_a_baseline_too() -> None:
    ages = [2900, *YEARLY]
    spine = _series("lumbar_spine", [0.950, 1.000, 0.988, 0.975, 0.962, 0.950, 0.937], ages)
    letrozole = med("letrozole", "2.5 mg", start_days_ago=1840)
    finding = next(f for f in _woman([letrozole], dxa=spine).findings
                   if f.code == "BMD_SIGNIFICANT_LOSS")
    assert f"from {days_ago(1850)} to {days_ago(60)}" in finding.message
    assert "the scan at the start of the aromatase inhibitor" in finding.message
    assert days_ago(2900) not in finding.message  # -1.4 % from the earliest: within the LSC


def test_cumulative_comparison_needs_the_same_device_and_a_loss_beyond_the_lsc() -> None:
    other = [*_series("lumbar_spine", [1.000], [1850], device="lunar"),
             *_series("lumbar_spine", [0.975, 0.962, 0.950, 0.937], YEARLY[2:])]  # -3.9 %
    letrozole = med("letrozole", "2.5 mg", start_days_ago=1840)
    assert "BMD_SIGNIFICANT_LOSS" not in {f.code for f in _woman([letrozole], dxa=other).findings}


# --- 3. the adjuvant zoledronic acid course is oncology's, not an osteoporosis drug holiday ----------

ADJUVANT_ZOL = med("zoledronic_acid", "4 mg", "6 mo", start_days_ago=1200, route="intravenous")


def test_adjuvant_zoledronic_acid_is_reviewed_as_the_oncology_course_not_a_holiday() -> None:
    result = _woman([LETROZOLE, ADJUVANT_ZOL])
    action = _action(result, "REVIEW_BISPHOSPHONATE_DURATION")
    assert action is not None
    assert tuple(action.rules) == ("act-review-adjuvant-zoledronate-duration",)
    assert "FLEX" not in action.message and "break of 2-3 years" not in action.message
    assert "6 years intravenous" not in action.message
    assert "oncology" in action.message and "3 to 5 years" in action.message
    assert "dhesy_thind_2017" in action.evidence
    row = next(r for r in result.monitoring if r[0] == "Bisphosphonate course review")
    assert "Dhesy-Thind" in row[3] and "ASBMR" not in row[3]


def test_osteoporosis_zoledronic_acid_keeps_the_drug_holiday_review() -> None:
    yearly = med("zoledronic_acid", "5 mg", "1 y", start_days_ago=1200, route="intravenous")
    action = _action(_woman([LETROZOLE, yearly]), "REVIEW_BISPHOSPHONATE_DURATION")
    assert action is not None and "FLEX" in action.message
    # without breast cancer the 6-monthly 4 mg schedule is not the adjuvant one
    no_bc = run(make(sex="female", age=67, labs=LABS, medications=[ADJUVANT_ZOL],
                     dxa=hip_spine(-2.7, 200)))
    assert "FLEX" in _action(no_bc, "REVIEW_BISPHOSPHONATE_DURATION").message


# --- 4. the end of aromatase-inhibitor therapy --------------------------------------------------------

def test_a_near_recorded_ai_stop_qualifies_the_antiresorptive_discussion() -> None:
    ending = med("letrozole", "2.5 mg", start_days_ago=1700, stop="2025-09-01")
    action = _action(_woman([ending], age=69, dxa=hip_spine(-1.9, 100)), "DISCUSS_ANTIRESORPTIVE")
    assert action is not None and "act-discuss-antiresorptive-ai-ending" in action.rules
    assert "recorded stop is 2025-09-01 (3 months from now)" in action.message
    assert "reassessed at the end of inhibitor therapy" in action.message
    assert "planned bisphosphonate" in action.message
    assert {"hadji_2017", "tsourdi_2021"} <= set(action.evidence)
    # an open-ended inhibitor, or a stop more than 12 months away, adds nothing
    for other in (LETROZOLE, med("letrozole", "2.5 mg", start_days_ago=1700, stop="2026-09-01")):
        plain = _action(_woman([other], age=69, dxa=hip_spine(-1.9, 100)), "DISCUSS_ANTIRESORPTIVE")
        assert "act-discuss-antiresorptive-ai-ending" not in plain.rules


def test_denosumab_at_the_end_of_the_inhibitor_gets_a_review_prompt() -> None:
    for stop in ("2025-09-01", days_ago(60)):
        ending = med("letrozole", "2.5 mg", start_days_ago=1700, stop=stop)
        action = _action(_woman([ending, PROLIA]), "REVIEW_ANTIRESORPTIVE_AT_AI_END")
        assert action is not None, stop
        assert "denosumab" in action.message and "planned bisphosphonate" in action.message
        assert "tsourdi_2021" in action.evidence
    long_ago = med("letrozole", "2.5 mg", start_days_ago=1700, stop=days_ago(300))
    assert _action(_woman([long_ago, PROLIA]), "REVIEW_ANTIRESORPTIVE_AT_AI_END") is None
    assert _action(_woman([LETROZOLE, PROLIA]), "REVIEW_ANTIRESORPTIVE_AT_AI_END") is None


# --- last review of the cumulative-loss and metastasis readings -------------------------------------

def _spine(bmd: float, days: int, device: str | None = "hologic") -> dict[str, Any]:
    row = scan("lumbar_spine", t=-1.5, bmd=bmd, age_days=days)
    if device is None:
        del row["device"]
    else:
        row["device"] = device
    return row


def test_a_significant_gain_on_treatment_is_not_read_as_a_cumulative_loss() -> None:
    """1.00 before the inhibitor, 0.88 on it (alendronate then started), 0.94 now (+6.8 %): no
    'falling despite antiresorptive therapy' referral."""
    from tests.clinic.builders import make, run

    result = run(make(sex="female", age=67, status="postmenopausal", history={"breast_cancer": True},
                      medications=[med("letrozole", "2.5 mg", start_days_ago=1500),
                                   med("alendronate", "70 mg", "7 d", start_days_ago=700)],
                      labs=[vitd(45)],
                      dxa=[_spine(1.0, 1600), _spine(0.88, 800), _spine(0.94, 60)]))
    assert "BMD_SIGNIFICANT_LOSS" not in result.finding_codes()
    assert "REFER_SPECIALIST" not in result.action_codes()


def test_no_cumulative_comparison_reaches_across_another_make_of_scanner() -> None:
    from tests.clinic.builders import make, run

    result = run(make(sex="female", age=67, status="postmenopausal", history={"breast_cancer": True},
                      medications=[med("letrozole", "2.5 mg", start_days_ago=1000)], labs=[vitd(45)],
                      dxa=[_spine(1.10, 1900, "GE Lunar iDXA"), _spine(1.00, 800, "Hologic Horizon"),
                           _spine(0.99, 60, None)]))
    assert "BMD_SIGNIFICANT_LOSS" not in result.finding_codes()


def test_a_loss_from_before_the_inhibitor_is_not_its() -> None:
    """1.00 ten years ago, 0.93 before letrozole, then 0.93 and 0.925 on it: the cumulative loss is
    raised, but neither the 12-month interval nor 'falling on an aromatase inhibitor' follows."""
    from tests.clinic.builders import make, run

    result = run(make(sex="female", age=62, status="postmenopausal", history={"breast_cancer": True},
                      medications=[med("letrozole", "2.5 mg", start_days_ago=2000)], labs=[vitd(45)],
                      dxa=[_spine(1.0, 3650), _spine(0.93, 2100), _spine(0.93, 1000),
                           _spine(0.925, 60)]))
    assert "BMD_SIGNIFICANT_LOSS" in result.finding_codes()
    assert result.facts["bmd_significant_loss_on_ai"].value is False
    assert result.facts["dxa_interval_months"].value == 24


@pytest.mark.parametrize(("text", "distant", "bone"), [
    ("breast cancer, 2 axillary lymph node metastases (pN1a), M0", False, False),
    ("breast cancer, no bone metastases on staging CT", False, False),
    ("lymph node and bone metastases", True, True),
    ("liver mets", True, False),
    ("stage IV breast cancer", True, False),
    ("ER+ metastatic breast cancer, bone metastases (spine, pelvis)", True, True),
    ("metastatic breast cancer (liver), no bone metastases", True, False),
])
def test_metastases_are_read_as_distant_and_in_bone_only_when_named_so(
        text: str, distant: bool, bone: bool) -> None:
    from osteotwin.clinic.history_text import names_bone_metastases, names_distant_metastases

    assert names_distant_metastases(text) is distant
    assert names_bone_metastases(text) is bone
