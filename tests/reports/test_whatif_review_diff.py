"""Review of the diff (findings 7, 8, 12): the what-if reads the one kidney-limit table per
illustrated course, keeps the impact on record at the plan's "low" cap as the assessment does, and
counts months with ``units.DAYS_PER_MONTH``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteotwin.clinic import assess
from osteotwin.records import PatientRecord, parse_patient_document
from osteotwin.reports import whatif
from osteotwin.reports.sections import plan_section
from osteotwin.reports.whatif import Illustration, PlanTarget, alternatives, illustration
from osteotwin.simulate import Scenario, caveats
from osteotwin.units import DAYS_PER_MONTH
from tests.clinic.builders import AS_OF, BC, LETROZOLE, lab, make, scan, vitd

RULES = Path(whatif.__file__).resolve().parents[1] / "data" / "clinic" / "rules.yaml"


def _woman(labs: list[dict[str, Any]], *, medications: list[dict[str, Any]] | None = None,
           age: float = 64, breast_cancer: bool = True,
           lifestyle: dict[str, Any] | None = None) -> PatientRecord:
    return parse_patient_document(make(
        sex="female", age=age, status="postmenopausal", history={**BC} if breast_cancer else {},
        medications=[LETROZOLE] if medications is None else medications, labs=labs,
        dxa=[scan("lumbar_spine", t=-2.7), scan("femoral_neck", t=-2.2)],
        lifestyle={"dietary_calcium": "700 mg/d", "resistance_sessions_per_week": 0,
                   "impact_sessions_per_week": 0, **(lifestyle or {})}), source="test")


def _labs(egfr: float) -> list[dict[str, Any]]:
    return [lab("egfr", egfr, "mL/min/1.73m2"), lab("calcium", 9.2, "mg/dL"), vitd(32)]


# --- finding 7: one kidney table, each course against its own product's limit ---

def test_zoledronic_acid_4mg_is_not_swapped_for_denosumab_at_an_egfr_of_30_to_35() -> None:
    """Zometa's limit is 30 mL/min: at eGFR 32 the aromatase-inhibitor course (4 mg every 6 months)
    stays; the old code swapped it for denosumab on the assessment's eGFR-under-35 finding."""
    shown = illustration(_woman(_labs(32)), AS_OF)
    assert shown is not None and shown.situation == "aromatase_inhibitor"
    assert shown.kidney is None and shown.replaced is None
    assert shown.label == "zoledronic acid 4 mg every 6 months from today (illustration)"


def test_zoledronic_acid_4mg_is_swapped_below_the_zometa_limit() -> None:
    shown = illustration(_woman(_labs(29)), AS_OF)
    assert shown is not None and (shown.situation, shown.replaced) == ("kidney_limit", "aromatase_inhibitor")
    assert "not recommended below a creatinine clearance of 30 mL/min (Zometa label" in shown.caution()
    assert "Reclast" not in shown.caution() and "reclast_label" not in shown.sources


def test_alendronate_is_swapped_below_the_fosamax_limit() -> None:
    shown = illustration(_woman(_labs(32), medications=[], breast_cancer=False), AS_OF)
    assert shown is not None and (shown.situation, shown.replaced) == ("kidney_limit", "other")
    assert ("alendronate 70 mg weekly is not recommended below a creatinine clearance of 35 mL/min "
            "(Fosamax label") in shown.caution()
    assert {"fosamax_label", "fda_prolia_2024", "prolia_label"} <= set(shown.sources)


def test_the_illustrations_kidney_decision_and_words_come_from_the_one_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed limit in ``simulate.caveats.KIDNEY_LIMITS`` changes the decision and the note: no
    hand-written number is left in the what-if."""
    moved = dataclasses.replace(caveats.ZOMETA, crcl_ml_min=45.0)
    monkeypatch.setattr(caveats, "KIDNEY_LIMITS", tuple(
        moved if limit is caveats.ZOMETA else limit for limit in caveats.KIDNEY_LIMITS))
    shown = illustration(_woman(_labs(40)), AS_OF)
    assert shown is not None and shown.situation == "kidney_limit"
    assert "below a creatinine clearance of 45 mL/min (Zometa label" in shown.caution()


# --- finding 8: recorded impact at the "low" cap, read as the assessment reads it ---

def _old_woman_with_impact() -> PatientRecord:
    # 77: the plan's screen caps impact at heel drops ("low"), not at brisk walking
    return _woman(_labs(80), age=77, lifestyle={"impact_sessions_per_week": 2})


def test_recorded_impact_is_kept_at_the_low_cap_as_in_the_assessment() -> None:
    record = _old_woman_with_impact()
    plan = plan_section(record, AS_OF, weeks=1)
    assert isinstance(plan, dict), plan
    target = PlanTarget.from_plan(plan)
    assert target.impact_cap == "low"
    # the assessment says nothing about the recorded impact at this cap
    messages = " ".join(a.message for a in assess(record, AS_OF).actions)
    assert "impact training now recorded" not in messages
    base = Scenario.from_record(record, years=1)
    course = next(s for s in alternatives(base, plan=target) if s.lifestyle_from_t0 is not None)
    assert base.subject.lifestyle.impact_sessions_per_week == 2
    assert course.lifestyle_from_t0 is not None
    assert course.lifestyle_from_t0.impact_sessions_per_week == 2
    words = target.describe(2)
    assert "is dropped" not in words
    assert "the impact training on record (2 a week) included" in words
    assert "heel drops" in words and "as the assessment reads them" in words


def test_the_caps_that_drop_recorded_impact_are_the_assessments() -> None:
    """The report's ``RECORDED_IMPACT_DROPPED_CAPS`` and the rule that asks for the recorded impact
    to be reviewed (act-supervised-exercise-current-impact) name the same caps."""
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))["rules"]
    rule = next(r for r in rules if r["id"] == "act-supervised-exercise-current-impact")
    caps = [c["eq"] for c in rule["when"]["all"] if c.get("fact") == "impact_cap"]
    assert tuple(caps) == whatif.RECORDED_IMPACT_DROPPED_CAPS


# --- finding 12: one definition of a month ---

def test_the_illustrations_months_use_days_per_month() -> None:
    """76.05 days is 2.50 months of 30.4 days (printed "3") but 2.499 of 30.4375 (printed "2")."""
    start = 76.05
    assert round(start / DAYS_PER_MONTH) == 2
    shown = Illustration("other", start_d=start)
    assert "starting in about 2 months" in shown.label


def test_an_illustration_for_a_kept_4mg_course_at_a_reduced_dose_band_says_the_zometa_dose() -> None:
    """At eGFR 45 the 4 mg course is shown, and its Zometa reduced dose (3.3 mg at 40-49 mL/min) is
    said as a label limit beside it."""
    record = _woman(_labs(45))
    shown = illustration(record, AS_OF)
    assert shown is not None and shown.situation == "aromatase_inhibitor"
    scenario = alternatives(Scenario.from_record(record, years=1), shown)[-1]
    found = {c.code: c for c in caveats.model_caveats(scenario, caveats.recorded_egfr(record, AS_OF))}
    assert "3.3 mg at a creatinine clearance of 40 to below 50 mL/min" in \
        found["BISPHOSPHONATE_KIDNEY_DOSE_ZOMETA"].message
