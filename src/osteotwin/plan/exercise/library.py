"""The exercise library (copied from shared/data/exercise/exercise_library.csv; sources in protocols.md)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LIBRARY_FILE = Path(__file__).resolve().parents[2] / "data" / "plan" / "exercise_library.csv"


@dataclass(frozen=True)
class Exercise:
    exercise_id: str
    name: str
    pattern: str
    loading_type: str  # resistance | impact | aerobic | balance | posture | movement_to_avoid
    sites_loaded: str
    equipment: str
    regression: str
    progression: str
    dose_reference: str
    contraindicated_if: str
    sources: tuple[str, ...]  # source keys as written in the library, e.g. "LIFTMOR", "TTFF15 (...)"

    @property
    def source_keys(self) -> tuple[str, ...]:
        """Bare source keys ("TTFF15 (lift from knee height)" → "TTFF15")."""
        return tuple(s.split(" ")[0].strip() for s in self.sources)


@lru_cache(maxsize=1)
def exercise_library() -> dict[str, Exercise]:
    """All library rows keyed by ``exercise_id``."""
    out: dict[str, Exercise] = {}
    with LIBRARY_FILE.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out[row["exercise_id"]] = Exercise(
                exercise_id=row["exercise_id"], name=row["exercise"], pattern=row["pattern"],
                loading_type=row["loading_type"], sites_loaded=row["primary_skeletal_sites_loaded"],
                equipment=row["equipment"], regression=row["regression"],
                progression=row["progression"], dose_reference=row["dose_reference"],
                contraindicated_if=row["contraindicated_if"],
                sources=tuple(s.strip() for s in row["sources"].split(";") if s.strip()),
            )
    return out
