"""A person's plan: exercise program and nutrition plan from one patient record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osteotwin.clinic import Assessment, assess
from osteotwin.clinic.kidney_diet import diet_ckd
from osteotwin.errors import UserInputError
from osteotwin.plan.exercise.program import ExerciseProgram, build_program
from osteotwin.plan.exercise.screening import screen
from osteotwin.plan.nutrition.optimiser import DEFAULT_SETTINGS, PlannerSettings
from osteotwin.plan.nutrition.plan import (
    NutritionPlan,
    build_nutrition_plan,
    current_supplement_totals,
)
from osteotwin.plan.nutrition.targets import is_postmenopausal
from osteotwin.records import PatientRecord

MIN_WEEKS, MAX_WEEKS = 1, 52
#: The assessment's finding for a low eGFR with a bone-health indication (threshold and sources in
#: data/clinic/rules.yaml); with it, or with an eGFR below ``DIET_EGFR_LIMIT`` whatever the
#: indication, the nutrition plan holds back on protein and potassium (see ``nutrient_targets``).
KIDNEY_FINDING = "KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE"
#: Supplemental intake as the assessment counts it (``osteotwin.clinic.facts``: supplements listed under
#: lifestyle plus the vitamin D3 and calcium medicines active on the day), by the nutrition plan's
#: nutrient column: the plan counts the same intake, so that the two never disagree on it [IOM2011].
ASSESSED_SUPPLEMENT_FACTS = {"vitamin_d_iu": "vitamin_d_intake_iu_d", "calcium_mg": "supplement_calcium_mg_d"}
#: The assessment's findings that the intake is above the tolerable upper level [IOM2011], by column.
ABOVE_UPPER_LEVEL_FINDINGS = {"vitamin_d_iu": "VITAMIN_D_INTAKE_EXCESSIVE",
                              "calcium_mg": "CALCIUM_INTAKE_EXCESSIVE"}
#: The assessment's finding for a high serum calcium (threshold and sources in data/clinic/rules.yaml):
#: with it the plan raises neither calcium nor vitamin D, deferring to the assessment's
#: REVIEW_SERUM_CALCIUM (see ``targets.hold_calcium_and_vitamin_d``).
HIGH_CALCIUM_FINDING = "SERUM_CALCIUM_HIGH"
#: The kidney diet's eGFR threshold (30, KDIGO 2012 rec. 3.1.2) and its one reading, ``diet_ckd``,
#: live with the kidney targets (``clinic.kidney_diet``); the assessment's fact ``diet_ckd``
#: reads the same. At 30-35 with the assessment's kidney finding, protein is only capped (see
#: ``nutrient_targets``).
ADULT_AGE = 18  # the intake tables and exercise guidelines used are for adults


@dataclass(frozen=True)
class PersonalPlan:
    as_of: dt.date
    exercise: ExerciseProgram
    nutrition: NutritionPlan


def check_weeks(weeks: int) -> int:
    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise UserInputError("--weeks", weeks, f"a whole number of weeks from {MIN_WEEKS} to {MAX_WEEKS}",
                             problem="out of range")
    return weeks


def build_personal_plan(
    record: PatientRecord,
    *,
    weeks: int = 12,
    as_of: dt.date | None = None,
    settings: PlannerSettings = DEFAULT_SETTINGS,
) -> PersonalPlan:
    """Exercise program for ``weeks`` weeks and a week of nutrition day plans for ``record``."""
    check_weeks(weeks)
    when = as_of or record.as_of or dt.date.today()
    age = record.patient.age_on(when)
    if age < ADULT_AGE:
        raise UserInputError("patient.birth_date", record.patient.birth_date.isoformat(),
                             f"a person aged {ADULT_AGE} or over on {when.isoformat()} (targets and "
                             "exercise rules are for adults)", problem="too young for these plans")
    screening = screen(record, when)
    program = build_program(screening, weeks)
    p, life = record.patient, record.lifestyle
    assessment = assess(record, when)  # the plan's vitamin D follows its findings
    nutrition = build_nutrition_plan(
        sex=p.sex, age_years=age, weight_kg=p.weight_kg, height_cm=p.height_cm,
        diet_pattern=life.diet_pattern, food_exclusions=life.food_exclusions,
        current_supplements=_current_supplements(record, assessment),
        intake_above_upper_level=_intake_above_upper_level(assessment),
        settings=settings,
        on_aromatase_inhibitor=assessment.facts["on_ai"].value is True,
        low_vitamin_d=_low_vitamin_d(record, when, assessment),
        high_vitamin_d=_high_vitamin_d(record, when, assessment),
        kidney_function=_kidney_function(record, when),
        reduced_kidney_function=(KIDNEY_FINDING in assessment.finding_codes()
                                 or diet_ckd(record, when)),
        egfr_below_30=diet_ckd(record, when),
        postmenopausal=is_postmenopausal(p.sex, age, p.menopausal_status),
        ai_for_breast_cancer=_fact_bool(assessment, "ai_for_breast_cancer"),
        high_serum_calcium=_high_serum_calcium(record, when, assessment),
        dietary_calcium_mg=_fact_number(assessment, "dietary_calcium_mg_d"),
    )
    return PersonalPlan(when, program, nutrition)


def _current_supplements(record: PatientRecord, assessment: Assessment) -> dict[str, float]:
    """Daily supplemental intake by nutrient column: vitamin D and calcium as the assessment counts them
    (its facts: lifestyle supplements plus active vitamin D3 and calcium medicines), the others from
    the lifestyle supplements."""
    totals = current_supplement_totals((s.name, s.dose_per_day) for s in record.lifestyle.supplements)
    for nutrient, name in ASSESSED_SUPPLEMENT_FACTS.items():
        fact = assessment.facts.get(name)
        value = None if fact is None else fact.value
        # None: the assessment has no supplement data (nothing listed), which counts as none here
        amount = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
        if amount > 0:
            totals[nutrient] = amount
        else:
            totals.pop(nutrient, None)
    return totals


def _intake_above_upper_level(assessment: Assessment) -> dict[str, str]:
    """The assessment's finding, by nutrient column, where it finds the intake above the upper level."""
    messages = {f.code: f.message for f in assessment.findings}
    return {nutrient: messages[code] for nutrient, code in ABOVE_UPPER_LEVEL_FINDINGS.items()
            if code in messages}


