"""Domain model of one person's record (patient file v1), in canonical units.

Field names carry their units. ``None`` always means "not recorded": readers never fill in defaults
that would change advice (spec/patient-file.md).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from osteotwin.units import DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR

Sex = Literal["male", "female"]
MenopausalStatus = Literal["premenopausal", "perimenopausal", "postmenopausal"]
Smoking = Literal["never", "former", "current"]
Intensity = Literal["light", "moderate", "high"]
DietPattern = Literal["omnivore", "pescatarian", "vegetarian", "vegan"]
TrainingSetting = Literal["gym", "home_weights", "bodyweight_only"]
Site = Literal["lumbar_spine", "total_hip", "femoral_neck"]

SEXES: tuple[str, ...] = ("male", "female")
MENOPAUSAL_STATUSES: tuple[str, ...] = ("premenopausal", "perimenopausal", "postmenopausal")
SMOKING: tuple[str, ...] = ("never", "former", "current")
INTENSITIES: tuple[str, ...] = ("light", "moderate", "high")
DIET_PATTERNS: tuple[str, ...] = ("omnivore", "pescatarian", "vegetarian", "vegan")
FOOD_EXCLUSIONS: tuple[str, ...] = (
    "dairy",
    "eggs",
    "fish",
    "shellfish",
    "nuts",
    "peanuts",
    "soy",
    "gluten",
)
TRAINING_SETTINGS: tuple[str, ...] = ("gym", "home_weights", "bodyweight_only")
SITES: tuple[str, ...] = ("lumbar_spine", "total_hip", "femoral_neck")


def whole_multiple(days: float, unit_d: float, *, exact: bool = False) -> int | None:
    """The whole number k >= 1 with ``days`` = k · ``unit_d`` (``exact``: as the patient file reader
    computes k · unit, to the last bit, so that writing "k unit" reads back the same), or None."""
    k = round(days / unit_d)
    if k < 1:
        return None
    if exact:
        return k if float(k) * unit_d == days else None
    return k if abs(k * unit_d - days) <= 1e-9 * days else None


def interval_words(every_d: float) -> str:
    """A dosing interval as people say it: "every 6 months", "every year", "every 4 weeks", "every
    day", "every 12 hours"; "every 3.5 d" where it is no whole number of years, months, weeks, days
    or hours."""
    units = ((DAYS_PER_YEAR, "year", "years"), (DAYS_PER_MONTH, "month", "months"),
             (DAYS_PER_WEEK, "week", "weeks"), (1.0, "day", "days"), (1.0 / 24.0, "hour", "hours"))
    for unit_d, one, many in units:
        if unit_d < 1.0 <= every_d:  # hours only under a day ("every 3.5 d", not "every 84 hours")
            continue
        k = whole_multiple(every_d, unit_d)
        if k is not None:
            return f"every {one}" if k == 1 else f"every {k} {many}"
    return f"every {every_d:g} d"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Patient(_Frozen):
    id: str | None = None
    sex: Sex
    birth_date: dt.date
    height_cm: float | None = None
    weight_kg: float | None = None
    menopausal_status: MenopausalStatus | None = None

    def age_on(self, when: dt.date) -> float:
        """Age in years (365.25-day years) on ``when``."""
        return (when - self.birth_date).days / 365.25

    @property
    def bmi(self) -> float | None:
        """Body-mass index in kg/m², if height and weight are known."""
        if self.height_cm is None or self.weight_kg is None:
            return None
        return self.weight_kg / (self.height_cm / 100.0) ** 2


class History(_Frozen):
    prior_fragility_fractures: int | None = None
    falls_last_12_months: int | None = None
    smoking: Smoking | None = None
    alcohol_units_per_week: float | None = None
    glucocorticoids: bool | None = None
    rheumatoid_arthritis: bool | None = None
    parent_hip_fracture: bool | None = None
    vertebral_fracture: bool | None = None
    breast_cancer: bool | None = None
    prostate_cancer: bool | None = None
    hypogonadism: bool | None = None
    conditions: tuple[str, ...] = ()


class Medication(_Frozen):
    """A regimen. ``every_d`` None means continuous: ``dose_*`` is then per day.

    Exactly one of ``dose_mg`` (mass per administration) and ``dose_iu`` (IU products: vitamin D3,
    hCG) is set, or neither when the dose is unknown.
    """

    drug: str
    dose_mg: float | None = None
    dose_iu: float | None = None
    route: str | None = None
    every_d: float | None = None
    start: dt.date | None = None
    stop: dt.date | None = None

    def active_on(self, when: dt.date) -> bool:
        """True if the regimen is ongoing on ``when`` (start unknown counts as started)."""
        started = self.start is None or self.start <= when
        return started and (self.stop is None or self.stop > when)

    def last_dose_on_or_before(self, when: dt.date) -> dt.date | None:
        """Day of the last scheduled administration on or before ``when`` (doses at ``start`` +
        k · ``every_d``, before ``stop``, as the simulator places them); None for a continuous
        regimen, an unknown start, or no dose by then."""
        if self.every_d is None or self.start is None or self.start > when:
            return None
        k = math.floor((when - self.start).days / self.every_d + 1e-9)  # a dose on ``when`` counts
        if self.stop is not None:  # the last k with k · every before stop
            k = min(k, math.ceil((self.stop - self.start).days / self.every_d - 1e-9) - 1)
        return None if k < 0 else self.start + dt.timedelta(days=math.floor(k * self.every_d))

    def dose_words(self) -> str | None:
        """The dose as written: "2.5 mg", "1000 IU"; None where none is on file."""
        return (f"{self.dose_mg:g} mg" if self.dose_mg is not None
                else f"{self.dose_iu:g} IU" if self.dose_iu is not None else None)

    def words(self) -> str:
        """The medicine as a reader names it: "letrozole 2.5 mg every day" (name, then the dose and
        the interval where they are on file)."""
        parts = [self.drug.replace("_", " "), self.dose_words(),
                 None if self.every_d is None else interval_words(self.every_d)]
        return " ".join(p for p in parts if p)

    def schedule_words(self) -> str:
        """How often it is taken, in words: "every 6 months" (``interval_words``), or "per day"
        for a continuous regimen (its dose is a daily amount)."""
        return "per day" if self.every_d is None else interval_words(self.every_d)

    def daily_dose_mg(self) -> float | None:
        """Average mass per day (mg/d), or None if dose or interval is unknown."""
        if self.dose_mg is None:
            return None
        return self.dose_mg if self.every_d is None else self.dose_mg / self.every_d


class LabResult(_Frozen):
    """One result in the test's canonical unit, with the value and unit as reported."""

    test: str
    value: float
    unit: str
    date: dt.date
    method: str | None = None
    reported_value: float
    reported_unit: str


