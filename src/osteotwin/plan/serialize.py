"""JSON document of a personal plan (shape of issue 4; fields may be added, never removed)."""

from __future__ import annotations

from typing import Any

from osteotwin.clinic.engine import GRADE_MEANING
from osteotwin.plan.exercise.library import exercise_library
from osteotwin.plan.exercise.program import (
    FULL_VOLUME,
    RAMP_SOURCES,
    SESSION_KIND_LABELS,
    ExerciseProgram,
    Prescription,
    Substitution,
    weekly_volume,
)
from osteotwin.plan.nutrition.foods import OPTIMISED_NUTRIENTS
from osteotwin.plan.nutrition.meals import MEALS, assign_meals
from osteotwin.plan.nutrition.mk7 import estimate_mk7
from osteotwin.plan.nutrition.optimiser import FOOD_RULES, DayPlan
from osteotwin.plan.nutrition.plan import NutritionPlan
from osteotwin.plan.personal import PersonalPlan
from osteotwin.plan.sources import SOURCE_EVIDENCE, SOURCES, evidence_grade


def _rx(p: Prescription) -> dict[str, Any]:
    return {"exercise_id": p.exercise_id, "name": p.name, "sets": p.sets, "reps": p.reps,
            "rep_range": p.rep_range, "duration_min": p.duration_min, "intensity": p.intensity,
            "notes": p.notes, "regression": p.regression, "supervised": p.supervised,
            "sources": list(p.sources)}


def _exercise_name(exercise_id: str) -> str:
    """The library's name of an exercise (the id, read as words, for one not in it)."""
    known = exercise_library().get(exercise_id)
    return known.name if known is not None else exercise_id.replace("_", " ")


def _sub(s: Substitution) -> dict[str, Any]:
    return {"instead_of": s.instead_of, "instead_of_name": _exercise_name(s.instead_of),
            "use": s.use, "use_name": _exercise_name(s.use), "reason": s.reason,
            "sources": list(s.sources)}


def _minutes(program: ExerciseProgram, week: int) -> tuple[float, float]:
    """Weight-bearing aerobic and balance minutes (library loading types) in ``week`` of the program."""
    library = exercise_library()
    aerobic = balance = 0.0
    for x in program.sessions:
        if x.week != week:
            continue
        for rx in x.exercises:
            kind = library[rx.exercise_id].loading_type
            if kind == "balance":
                balance += rx.duration_min or 0.0
            elif kind == "aerobic" or rx.exercise_id == "jog_intervals":
                aerobic += rx.duration_min or 0.0
    return aerobic, balance


def exercise_document(program: ExerciseProgram) -> dict[str, Any]:
    """The program; the weekly minutes are those of the full week (after any lower start)."""
    s = program.screening
    full_aerobic, full_balance = weekly_volume(s, FULL_VOLUME)
    return {
        "weeks": program.weeks,
        "weekly_schedule": [{"day": d.day, "kind": d.kind, "kind_label": SESSION_KIND_LABELS[d.kind],
                             "summary": d.summary, "minutes": d.minutes, "sources": list(d.sources)}
                            for d in program.weekly_schedule],
        "weekly_weight_bearing_aerobic_minutes": full_aerobic,
        "weekly_balance_minutes": full_balance,
        "volume_ramp": [
            {"weeks": [r.first_week, min(r.last_week, program.weeks)],
             "weight_bearing_aerobic_minutes": _minutes(program, r.first_week)[0],
             "balance_minutes": _minutes(program, r.first_week)[1],
             "aerobic_session_min": r.aerobic_day_min, "recovery_walk_min": r.recovery_walk_min,
             "balance_session_min": r.balance_min, "resistance_sets": r.resistance_sets,
             "sources": list(RAMP_SOURCES)}
            for r in program.volume_ramp if r.first_week <= program.weeks],
        "phases": [{"name": p.name, "weeks": [p.first_week, p.last_week], "description": p.description,
                    "sources": list(p.sources)} for p in program.phases],
        "progression_rules": [{"rule": r.rule, "sources": list(r.sources)}
                              for r in program.progression_rules],
        "sessions": [{"week": x.week, "day": x.day, "kind": x.kind,
                      "kind_label": SESSION_KIND_LABELS[x.kind], "phase": x.phase,
                      "exercises": [_rx(p) for p in x.exercises]} for x in program.sessions],
        "safety": [{"code": f.code, "severity": f.severity, "message": f.message,
                    "sources": list(f.sources),
                    **({"evidence_grade": f.grade} if f.grade else {})} for f in s.flags],
        "substitutions": [_sub(x) for x in program.substitutions],
        "avoid": [_sub(x) for x in program.avoid],
        "screening": {
            "age_years": round(s.age_years, 1), "lowest_t_score": s.lowest_t_score,
            "osteoporosis_or_fragility_fracture": s.osteoporosis, "low_bone_mass": s.low_bone_mass,
            "bmd_category": s.bmd_category, "bmd_score_kind": s.bmd_score_kind,
            "bmd_score_reason": s.bmd_score_reason, "denosumab_rebound": s.denosumab_rebound,
            "vertebral_fracture": s.vertebral_fracture,
            "multiple_low_trauma_fractures": s.multiple_low_trauma_fractures,
            "falls_risk": s.falls_risk, "training_setting": s.training_setting,
            "high_intensity_eligible": s.high_intensity_eligible, "impact_cap": s.impact_cap,
            "impact_cap_reason": s.impact_cap_reason,
            "supervision_required": s.supervision_required,
            "bone_status_unknown": s.bone_status_unknown,
            "fracture_history_known": s.fracture_history_known,
            "falls_history_known": s.falls_history_known,
            "currently_training": s.currently_training,
            "vigorous_aerobic_allowed": s.vigorous_aerobic_allowed,
            "high_intensity_held_back": list(s.high_intensity_held_back),
            "conditions": {"cardiac": list(s.cardiac_conditions),
                           "uncontrolled_hypertension": list(s.uncontrolled_hypertension),
                           "metabolic_or_renal": list(s.metabolic_renal_conditions),
                           "knee_or_hip_arthritis": list(s.joint_conditions),
                           "no_clearance_needed": list(s.no_clearance_conditions),
                           "not_assessed": list(s.unassessed_conditions)},
        },
    }


