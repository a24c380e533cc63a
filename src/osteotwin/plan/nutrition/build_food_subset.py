"""Build the packaged SR28 food subset from the full SR28 table (a maintainer tool, not run at run time).

Usage::

    python -m osteotwin.plan.nutrition.build_food_subset ../shared/data/foods

It reads ``food_selection.csv`` (our hand-curated list: category, diet/allergen tags, preferred household
portion, portions-per-day cap) and writes ``sr28_subset_foods.csv`` and ``sr28_subset_portions.csv`` next
to it. Nutrient values are copied verbatim from SR28 (per 100 g; an empty cell stays empty, it is never
turned into zero). A selected food that lacks a value for any nutrient the planner optimises is rejected,
so every plan total is fully defined by the table.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from osteotwin.plan.nutrition.foods import (
    NUTRIENT_COLUMNS,
    OPTIMISED_NUTRIENTS,
    PACKAGED_DIR,
)

SELECTION_FILE = "food_selection.csv"
FOODS_FILE = "sr28_subset_foods.csv"
PORTIONS_FILE = "sr28_subset_portions.csv"


def _choose_portion(portions: list[dict[str, str]], hint: str, ndb_no: str) -> dict[str, str]:
    for row in portions:
        if hint in row["measure"]:
            return row
    raise ValueError(f"{ndb_no}: no SR28 household measure contains {hint!r}")


def build(sr28_dir: Path, out_dir: Path = PACKAGED_DIR) -> int:
    """Write the subset files into ``out_dir``; returns the number of foods written."""
    with (out_dir / SELECTION_FILE).open(newline="", encoding="utf-8") as handle:
        selection = list(csv.DictReader(handle))
    with (sr28_dir / "sr28_foods.csv").open(newline="", encoding="utf-8") as handle:
        foods = {row["ndb_no"]: row for row in csv.DictReader(handle)}
    portions: dict[str, list[dict[str, str]]] = {}
    with (sr28_dir / "sr28_portions.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            portions.setdefault(row["ndb_no"], []).append(row)

    header = ["ndb_no", "description", "food_group_code", "food_group", "category", "tags", "note",
              "portion_amount", "portion_measure", "portion_grams", "max_portions_per_day", "staple",
              *NUTRIENT_COLUMNS]
    out_rows: list[dict[str, str]] = []
    kept_portions: list[dict[str, str]] = []
    for sel in selection:
        ndb = sel["ndb_no"]
        food = foods[ndb]
        missing = [c for c in OPTIMISED_NUTRIENTS if food[c] == ""]
        if missing:
            raise ValueError(f"{ndb} {food['description']}: SR28 has no value for {missing}")
        portion = _choose_portion(portions.get(ndb, []), sel["portion_hint"], ndb)
        out_rows.append({
            "ndb_no": ndb, "description": food["description"],
            "food_group_code": food["food_group_code"], "food_group": food["food_group"],
            "category": sel["category"], "tags": sel["tags"], "note": sel["note"],
            "portion_amount": portion["amount"], "portion_measure": portion["measure"],
            "portion_grams": portion["gram_weight"], "max_portions_per_day": sel["max_per_day"],
            "staple": sel["staple"], **{c: food[c] for c in NUTRIENT_COLUMNS},
        })
        kept_portions.extend(portions.get(ndb, []))

    with (out_dir / FOODS_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out_rows)
    with (out_dir / PORTIONS_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["ndb_no", "seq", "amount", "measure", "gram_weight"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept_portions)
    return len(out_rows)


if __name__ == "__main__":  # pragma: no cover - maintainer tool
    if len(sys.argv) != 2:
        sys.exit("usage: python -m osteotwin.plan.nutrition.build_food_subset SR28_DIR")
    print(f"wrote {build(Path(sys.argv[1]))} foods")
