"""The optimiser and the plan builder: gaps explained, nearest plan returned, supplements flagged."""

from __future__ import annotations

from dataclasses import replace

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
    for s in plan.supplements:
        assert s.reason.startswith("SUPPLEMENT")
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
    assert not a.gaps


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