def _day(day: DayPlan) -> dict[str, Any]:
    meals = assign_meals(day.items)
    foods = [{"ndb_no": f.ndb_no, "description": f.description, "grams": round(n * f.portion_grams, 2),
              "portion": f.portion_label(n), "portions": n, "category": f.category, "meal": meal,
              **({"note": f.note} if f.note else {})}
             for (f, n), meal in zip(day.items, meals, strict=True)]
    foods.sort(key=lambda item: MEALS.index(item["meal"]))
    totals = {k: round(day.total(k) or 0.0, 1) for k in OPTIMISED_NUTRIENTS}
    mk7 = estimate_mk7([(f.ndb_no, n * f.portion_grams) for f, n in day.items])
    return {
        "day": day.day, "foods": foods, "totals": totals,
        "menaquinone7": {
            "status": mk7.status,
            "known_mcg_range": [round(mk7.known_low_mcg, 1), round(mk7.known_high_mcg, 1)]
            if mk7.foods_with_value else None,
            "foods_with_literature_value": list(mk7.foods_with_value),
            "foods_unknown": len(mk7.foods_unknown),
            "note": "MK-7 is unknown for foods without a literature value (not zero); SR28 has no MK-7",
        },
    }


def nutrition_document(plan: NutritionPlan) -> dict[str, Any]:
    t = plan.targets
    return {
        "targets": t.headline(),
        "target_details": [
            {"nutrient": x.nutrient, "label": x.label, "unit": x.unit, "minimum": x.minimum,
             "maximum": x.maximum, "maximum_from_food": plan.food_caps.get(x.nutrient),
             "basis": x.basis, "held": x.held, "sources": list(x.sources)} for x in t.targets
        ] + [{"nutrient": "energy_kcal", "label": "Energy", "unit": "kcal", "minimum": None,
              "maximum": None, "estimate": round(t.energy_kcal), "basis": t.energy_basis,
              "sources": list(t.energy_sources)}],
        "days": [_day(d) for d in plan.days],
        "supplements": [{"nutrient": s.nutrient, "name": s.name, "dose_per_day": s.dose_per_day,
                         "unit": s.unit, "status": s.status, "flag": "supplement", "reason": s.reason,
                         "sources": list(s.sources)} for s in plan.supplements],
        "unmet": [{"nutrient": g.nutrient, "target": g.target, "lowest_day_total": round(g.lowest_day_total, 1),
                   "days_short": list(g.days_short), "closed_by_supplement": g.closed_by_supplement,
                   "explanation": g.explanation} for g in plan.gaps],
        "feasible_from_food": not plan.gaps,
        "diet": {"excluded_tags": sorted(plan.excluded_tags), "foods_available": plan.foods_available},
        "solver": {"name": "scipy.optimize.milp (HiGHS)", "status": plan.solver_status,
                   "seconds": round(plan.solve_time_s, 3)},
        "notes": list(plan.notes),
        "food_rules": [{"rule": rule, "sources": list(sources)} for rule, sources in FOOD_RULES],
        "food_source": "SR28",
    }


def plan_document(plan: PersonalPlan) -> dict[str, Any]:
    """The whole plan as one JSON-ready dict, with the full citation of every source key used."""
    doc: dict[str, Any] = {
        "as_of": plan.as_of.isoformat(),
        "exercise": exercise_document(plan.exercise),
        "nutrition": nutrition_document(plan.nutrition),
        "disclaimer": "Decision support only: discuss this plan with your clinician; it prescribes nothing.",
    }
    used: set[str] = set()

    def collect(node: Any) -> None:
        """Gather every source key and grade each sourced item (``evidence_grade``)."""
        if isinstance(node, dict):
            sources = node.get("sources")
            if isinstance(sources, list):
                used.update(sources)
                if "evidence_grade" not in node:  # an item's own grade stands (``SafetyFlag.grade``)
                    node["evidence_grade"] = evidence_grade(sources)
            for key, value in list(node.items()):
                if key != "sources":
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(doc)
    used.add("SR28")
    doc["sources"] = {key: SOURCES[key] for key in sorted(used)}
    doc["source_evidence"] = {key: {"grade": SOURCE_EVIDENCE[key][0], "kind": SOURCE_EVIDENCE[key][1]}
                              for key in sorted(used)}
    doc["evidence_grades"] = dict(GRADE_MEANING)
    return doc
