"""Arrange a day's foods into meals for reading (the optimiser plans whole days) [OSTEOTWIN].

Rules by food category: drinks, yogurt, eggs, oats and juice at breakfast; meat, fish, tofu and oil at
dinner; legumes, cheese and bread at lunch; nuts and seeds as a snack; vegetables, grains and fruit are
spread over the meals in turn. Pure presentation: totals are per day.
"""

from __future__ import annotations

from osteotwin.plan.nutrition.foods import Food

MEALS = ("breakfast", "lunch", "dinner", "snack")
FIXED = {
    "milk": "breakfast", "plant_milk": "breakfast", "yogurt": "breakfast", "egg": "breakfast",
    "juice": "breakfast", "legume": "lunch", "cheese": "lunch", "bread": "lunch",
    "meat": "dinner", "fish": "dinner", "shellfish": "dinner", "soy": "dinner", "oil": "dinner",
    "vitamin_d_mushroom": "dinner", "nut_seed": "snack",
}
ROTATION = {
    "vegetable": ("dinner", "lunch"),
    "grain": ("dinner", "lunch", "breakfast"),
    "fruit": ("breakfast", "snack", "lunch"),
}


def assign_meals(items: tuple[tuple[Food, int], ...]) -> list[str]:
    """The meal of each ``(food, portions)`` item, in order."""
    turn: dict[str, int] = {}
    meals: list[str] = []
    for food, _ in items:
        if food.category == "grain" and "oats" in food.description.lower():
            meals.append("breakfast")
        elif food.category in FIXED:
            meals.append(FIXED[food.category])
        else:
            order = ROTATION.get(food.category, ("lunch",))
            k = turn.get(food.category, 0)
            turn[food.category] = k + 1
            meals.append(order[k % len(order)])
    return meals
