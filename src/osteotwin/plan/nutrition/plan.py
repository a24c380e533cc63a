"""Nutrition plan: targets → a week of SR28 day plans → supplements only for gaps food cannot close.

Food first: every target is pursued from food. A supplement is suggested only for calcium or vitamin D
(the nutrients bone programs name [ESSA]) and only for the gap that remains, flagged as such; other
gaps are explained (what cannot be met and why) and left to a dietitian [OSTEOTWIN].

Supplements already taken count against the upper level for food plus supplements [IOM2011], but food
is never trimmed below the target to make room for them: when the current supplement leaves less room
under the upper level than the target needs, food is planned to meet the target on its own and the
supplement is flagged for reduction (to the dose food leaves unmet, or none), to discuss with the
clinician [IOM2011] [ASCO2019: supplement if diet falls short]. A low 25(OH)D is the exception for
vitamin D: a dose above the upper level may be a time-limited repletion course, so the plan asks the
clinician to confirm it rather than to reduce it. With a low 25(OH)D the plan never says the current
vitamin D supplement "covers" the need, nor offers its own dose as the answer: the food plan's vitamin D
is a maintenance intake, and raising a low level is the clinician's repletion dose (the assessment's
vitamin D action) [OSTEOTWIN]. With a high serum calcium (the assessment's SERUM_CALCIUM_HIGH) neither
calcium nor vitamin D is raised: they get no target (``targets.hold_calcium_and_vitamin_d``), no
supplement is suggested, and a supplement already taken is for the clinician to review while the cause
is sought (the assessment's REVIEW_SERUM_CALCIUM) [OSTEOTWIN].
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from osteotwin.plan.nutrition.foods import Food, FoodTable, excluded_tags, packaged_food_table
from osteotwin.plan.nutrition.optimiser import (
    CATEGORY_MAX_DAYS,
    DEFAULT_SETTINGS,
    DayPlan,
    PlannerSettings,
    WeekSolution,
    plan_week,
)
from osteotwin.plan.nutrition.targets import (
    ENERGY_TOLERANCE,
    HIGH_CALCIUM_DEFERRAL,
    NutrientTarget,
    NutritionTargets,
    hold_calcium_and_vitamin_d,
    nutrient_targets,
)

#: Patient-file supplement names → the SR28 nutrient column they add to (doses: IU/d or mg/d elemental).
SUPPLEMENT_NUTRIENT: Mapping[str, str] = {
    "vitamin_d3": "vitamin_d_iu",
    "calcium_carbonate": "calcium_mg",
    "calcium_citrate": "calcium_mg",
    "magnesium": "magnesium_mg",
}
#: Usual single-product doses used to round a suggested supplement up [OSTEOTWIN].
SUPPLEMENT_STEPS: Mapping[str, tuple[str, str, tuple[float, ...]]] = {
    "vitamin_d_iu": ("vitamin D3", "IU/d", (400.0, 800.0, 1000.0, 2000.0)),
    "calcium_mg": ("calcium (elemental, as carbonate or citrate)", "mg/d", (250.0, 500.0)),
}
SHORTFALL_TOLERANCE = 0.01  # a day within 1 % of a minimum counts as meeting it [OSTEOTWIN]

#: Body mass index (kg/m²) below which an adult is underweight (WHO); the plan then says its energy is
#: not a weight-regaining diet and leaves energy and protein to a dietitian [WHO-BMI] [ESPEN2019]
UNDERWEIGHT_BMI = 18.5


@dataclass(frozen=True)
class SupplementAdvice:
    nutrient: str
    name: str
    dose_per_day: float
    unit: str
    #: "suggested" (to discuss with the clinician), "current_supplement_covers" (never where the
    #: assessment finds the intake above the upper level), "reduce" (food plus the current supplement
    #: exceed the upper level) or "review_dose" (25(OH)D is low: the current vitamin D dose, above the
    #: upper level or not, is for the clinician to set as a repletion dose; or the assessment finds the
    #: recorded intake above the upper level where the planned food keeps it within)
    status: str
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Gap:
    """A target food could not reach on at least one day, with the reason."""

    nutrient: str
    label: str
    unit: str
    target: float
    lowest_day_total: float
    days_short: tuple[int, ...]
    explanation: str
    closed_by_supplement: bool


@dataclass(frozen=True)
class NutritionPlan:
    targets: NutritionTargets
    days: tuple[DayPlan, ...]
    solver_status: str
    solve_time_s: float
    excluded_tags: frozenset[str]
    foods_available: int
    food_caps: Mapping[str, float]
    supplements: tuple[SupplementAdvice, ...]
    gaps: tuple[Gap, ...]
    notes: tuple[str, ...]


def current_supplement_totals(supplements: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Daily amounts by nutrient column from ``(name, dose_per_day)`` pairs of the patient file."""
    totals: dict[str, float] = {}
    for name, dose in supplements:
        nutrient = SUPPLEMENT_NUTRIENT.get(name)
        if nutrient is not None:
            totals[nutrient] = totals.get(nutrient, 0.0) + dose
    return totals


