"""The optimiser and the plan builder: gaps explained, nearest plan returned, supplements flagged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from osteotwin.plan.nutrition.foods import FoodTable, packaged_food_table
from osteotwin.plan.nutrition.plan import build_nutrition_plan, current_supplement_totals


def _fruit_and_veg_only() -> FoodTable:
    return FoodTable(tuple(f for f in packaged_food_table().foods
                           if f.category in ("fruit", "vegetable", "grain") and f.ndb_no not in
                           ("11998", "11939", "11993")))  # no UV mushrooms: no vitamin D source


def test_no_calcium_source_gives_explanation_nearest_plan_and_flagged_supplements() -> None:
    plan = build_nutrition_plan(sex="female", age_years=66, weight_kg=62, height_cm=160,
                                diet_pattern="vegan", table=_fruit_and_veg_only())
    assert all(day.items for day in plan.days), "the nearest plan is still a plan"
    gaps = {g.nutrient: g for g in plan.gaps}
    assert "calcium_mg" in gaps and "vitamin_d_iu" in gaps
    assert "short of the 1200 mg/d target" in gaps["calcium_mg"].explanation
    assert "richest foods still allowed: Mushrooms, white, raw" in gaps["vitamin_d_iu"].explanation
    names = {s.nutrient: s for s in plan.supplements}
    assert names["vitamin_d_iu"].status == "suggested" and names["vitamin_d_iu"].dose_per_day >= 600
    assert names["calcium_mg"].dose_per_day in (250.0, 500.0, 1000.0)
    for s in plan.supplements:  # the line's own label says SUPPLEMENT; the reason does not repeat it
        assert s.reason.startswith("food cannot close the gap: it leaves up to")
    # a supplement never pushes food plus supplement over the upper level
    worst_food_ca = max(d.total("calcium_mg") or 0 for d in plan.days)
    assert worst_food_ca + names["calcium_mg"].dose_per_day <= 2000


def test_exclusions_that_remove_main_sources_are_named() -> None:
    table = FoodTable(tuple(f for f in packaged_food_table().foods
                            if f.category not in ("plant_milk", "juice", "vegetable")))
    plan = build_nutrition_plan(sex="female", age_years=60, weight_kg=60, height_cm=160,
                                diet_pattern="vegan", food_exclusions=("soy",), table=table)
    calcium = [g for g in plan.gaps if g.nutrient == "calcium_mg"]
    assert calcium, "vegan without soy, fortified drinks or greens cannot reach 1200 mg"
    assert "ruled out by the diet pattern or exclusions" in calcium[0].explanation


def test_existing_supplement_that_covers_the_gap_is_reported_not_doubled() -> None:
    plan = build_nutrition_plan(sex="female", age_years=66, weight_kg=62, height_cm=160,
                                diet_pattern="vegan", table=_fruit_and_veg_only(),
                                current_supplements={"vitamin_d_iu": 1000.0})
    vit_d = next(s for s in plan.supplements if s.nutrient == "vitamin_d_iu")
    assert vit_d.status == "current_supplement_covers" and vit_d.dose_per_day == 1000.0
    # the notes name the nutrient and its unit as a reader says them, not the field name
    assert ("current supplements provide 1000 IU/d of vitamin D; food is kept below the upper "
            "level minus that amount") in plan.notes
    assert not any("vitamin_d_iu" in note for note in plan.notes)


def test_same_input_same_plan() -> None:
    kwargs = {"sex": "male", "age_years": 58, "weight_kg": 85, "height_cm": 178,
              "diet_pattern": "pescatarian"}
    a = build_nutrition_plan(**kwargs)  # type: ignore[arg-type]
    b = build_nutrition_plan(**kwargs)  # type: ignore[arg-type]
    if a.solver_status == b.solver_status == "optimal":
        assert [[(f.ndb_no, n) for f, n in d.items] for d in a.days] == \
            [[(f.ndb_no, n) for f, n in d.items] for d in b.days]
    # fish on at most 2 days a week [DGA2020]: vitamin D may fall short on the other days, and then
    # only there, closed by the supplement suggestion
    assert {g.nutrient for g in a.gaps} <= {"vitamin_d_iu"}
    assert all(g.closed_by_supplement for g in a.gaps)


def test_supplement_names_map_to_nutrients() -> None:
    totals = current_supplement_totals([("vitamin_d3", 800), ("calcium_carbonate", 300),
                                        ("calcium_citrate", 200), ("vitamin_k2_mk7", 100)])
    assert totals == {"vitamin_d_iu": 800, "calcium_mg": 500}


def test_portions_are_whole_and_capped() -> None:
    plan = build_nutrition_plan(sex="female", age_years=70, weight_kg=55, height_cm=158,
                                diet_pattern="omnivore")
    for day in plan.days:
        for food, n in day.items:
            assert 1 <= n <= food.max_portions_per_day
    assert replace(plan.days[0], day=9).day == 9


def test_meals_follow_the_category_rules() -> None:
    from osteotwin.plan.nutrition.meals import MEALS, assign_meals

    foods = {f.category: f for f in packaged_food_table().foods}
    items = tuple((foods[c], 1) for c in ("milk", "fish", "nut_seed", "vegetable", "legume"))
    assert assign_meals(items) == ["breakfast", "dinner", "snack", "dinner", "lunch"]
    twice = tuple((f, 1) for f in packaged_food_table().foods if f.category == "vegetable")[:2]
    assert assign_meals(twice) == ["dinner", "lunch"]
    assert set(assign_meals(tuple((f, 1) for f in packaged_food_table().foods))) <= set(MEALS)


def _calcium_days(plan: object) -> list[float]:
    return [d.total("calcium_mg") or 0.0 for d in plan.days]  # type: ignore[attr-defined]


def test_supplement_over_the_upper_level_is_flagged_for_reduction_not_paid_for_with_food() -> None:
    # audit p/11: 1200 mg/d calcium carbonate used to cap food at 800 mg and call the supplement enough
    plan = build_nutrition_plan(sex="female", age_years=66, weight_kg=62, height_cm=160,
                                diet_pattern="omnivore", current_supplements={"calcium_mg": 1200.0})
    assert plan.food_caps["calcium_mg"] == 2000.0  # food alone stays under the upper level
    assert min(_calcium_days(plan)) >= 1200 * 0.99, "food meets the target on its own"
    assert not any(g.nutrient == "calcium_mg" for g in plan.gaps)
    calcium = next(s for s in plan.supplements if s.nutrient == "calcium_mg")
    assert calcium.status == "reduce" and calcium.dose_per_day == 0.0
    assert calcium.reason.startswith("REDUCE SUPPLEMENT (food first)")
    assert "above the upper level of 2000 mg/d" in calcium.reason and "stopping" in calcium.reason
    assert "IOM2011" in calcium.sources
    # a supplement that fits under the upper level with the target from food still limits food
    within = build_nutrition_plan(sex="female", age_years=66, weight_kg=62, height_cm=160,
                                  diet_pattern="omnivore", current_supplements={"calcium_mg": 500.0})
    assert within.food_caps["calcium_mg"] == 1500.0
    assert max(_calcium_days(within)) <= 1500.0 + 1e-6
    assert not any(s.status == "reduce" for s in within.supplements)


def test_high_dose_vitamin_d_does_not_zero_food_vitamin_d() -> None:
    # audit p/09: 10000 IU/d left a food cap of 0 IU
    plan = build_nutrition_plan(sex="female", age_years=63, weight_kg=62, height_cm=160,
                                diet_pattern="omnivore", current_supplements={"vitamin_d_iu": 10000.0},
                                on_aromatase_inhibitor=True)
    food_d = [d.total("vitamin_d_iu") or 0.0 for d in plan.days]
    assert min(food_d) > 0 and plan.food_caps["vitamin_d_iu"] == 4000.0
    advice = next(s for s in plan.supplements if s.nutrient == "vitamin_d_iu")
    assert advice.status == "reduce" and advice.dose_per_day < 10000
    # food plus the reduced dose stays under the upper level
    assert max(food_d) + advice.dose_per_day <= 4000
    # with a low 25(OH)D the high dose may be a repletion course: the clinician confirms it
    low = build_nutrition_plan(sex="female", age_years=63, weight_kg=62, height_cm=160,
                               diet_pattern="omnivore", current_supplements={"vitamin_d_iu": 10000.0},
                               on_aromatase_inhibitor=True,
                               low_vitamin_d="25(OH)D 8 ng/mL on 2025-05-01 is deficient")
    advice = next(s for s in low.supplements if s.nutrient == "vitamin_d_iu")
    assert advice.status == "review_dose" and "repletion" in advice.reason


def test_reduced_kidney_function_holds_back_protein_and_potassium() -> None:
    # audit p/12 (eGFR 28): protein reached 1.5-2.0 g/kg/d and potassium was aimed at the AI
    plan = build_nutrition_plan(sex="female", age_years=75, weight_kg=64, height_cm=163,
                                diet_pattern="omnivore", reduced_kidney_function=True,
                                kidney_function="eGFR 28 mL/min/1.73 m² on 2025-04-01")
    assert plan.targets.get("potassium_mg").minimum is None
    assert plan.targets.get("protein_g").maximum == 1.2 * 64
    assert all((d.total("protein_g") or 0.0) <= 1.2 * 64 + 1e-6 for d in plan.days)
    assert "potassium_mg" not in plan.targets.headline()
    assert any(n.startswith("reduced kidney function (eGFR 28") and "renal dietitian" in n
               for n in plan.notes)
    normal = build_nutrition_plan(sex="female", age_years=75, weight_kg=64, height_cm=163,
                                  diet_pattern="omnivore")
    assert normal.targets.get("potassium_mg").minimum == 2600
    assert any("assume normal kidney function (no eGFR on file)" in n for n in normal.notes)


def test_natto_is_an_occasional_dish() -> None:
    # audit: a cup of natto on three days a week, and soy most days
    plan = build_nutrition_plan(sex="male", age_years=50, weight_kg=85, height_cm=180,
                                diet_pattern="omnivore", current_supplements={"vitamin_d_iu": 1000.0})
    natto_days = sum(any(f.ndb_no == "16113" for f, _ in d.items) for d in plan.days)
    assert natto_days <= 2
    assert not plan.gaps


def test_a_high_25ohd_gets_no_vitamin_d_supplement_for_a_food_shortfall() -> None:
    kwargs: dict[str, Any] = {"sex": "female", "age_years": 63, "weight_kg": 62, "height_cm": 160,
                              "diet_pattern": "vegan", "food_exclusions": ("soy",),
                              "on_aromatase_inhibitor": True}
    usual = build_nutrition_plan(**kwargs)
    assert any(g.nutrient == "vitamin_d_iu" for g in usual.gaps), "precondition: food falls short"
    assert any(s.nutrient == "vitamin_d_iu" and s.dose_per_day > 0 for s in usual.supplements)
    high = build_nutrition_plan(**kwargs, high_vitamin_d="25(OH)D 120 ng/mL on 2025-05-01 is above 50 ng/mL")
    assert not any(s.nutrient == "vitamin_d_iu" for s in high.supplements)
    assert any(n.startswith("25(OH)D 120 ng/mL") and "no vitamin D supplement" in n for n in high.notes)
