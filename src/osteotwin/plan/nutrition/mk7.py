"""Menaquinone-7 (MK-7) from the literature: SR28 has no MK-7, so only cited values are used.

Natto is the only food with verified numeric values (775-939 µg/100 g) [KAMAO2007] [TSUKAMOTO2000];
for every other food MK-7 is unknown, not zero (shared/data/foods/README.md).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from osteotwin.plan.nutrition.foods import PACKAGED_DIR

MK7_FILE = PACKAGED_DIR / "mk7_menaquinone7_literature.csv"


@dataclass(frozen=True)
class Mk7Value:
    """Retail-food MK-7 content range (µg/100 g) for one SR28 food, with citations."""

    ndb_no: str
    low_mcg_per_100g: float
    high_mcg_per_100g: float
    citations: tuple[str, ...]


@lru_cache(maxsize=1)
def mk7_values() -> Mapping[str, Mk7Value]:
    """Literature MK-7 ranges by SR28 ndb_no (reported food contents only)."""
    found: dict[str, list[tuple[float, str]]] = {}
    with MK7_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ndb, value = row["sr28_ndb_no"].strip(), row["mk7_mcg_per_100g"].strip()
            if not ndb or not value or not row["value_kind"].startswith("reported content"):
                continue  # keep retail-food contents; leave out study products and laboratory maxima
            if "study product" in row["value_kind"] or "reinforced" in row["food"].lower():
                continue
            found.setdefault(ndb, []).append((float(value), row["citation"]))
    return {
        ndb: Mk7Value(ndb, min(v for v, _ in rows), max(v for v, _ in rows),
                      tuple(dict.fromkeys(c for _, c in rows)))
        for ndb, rows in found.items()
    }


@dataclass(frozen=True)
class Mk7Estimate:
    """MK-7 of a day: a range from foods with literature values, and the foods whose MK-7 is unknown."""

    known_low_mcg: float
    known_high_mcg: float
    foods_with_value: tuple[str, ...]
    foods_unknown: tuple[str, ...]

    @property
    def status(self) -> str:
        return "complete" if not self.foods_unknown else ("partial" if self.foods_with_value else "unknown")


def estimate_mk7(items: list[tuple[str, float]]) -> Mk7Estimate:
    """MK-7 for ``(ndb_no, grams)`` items: known contributions as a range; unknown ones listed."""
    values = mk7_values()
    low = high = 0.0
    known: list[str] = []
    unknown: list[str] = []
    for ndb, grams in items:
        value = values.get(ndb)
        if value is None:
            unknown.append(ndb)
            continue
        low += value.low_mcg_per_100g * grams / 100.0
        high += value.high_mcg_per_100g * grams / 100.0
        known.append(ndb)
    return Mk7Estimate(low, high, tuple(known), tuple(unknown))