def _food_caps(targets: NutritionTargets, current: Mapping[str, float]) -> dict[str, float]:
    """Most of each capped nutrient food may give: the upper level minus current supplements; where
    that leaves less than the target, the whole upper level (food first: the food plan meets the
    target on its own and the supplement is flagged to reduce, rather than food being trimmed)."""
    caps: dict[str, float] = {}
    for t in targets.targets:
        if t.maximum is None:
            continue
        taken = current.get(t.nutrient, 0.0) if t.maximum_includes_supplements else 0.0
        cap = max(t.maximum - taken, 0.0)
        if t.minimum is not None and cap < t.minimum:
            cap = t.maximum
        caps[t.nutrient] = cap
    return caps


def _best_portion_sources(foods: Iterable[Food], nutrient: str, n: int = 3) -> list[tuple[Food, float]]:
    ranked = sorted(((f, (f.per_portion(nutrient) or 0.0) * f.max_portions_per_day) for f in foods),
                    key=lambda item: -item[1])
    return [item for item in ranked[:n] if item[1] > 0]


def explain_gap(
    target: NutrientTarget, lowest: float, allowed: FoodTable, full: FoodTable, banned: frozenset[str]
) -> str:
    """Why food falls short: best sources left and the main sources the diet/exclusions removed."""
    assert target.minimum is not None
    parts = [f"{target.label}: food reaches {lowest:.0f} {target.unit}/d on the lowest day, short of "
             f"the {target.minimum:.0f} {target.unit}/d target"]
    left = _best_portion_sources(allowed.foods, target.nutrient)
    if left:
        parts.append("richest foods still allowed: " + "; ".join(
            f"{f.description} ({f.per_portion(target.nutrient) or 0:.0f} {target.unit} per "
            f"{f.portion_measure}"
            + (f"; at most {CATEGORY_MAX_DAYS[f.category]} days a week"
               if f.category in CATEGORY_MAX_DAYS else "") + ")" for f, _ in left))
    else:
        parts.append("no allowed food provides it")
    removed = [(f, v) for f, v in _best_portion_sources(full.foods, target.nutrient, n=40)
               if f.tags & banned][:3]
    if removed:
        parts.append("main sources ruled out by the diet pattern or exclusions: " + "; ".join(
            f"{f.description} ({', '.join(sorted(f.tags & banned))})" for f, _ in removed))
    parts.append("within realistic portions, food-category limits and the energy estimate")
    return "; ".join(parts)