def scan_measures(bmd_g_cm2: float | None, t_score: float | None, z_score: float | None) -> str:
    """A scan's results in words: "BMD 0.710 g/cm², T -1.6, Z -0.4" (what is on file)."""
    return ", ".join(part for part in (
        f"BMD {bmd_g_cm2:.3f} g/cm²" if bmd_g_cm2 is not None else "",
        f"T {t_score:+.1f}" if t_score is not None else "",
        f"Z {z_score:+.1f}" if z_score is not None else "") if part)


class DxaScan(_Frozen):
    date: dt.date
    site: Site
    bmd_g_cm2: float | None = None
    t_score: float | None = None
    z_score: float | None = None
    device: str | None = None


class Supplement(_Frozen):
    """A daily supplement; ``dose_per_day`` in ``unit`` (IU/d for vitamin D3, else mg/d elemental)."""

    name: str
    dose_per_day: float
    unit: str


class Lifestyle(_Frozen):
    dietary_calcium_mg_d: float | None = None
    protein_g_kg_d: float | None = None
    supplements: tuple[Supplement, ...] = ()
    resistance_sessions_per_week: float | None = None
    resistance_intensity: Intensity | None = None
    impact_sessions_per_week: float | None = None
    weight_bearing_aerobic_minutes_per_week: float | None = None
    sleep_hours: float | None = None
    diet_pattern: DietPattern | None = None
    food_exclusions: tuple[str, ...] = ()
    training_setting: TrainingSetting | None = None

    def supplement_total(self, *names: str) -> float:
        """Sum of daily supplement doses for the given supplement names."""
        return sum(s.dose_per_day for s in self.supplements if s.name in names)


class ExternalFractureRisk(_Frozen):
    """An externally calculated fracture-risk result (e.g. FRAX), entered as reported.

    Extension to patient file v1 (docs/spec/patient-file.md, "fracture_risk_external").
    """

    tool: str
    major_osteoporotic_10y_pct: float | None = None
    hip_10y_pct: float | None = None
    date: dt.date | None = None
    bmd_included: bool | None = None
    country: str | None = None


class PatientRecord(_Frozen):
    version: int = 1
    as_of: dt.date | None = None
    patient: Patient
    history: History = Field(default_factory=History)
    medications: tuple[Medication, ...] = ()
    labs: tuple[LabResult, ...] = ()
    dxa: tuple[DxaScan, ...] = ()
    lifestyle: Lifestyle = Field(default_factory=Lifestyle)
    fracture_risk_external: ExternalFractureRisk | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    def labs_for(self, test: str, *, on_or_before: dt.date | None = None) -> list[LabResult]:
        """Results of ``test``, oldest first, optionally only those dated on or before a date."""
        rows = [lab for lab in self.labs if lab.test == test]
        if on_or_before is not None:
            rows = [lab for lab in rows if lab.date <= on_or_before]
        return sorted(rows, key=lambda lab: lab.date)

    def latest_lab(self, test: str, *, on_or_before: dt.date | None = None) -> LabResult | None:
        rows = self.labs_for(test, on_or_before=on_or_before)
        return rows[-1] if rows else None

    def scans_for(self, site: str, *, on_or_before: dt.date | None = None) -> list[DxaScan]:
        rows = [s for s in self.dxa if s.site == site]
        if on_or_before is not None:
            rows = [s for s in rows if s.date <= on_or_before]
        return sorted(rows, key=lambda s: s.date)

    def active_medications(self, when: dt.date) -> list[Medication]:
        return [m for m in self.medications if m.active_on(when)]

    def after(self, when: dt.date) -> str | None:
        """What an assessment on ``when`` leaves out, in words ("2 lab results and 1 DXA scan dated
        after 2020-01-01; 1 medicine starting after it (planned, or not yet taken then)"), or None
        when nothing is dated after it."""
        labs = sum(1 for lab in self.labs if lab.date > when)
        scans = sum(1 for scan in self.dxa if scan.date > when)
        planned = sum(1 for m in self.medications if m.start is not None and m.start > when)

        def count(n: int, what: str) -> str:
            return f"{n} {what}{'' if n == 1 else 's'}"

        dated = " and ".join(count(n, what) for n, what in ((labs, "lab result"), (scans, "DXA scan"))
                             if n)
        parts = [f"{dated} dated after {when.isoformat()}"] if dated else []
        if planned:
            parts.append(f"{count(planned, 'medicine')} starting after "
                         f"{'it' if dated else when.isoformat()} (planned, or not yet taken then)")
        return "; ".join(parts) or None
