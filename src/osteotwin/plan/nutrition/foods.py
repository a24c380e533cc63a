"""The packaged food table: an SR28 subset with household portions, diet and allergen tags.

Source: USDA National Nutrient Database for Standard Reference, Release 28 (2015), public domain
[SR28]. Nutrient values are per 100 g edible portion, exactly as in SR28; ``None`` means SR28 has no
value (not analysed), never zero. Tags and portion caps are our curation (``food_selection.csv``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PACKAGED_DIR = Path(__file__).resolve().parents[2] / "data" / "plan"
FOODS_FILE = PACKAGED_DIR / "sr28_subset_foods.csv"

#: SR28 nutrient columns shipped with each food (per 100 g).
NUTRIENT_COLUMNS: tuple[str, ...] = (
    "energy_kcal", "protein_g", "fat_g", "carbohydrate_g", "fiber_g", "calcium_mg", "phosphorus_mg",
    "magnesium_mg", "potassium_mg", "sodium_mg", "zinc_mg", "vitamin_d_iu", "vitamin_k1_mcg",
    "menaquinone4_mcg", "vitamin_c_mg", "iron_mg",
)
#: Nutrients the planner optimises or limits; every packaged food has an SR28 value for each.
OPTIMISED_NUTRIENTS: tuple[str, ...] = (
    "energy_kcal", "protein_g", "calcium_mg", "magnesium_mg", "potassium_mg", "sodium_mg",
    "vitamin_d_iu", "vitamin_k1_mcg",
)

#: Tags that each diet pattern rules out (our reading of the usual definitions of the patterns).
#: ``may_contain_*``: commercial foods whose recipe varies (bread may hold milk or eggs, tortillas lard);
#: they are left out whenever that ingredient is, to be safe.
DIET_EXCLUDED_TAGS: Mapping[str, frozenset[str]] = {
    "omnivore": frozenset(),
    "pescatarian": frozenset({"meat", "may_contain_lard"}),
    "vegetarian": frozenset({"meat", "fish", "shellfish", "may_contain_lard"}),
    "vegan": frozenset({"meat", "fish", "shellfish", "dairy", "eggs", "honey", "may_contain_lard",
                        "may_contain_dairy", "may_contain_eggs"}),
}

#: Patient-file ``food_exclusions`` values → the food tags they rule out.
EXCLUSION_TAGS: Mapping[str, frozenset[str]] = {
    "dairy": frozenset({"dairy", "may_contain_dairy"}),
    "eggs": frozenset({"eggs", "may_contain_eggs"}),
    **{name: frozenset({name}) for name in ("fish", "shellfish", "nuts", "peanuts", "soy", "gluten")},
}


@dataclass(frozen=True)
class Food:
    """One SR28 food with the household portion the planner counts in."""

    ndb_no: str
    description: str
    food_group: str
    category: str
    tags: frozenset[str]
    note: str
    portion_measure: str
    portion_grams: float
    max_portions_per_day: int
    staple: bool
    per_100g: Mapping[str, float | None]

    def per_portion(self, nutrient: str) -> float | None:
        """Amount of ``nutrient`` in one portion, or None when SR28 has no value."""
        value = self.per_100g.get(nutrient)
        return None if value is None else value * self.portion_grams / 100.0

    def portion_label(self, count: int) -> str:
        """Household description of ``count`` portions, e.g. ``"2 × 1 cup"``."""
        return self.portion_measure if count == 1 else f"{count} × {self.portion_measure}"


@dataclass(frozen=True)
class FoodTable:
    foods: tuple[Food, ...]

    def __len__(self) -> int:
        return len(self.foods)

    def by_ndb(self, ndb_no: str) -> Food:
        for food in self.foods:
            if food.ndb_no == ndb_no:
                return food
        raise KeyError(ndb_no)

    def without_tags(self, tags: Iterable[str]) -> FoodTable:
        """The foods carrying none of ``tags``."""
        banned = frozenset(tags)
        return FoodTable(tuple(f for f in self.foods if not (f.tags & banned)))


def excluded_tags(diet_pattern: str | None, food_exclusions: Iterable[str]) -> frozenset[str]:
    """Food tags ruled out by a diet pattern (None = no pattern recorded) and named exclusions."""
    tags = set(DIET_EXCLUDED_TAGS[diet_pattern]) if diet_pattern else set()
    for item in food_exclusions:
        tags |= EXCLUSION_TAGS[item]
    return frozenset(tags)


def _number(text: str) -> float | None:
    return None if text.strip() == "" else float(text)


def _portion_measure(amount: str, measure: str) -> str:
    value = float(amount)
    shown = f"{value:g}" if value != 0.5 else "1/2"
    return f"{shown} {measure}"


def read_food_table(path: Path) -> FoodTable:
    """Read a food table in the packaged format (``sr28_subset_foods.csv``)."""
    foods: list[Food] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            foods.append(Food(
                ndb_no=row["ndb_no"],
                description=row["description"],
                food_group=row["food_group"],
                category=row["category"],
                tags=frozenset(t for t in row["tags"].split(";") if t),
                note=row["note"],
                portion_measure=_portion_measure(row["portion_amount"], row["portion_measure"]),
                portion_grams=float(row["portion_grams"]),
                max_portions_per_day=int(row["max_portions_per_day"]),
                staple=row["staple"] == "1",
                per_100g={c: _number(row[c]) for c in NUTRIENT_COLUMNS},
            ))
    return FoodTable(tuple(foods))


@lru_cache(maxsize=1)
def packaged_food_table() -> FoodTable:
    """The SR28 subset shipped with osteotwin."""
    return read_food_table(FOODS_FILE)