def _low_energy_note(solution: WeekSolution, energy_kcal: float) -> str | None:
    """Which days fall below the energy band (the estimate less ``ENERGY_TOLERANCE``), said rather
    than left for the reader to find: the optimiser may leave energy short where the foods that
    meet the nutrient targets within the portion and category limits cannot reach it."""
    floor = energy_kcal * (1.0 - ENERGY_TOLERANCE)
    short = [(day.day, day.total("energy_kcal") or 0.0) for day in solution.days]
    short = [(d, kcal) for d, kcal in short if kcal < floor]
    if not short:
        return None
    # The share rounded down, so a day under the band never reads as 90 %.
    days = ", ".join(f"day {d} {kcal:.0f} kcal ({math.floor(100 * kcal / energy_kcal)} %)"
                     for d, kcal in short)
    return (f"energy below the planned band ({floor:.0f}-{energy_kcal * (1 + ENERGY_TOLERANCE):.0f} "
            f"kcal/d around an estimate of {energy_kcal:.0f}): {days}; the foods that meet the "
            "nutrient targets within portion and food-group limits fall short there. Eat more of "
            "the day's foods, or of other foods the diet allows (grains, fruit, vegetable oils), to "
            "appetite; the estimate itself is approximate (weight over weeks is the better guide)")