def _fact_bool(assessment: Assessment, name: str) -> bool | None:
    fact = assessment.facts.get(name)
    return None if fact is None or not isinstance(fact.value, bool) else fact.value


def _fact_number(assessment: Assessment, name: str) -> float | None:
    fact = assessment.facts.get(name)
    value = None if fact is None else fact.value
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _high_serum_calcium(record: PatientRecord, when: dt.date, assessment: Assessment) -> str | None:
    """The latest serum calcium, in words, when the assessment finds it high (``HIGH_CALCIUM_FINDING``),
    else None."""
    if HIGH_CALCIUM_FINDING not in assessment.finding_codes():
        return None
    lab = record.latest_lab("calcium", on_or_before=when)
    if lab is None:
        return "serum calcium is high"
    reported = "" if lab.reported_unit == "mg/dL" else \
        f" (reported {lab.reported_value:g} {lab.reported_unit})"
    return f"serum calcium {lab.value:g} mg/dL{reported} on {lab.date.isoformat()} is high"


def _low_vitamin_d(record: PatientRecord, when: dt.date, assessment: Assessment) -> str | None:
    """The latest 25(OH)D when the assessment finds it deficient or insufficient, or below its target
    on an aromatase inhibitor where it asks to raise vitamin D (START_VITAMIN_D), else None."""
    low = {"VITAMIN_D_DEFICIENT": "deficient", "VITAMIN_D_INSUFFICIENT": "insufficient"}
    if "START_VITAMIN_D" in assessment.action_codes():
        low["VITAMIN_D_BELOW_AI_TARGET"] = ("below the assessment's target on an aromatase inhibitor, "
                                            "where it suggests discussing the vitamin D dose")
    codes = set(assessment.finding_codes())
    found = [label for code, label in low.items() if code in codes]  # deficient first
    lab = record.latest_lab("vitamin_d_25oh", on_or_before=when)
    if not found or lab is None:
        return None
    reported = "" if lab.reported_unit == "ng/mL" else \
        f" (reported {lab.reported_value:g} {lab.reported_unit})"
    return f"25(OH)D {lab.value:.0f} ng/mL{reported} on {lab.date.isoformat()} is {found[0]}"


def _high_vitamin_d(record: PatientRecord, when: dt.date, assessment: Assessment) -> str | None:
    """The latest 25(OH)D when the assessment finds it high (VITAMIN_D_HIGH), else None."""
    lab = record.latest_lab("vitamin_d_25oh", on_or_before=when)
    if "VITAMIN_D_HIGH" not in assessment.finding_codes() or lab is None:
        return None
    return f"25(OH)D {lab.value:.0f} ng/mL on {lab.date.isoformat()} is above 50 ng/mL"


def _kidney_function(record: PatientRecord, when: dt.date) -> str | None:
    """The latest eGFR on file, in words, or None when none is recorded."""
    lab = record.latest_lab("egfr", on_or_before=when)
    if lab is None:
        return None
    return f"eGFR {lab.value:.0f} mL/min/1.73 m² on {lab.date.isoformat()}"