def _round_up(amount: float, steps: tuple[float, ...]) -> float:
    for step in steps:
        if step >= amount:
            return step
    return steps[-1] * -(-amount // steps[-1])


def _fit_dose(dose: float, steps: tuple[float, ...], room: float) -> float:
    """The largest of the usual doses not above ``dose`` that fits in ``room`` (0 when none fits)."""
    while dose > room and dose > 0:
        smaller = [s for s in steps if s < dose]
        dose = smaller[-1] if smaller else 0.0
    return dose


#: What the plan says about a food gap in vitamin D while 25(OH)D is low: the repletion dose is the
#: clinician's (the assessment's vitamin D action), not the maintenance gap's [OSTEOTWIN].
REPLETION_NOTE = ("that is a maintenance intake only: raising 25(OH)D needs the dose the clinician "
                  "sets (see the assessment's vitamin D action), which replaces this figure")


def _supplement_for_gap(
    target: NutrientTarget, gap_max: float, highest_food_day: float, current: float,
    low_vitamin_d: str | None = None,
) -> SupplementAdvice | None:
    if target.nutrient not in SUPPLEMENT_STEPS:
        return None
    name, unit, steps = SUPPLEMENT_STEPS[target.nutrient]
    sources = (*target.sources, "ESSA", "OSTEOTWIN")
    low_d = target.nutrient == "vitamin_d_iu" and low_vitamin_d is not None
    if low_d and current > 0:
        # the current dose may cover the food gap, but not a low level: the clinician's dose
        return SupplementAdvice(
            target.nutrient, name, current, unit, "review_dose",
            f"LOW 25(OH)D: {low_vitamin_d}. Food leaves up to {gap_max:.0f} {target.unit}/d of the "
            f"maintenance target unmet (current supplement {current:.0f} {unit}); {REPLETION_NOTE}",
            sources)
    if current >= gap_max:
        return SupplementAdvice(
            target.nutrient, name, current, unit, "current_supplement_covers",
            f"food leaves up to {gap_max:.0f} {target.unit}/d of the target unmet; the supplement already "
            f"in the record ({current:.0f} {unit}) covers it", sources)
    dose = _round_up(gap_max - current, steps)
    if target.maximum is not None:
        dose = _fit_dose(dose, steps, target.maximum - highest_food_day - current)
        if dose <= 0:
            return None
    return SupplementAdvice(
        target.nutrient, name, dose, unit, "suggested",
        f"food cannot close the gap: it leaves up to {gap_max:.0f} {target.unit}/d unmet"
        + (f" besides the current {current:.0f} {unit}" if current else "")
        + f"; a dose to discuss with the clinician, keeping food plus supplements under the "
          f"{target.maximum_name}" + (f"; {low_vitamin_d}: {REPLETION_NOTE}" if low_d else ""),
        sources)


def _supplement_held(target: NutrientTarget, current: float, high_calcium: str) -> SupplementAdvice:
    """A current calcium or vitamin D supplement while serum calcium is high: not raised, for the
    clinician to review (such supplements are usually withheld while the cause is sought), never
    "covers" nor "suggested" (``HIGH_CALCIUM_DEFERRAL``) [OSTEOTWIN]."""
    name, unit, _ = SUPPLEMENT_STEPS[target.nutrient]
    return SupplementAdvice(
        target.nutrient, name, current, unit, "review_dose",
        f"HIGH SERUM CALCIUM: {high_calcium}. The current {current:.0f} {unit} is not raised, and such "
        "a supplement is usually withheld until the cause is known: to discuss with the clinician "
        f"({HIGH_CALCIUM_DEFERRAL})", tuple(dict.fromkeys((*target.sources, "OSTEOTWIN"))))


def _supplement_over_upper_level(
    target: NutrientTarget, gap_max: float, highest_food_day: float, current: float,
    low_vitamin_d: str | None, *, plan_over: bool = True, assessed: str | None = None,
    planned: bool = True,
) -> SupplementAdvice:
    """Advice when food plus the current supplement exceed the upper level [IOM2011] (``plan_over``:
    with the planned food; ``assessed``: the assessment's finding that the recorded intake does):
    reduce the supplement to what food leaves unmet (food first), or, for vitamin D with a low
    25(OH)D, have the clinician confirm the repletion dose. Never "covers it"; with no food plan
    (``planned`` False) the dose is left to the clinician [OSTEOTWIN]."""
    assert target.maximum is not None
    name, unit, steps = SUPPLEMENT_STEPS[target.nutrient]
    sources = (*target.sources, "OSTEOTWIN")
    total = highest_food_day + current
    said = []
    if plan_over:
        said.append(f"food plus the current {current:.0f} {unit} reach up to {total:.0f} "
                    f"{target.unit}/d, above the {target.maximum_name} of {target.maximum:.0f} "
                    f"{target.unit}/d for food plus supplements")
    if assessed is not None:
        said.append("the assessment: " + assessed.rstrip(". "))
    over = "; ".join(said)
    if target.nutrient == "vitamin_d_iu" and low_vitamin_d is not None:
        return SupplementAdvice(
            target.nutrient, name, current, unit, "review_dose",
            f"SUPPLEMENT ABOVE THE UPPER LEVEL: {over}; {low_vitamin_d}, so this may be a time-limited "
            "repletion dose: its dose and duration are the clinician's decision, and the usual "
            "maintenance intake stays under the upper level", sources)
    if not planned:
        return SupplementAdvice(
            target.nutrient, name, current, unit, "review_dose",
            f"ABOVE THE UPPER LEVEL: {over}; no food plan was found to weigh the current "
            f"{current:.0f} {unit} against: its dose is for the clinician to review (see the "
            "assessment's action)", sources)
    needed = _fit_dose(_round_up(gap_max, steps), steps, target.maximum - highest_food_day) \
        if gap_max > 0 else 0.0
    if needed >= current:
        # only where the planned food keeps the total within the upper level and the assessment's
        # (recorded) intake goes over: the dose is not above what food leaves, yet not "covering"
        return SupplementAdvice(
            target.nutrient, name, current, unit, "review_dose",
            f"ABOVE THE UPPER LEVEL IN THE ASSESSMENT: {(assessed or '').rstrip('. ')}. With the "
            f"planned food, food plus the current {current:.0f} {unit} stay within the "
            f"{target.maximum_name} (up to {total:.0f} {target.unit}/d) as long as the planned food "
            f"replaces what is eaten now, and food leaves up to {gap_max:.0f} {target.unit}/d of the "
            "target unmet; the dose is for the clinician to review (see the assessment's action)",
            sources)
    if needed > 0:
        advice = (f"food leaves up to {gap_max:.0f} {target.unit}/d of the target unmet, so about "
                  f"{needed:.0f} {unit} would be enough")
    else:
        advice = "the food plan meets the target every day without it"
    return SupplementAdvice(
        target.nutrient, name, needed, unit, "reduce",
        f"REDUCE SUPPLEMENT (food first): {over}; {advice}: to discuss with the clinician "
        + (f"reducing the supplement to {needed:.0f} {unit}" if needed > 0 else "stopping the supplement")
        + " rather than eating less", sources)


def build_nutrition_plan(
    *,
    sex: str,
    age_years: float,
    weight_kg: float | None,
    height_cm: float | None,
    diet_pattern: str | None,
    food_exclusions: Iterable[str] = (),
    current_supplements: Mapping[str, float] | None = None,
    table: FoodTable | None = None,
    settings: PlannerSettings = DEFAULT_SETTINGS,
    on_aromatase_inhibitor: bool = False,
    low_vitamin_d: str | None = None,
    high_vitamin_d: str | None = None,
    kidney_function: str | None = None,
    reduced_kidney_function: bool = False,
    egfr_below_30: bool = False,
    postmenopausal: bool | None = None,
    ai_for_breast_cancer: bool | None = None,
    intake_above_upper_level: Mapping[str, str] | None = None,
    high_serum_calcium: str | None = None,
    dietary_calcium_mg: float | None = None,
) -> NutritionPlan:
    """A week of day plans meeting the targets from food, with flagged supplements for what cannot.

    ``low_vitamin_d`` describes a low 25(OH)D (the assessment's finding): the plan's vitamin D is a
    maintenance intake, and correcting a low level is the clinician's dose, so the plan says so.
    ``high_vitamin_d`` describes a 25(OH)D above 50 ng/mL (the assessment's VITAMIN_D_HIGH): no
    vitamin D supplement is suggested for a shortfall of food (IOM 2011's concern above that level).
    ``kidney_function`` describes the latest eGFR on file (None: none recorded);
    ``reduced_kidney_function`` is True when the assessment finds it low: protein and potassium are
    then not pushed (see ``nutrient_targets``); ``egfr_below_30`` (eGFR under 30 mL/min/1.73 m²) sets
    the KDIGO 2012 protein and KDOQI 2020 calcium targets instead. ``postmenopausal`` and
    ``ai_for_breast_cancer`` word the protein and vitamin D targets (see ``nutrient_targets``).
    ``current_supplements`` is the supplemental intake by nutrient column (``plan.personal`` passes
    vitamin D and calcium as the assessment counts them, medicines included);
    ``intake_above_upper_level`` holds, by nutrient column, the assessment's finding where it counts
    the intake above the upper level: the supplement is then never said to "cover" a gap [OSTEOTWIN].
    ``high_serum_calcium`` describes a serum calcium the assessment finds high (SERUM_CALCIUM_HIGH):
    calcium and vitamin D are then held (``targets.hold_calcium_and_vitamin_d``; food calcium at
    most ``dietary_calcium_mg``, the recorded intake in mg/d), no supplement is suggested, and a
    current one is for the clinician to review (``_supplement_held``)."""
    full = table if table is not None else packaged_food_table()
    banned = excluded_tags(diet_pattern, food_exclusions)
    allowed = full.without_tags(banned)
    targets = nutrient_targets(sex, age_years, weight_kg, height_cm, on_aromatase_inhibitor,
                               reduced_kidney_function or egfr_below_30, egfr_below_30,
                               postmenopausal=postmenopausal, ai_for_breast_cancer=ai_for_breast_cancer)
    if high_serum_calcium is not None:
        targets = hold_calcium_and_vitamin_d(targets, high_serum_calcium, sex, age_years,
                                             dietary_calcium_mg)
    held = {t.nutrient: t.held for t in targets.targets if t.held is not None}
    current = dict(current_supplements or {})
    above_upper_level = dict(intake_above_upper_level or {})
    caps = _food_caps(targets, current)
    solution: WeekSolution = plan_week(allowed, targets, food_caps=caps, settings=settings)

    notes: list[str] = list(targets.notes)
    notes.append("sodium totals count the foods as listed (SR28 values, mostly unsalted "
                 "preparations); salt added in cooking or at the table comes on top")
    if diet_pattern is None:
        notes.append("diet pattern not recorded: the plan uses all foods except named exclusions")
    bmi = None if weight_kg is None or not height_cm else weight_kg / (height_cm / 100.0) ** 2
    if bmi is not None and bmi < UNDERWEIGHT_BMI:
        notes.append(f"body mass index {bmi:.1f} kg/m² is below {UNDERWEIGHT_BMI:g} (underweight, WHO): "
                     "low body weight is itself a fracture risk, and this plan's energy is an estimate "
                     "for weight maintenance, not for regaining weight; energy and protein are for the "
                     "clinician or a dietitian to set (ESPEN 2019: about 30 kcal/kg/d for older adults, "
                     "adjusted to weight change)")
    if high_serum_calcium is not None:
        notes.append(f"{high_serum_calcium}: neither calcium nor vitamin D is raised and no supplement "
                     "is suggested until the cause is known; food calcium is kept at the current "
                     f"intake ({HIGH_CALCIUM_DEFERRAL})"
                     + (f"; {low_vitamin_d}, and whether it is corrected depends on the cause"
                        if low_vitamin_d is not None else ""))
    elif low_vitamin_d is not None:
        notes.append(f"{low_vitamin_d}: the vitamin D here is a maintenance intake; raising a low "
                     "level may need a larger dose for a time, which is the clinician's decision "
                     "(see the assessment's vitamin D action)")
    if high_vitamin_d is not None:
        notes.append(f"{high_vitamin_d}: the plan suggests no vitamin D supplement, whatever the food "
                     "provides; the current dose is for the clinician to review (see the assessment's "
                     "vitamin D action)")
    if egfr_below_30:
        notes.append(f"reduced kidney function ({kidney_function or 'eGFR below 30'}): below an eGFR "
                     "of 30 the plan aims protein at about 0.8 g/kg/d (KDIGO 2012) and total calcium, "
                     "food and supplements together, at 800-1000 mg/d (KDOQI 2020); potassium is not "
                     "pursued and food stays under the intake for healthy people. These are starting "
                     "points, not a kidney diet: the clinician or a renal dietitian sets protein, "
                     "calcium, potassium and phosphorus; review the plan with them before following it")
    elif reduced_kidney_function:
        notes.append(f"reduced kidney function ({kidney_function or 'eGFR low'}): protein and "
                     "potassium need individual targets that this plan cannot set; it keeps protein "
                     "within the bone-health range and does not aim at the potassium intake for healthy "
                     "people. Review the plan with the clinician or a renal dietitian before following "
                     "it")
    else:
        notes.append("the protein and potassium targets assume normal kidney function"
                     + (f" ({kidney_function})" if kidney_function else " (no eGFR on file)")
                     + "; with kidney disease, ask the clinician or a dietitian before following them")
    low_energy = _low_energy_note(solution, targets.energy_kcal)
    if low_energy:
        notes.append(low_energy)
    if solution.status == "failed":
        notes.append(f"the optimiser found no plan: {solution.message}")
    elif solution.status == "time_limit":
        notes.append("best plan found within the solver's time limit (not proven optimal)")
    named = {t.nutrient: (t.label[:1].lower() + t.label[1:], t.unit) for t in targets.targets}
    for nutrient, amount in current.items():
        if nutrient in caps and nutrient not in held:
            t = targets.get(nutrient)
            label, unit = named.get(nutrient, (nutrient, ""))
            if t.maximum is not None and caps[nutrient] >= t.maximum and amount > 0:
                notes.append(f"current supplements provide {amount:.0f} {unit}/d of {label}, leaving "
                             f"less room under the {t.maximum_name} than the target needs: food is "
                             "planned to meet the target on its own (food first) and the supplement is "
                             f"checked against the {t.maximum_name} below")
            else:
                notes.append(f"current supplements provide {amount:.0f} {unit}/d of {label}; food is "
                             f"kept below the {t.maximum_name} minus that amount")

    gaps: list[Gap] = []
    supplements: list[SupplementAdvice] = []
    for t in targets.targets:
        if t.held is not None:  # no gap and no supplement: a current one is for the clinician
            if current.get(t.nutrient, 0.0) > 0:
                supplements.append(_supplement_held(t, current[t.nutrient], t.held))
            continue
        if t.minimum is None:
            continue
        day_totals = [day.total(t.nutrient) or 0.0 for day in solution.days]
        short_days = tuple(d.day for d, total in zip(solution.days, day_totals, strict=True)
                           if total < t.minimum * (1.0 - SHORTFALL_TOLERANCE))
        lowest = min(day_totals) if day_totals else 0.0
        highest = max(day_totals) if day_totals else 0.0
        taken = current.get(t.nutrient, 0.0)
        gap_max = t.minimum - lowest if short_days else 0.0
        advice: SupplementAdvice | None = None
        planned = bool(solution.days) and all(d.items for d in solution.days)
        plan_over = planned and highest + taken > (t.maximum or math.inf) * (1.0 + SHORTFALL_TOLERANCE)
        assessed = above_upper_level.get(t.nutrient)
        if (t.nutrient in SUPPLEMENT_STEPS and t.maximum is not None and t.maximum_includes_supplements
                and taken > 0 and (plan_over or assessed is not None)):
            advice = _supplement_over_upper_level(t, gap_max, highest, taken, low_vitamin_d,
                                                  plan_over=plan_over, assessed=assessed,
                                                  planned=planned)
            supplements.append(advice)
        if not short_days:
            continue
        if advice is None and not (t.nutrient == "vitamin_d_iu" and high_vitamin_d is not None):
            advice = _supplement_for_gap(t, gap_max, highest, taken, low_vitamin_d)
            if advice is not None:
                supplements.append(advice)
        closed = advice is not None and advice.dose_per_day > 0
        gaps.append(Gap(t.nutrient, t.label, t.unit, t.minimum, lowest, short_days,
                        explain_gap(t, lowest, allowed, full, banned), closed))
    gap_nutrients = {g.nutrient for g in gaps}
    advised = {a.nutrient for a in supplements}
    for nutrient, amount in current.items():
        if nutrient in SUPPLEMENT_STEPS and nutrient not in gap_nutrients | advised and amount > 0 and \
                solution.days and all(d.items for d in solution.days):
            label, unit = named.get(nutrient, (nutrient, ""))
            if nutrient == "vitamin_d_iu" and low_vitamin_d is not None:
                # a maintenance intake met from food says nothing about repleting a low level
                notes.append(f"the food plan alone meets the maintenance {label} target, but "
                             f"25(OH)D is low (above): the current supplement ({amount:.0f} "
                             f"{unit}/d) may be part of raising it, which is the clinician's "
                             "decision")
                continue
            notes.append(f"the food plan alone meets the {label} target every day: whether the "
                         f"current supplement ({amount:.0f} {unit}/d) is still needed is a "
                         "question for the clinician")
    if diet_pattern == "vegan" and any(a.nutrient == "vitamin_d_iu" and a.status == "suggested"
                                       and a.dose_per_day > 0 for a in supplements):
        notes.append("vitamin D3 is usually made from lanolin (sheep's wool): a vegan vitamin D3 (from "
                     "lichen) or vitamin D2 keeps to a vegan diet; the pharmacist can name one")
    return NutritionPlan(targets, solution.days, solution.status, solution.solve_time_s, banned,
                         len(allowed), caps, tuple(supplements), tuple(gaps), tuple(notes))
