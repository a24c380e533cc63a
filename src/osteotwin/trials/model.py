"""Trial file v1 as typed data (spec/trial-file.md), in canonical units.

Times are days from study start (``mo`` = 30.4375 d, ``y`` = 365.25 d); weights kg; doses mg (or IU for
IU products); lab values in the canonical unit of ``osteotwin.units.LAB_SPECS``; BMD in g/cm².
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from osteotwin.records.patient import Lifestyle

Sex = Literal["male", "female"]

BMD_SITES: tuple[str, ...] = ("lumbar_spine", "total_hip", "femoral_neck")
BMD_CHANGE_QUANTITIES: tuple[str, ...] = tuple(f"{site}_bmd_change_pct" for site in BMD_SITES)
FRACTURE_QUANTITY = "fracture_incidence_pct"


@dataclass(frozen=True)
class Distribution:
    """A population characteristic: mean, SD and optional truncation bounds (same unit)."""

    mean: float | None = None
    sd: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def centre(self) -> float | None:
        """Best single value: the mean, else the midpoint of the bounds; None when only one bound is
        published (the population builder then draws its default held to that bound)."""
        if self.mean is not None:
            return self.mean
        if self.minimum is not None and self.maximum is not None:
            return 0.5 * (self.minimum + self.maximum)
        return None


@dataclass(frozen=True)
class Population:
    """Who was studied. Every field may be absent; an arm's population overrides field by field."""

    sex: Sex | None = None
    age_y: Distribution | None = None
    menopausal_status: str | None = None
    years_since_menopause: Distribution | None = None
    weight_kg: Distribution | None = None
    height_cm: Distribution | None = None
    breast_cancer: bool | None = None
    baseline: dict[str, Distribution] = field(default_factory=dict)  # lab (canonical unit) or BMD
    lifestyle: Lifestyle | None = None

    def merged(self, override: Population | None) -> Population:
        """This population with the fields of ``override`` laid over it (baseline merges by name)."""
        if override is None:
            return self
        return Population(
            sex=override.sex or self.sex,
            age_y=override.age_y or self.age_y,
            menopausal_status=override.menopausal_status or self.menopausal_status,
            years_since_menopause=override.years_since_menopause or self.years_since_menopause,
            weight_kg=override.weight_kg or self.weight_kg,
            height_cm=override.height_cm or self.height_cm,
            breast_cancer=self.breast_cancer if override.breast_cancer is None
            else override.breast_cancer,
            baseline={**self.baseline, **override.baseline},
            lifestyle=merge_lifestyle(self.lifestyle, override.lifestyle),
        )


def merge_lifestyle(base: Lifestyle | None, override: Lifestyle | None) -> Lifestyle | None:
    """Lay the fields set in ``override`` over ``base`` (unset = None or empty)."""
    if override is None:
        return base
    if base is None:
        return override
    values = base.model_dump()
    for name, value in override.model_dump().items():
        if value not in (None, ()):
            values[name] = value
    return Lifestyle.model_validate(values)


@dataclass(frozen=True)
class TrialRegimen:
    """One regimen of an arm; ``every_d`` None = continuous (dose per day); ``stop_d`` None = open."""

    drug: str
    dose_mg: float | None
    dose_iu: float | None
    route: str | None
    every_d: float | None
    start_d: float
    stop_d: float | None


@dataclass(frozen=True)
class Arm:
    """One arm. ``population`` is already merged with the trial's shared population (its lifestyle is
    the habitual one people equilibrate at); ``lifestyle`` is the arm's own lifestyle (an intervention
    such as an exercise programme) laid over the habitual one from study start, or None."""

    id: str
    n: int | None
    population: Population
    regimens: tuple[TrialRegimen, ...]
    lifestyle: Lifestyle | None = None


@dataclass(frozen=True)
class Uncertainty:
    """The published uncertainty as given: exactly one of ``ci95``, ``se``, ``sd``, or none."""

    ci95: tuple[float, float] | None = None
    se: float | None = None
    sd: float | None = None


@dataclass(frozen=True)
class Endpoint:
    """A published result: for one arm, or a contrast (arm minus arm)."""

    quantity: str
    at_d: float
    at_text: str
    value: float
    unit: str | None  # canonical unit for absolute lab levels, None otherwise
    uncertainty: Uncertainty
    arm: str | None = None
    contrast: tuple[str, str] | None = None
    from_d: float = 0.0
    source: str | None = None
    derived: bool = False
    #: The value and unit as the trial file gives them (before conversion to ``unit``); None when
    #: the endpoint was not read from a file.
    given_value: float | None = None
    given_unit: str | None = None

    @property
    def model_unit(self) -> str:
        """The unit of ``value`` and of the model's prediction: the canonical lab unit for an
        absolute level, else ``%`` (changes and incidences)."""
        return self.unit if self.unit is not None else "%"

    @property
    def arms(self) -> tuple[str, ...]:
        """The arm ids this endpoint needs."""
        if self.contrast is not None:
            return self.contrast
        assert self.arm is not None
        return (self.arm,)


@dataclass(frozen=True)
class Trial:
    id: str
    citation: str
    arms: tuple[Arm, ...]
    endpoints: tuple[Endpoint, ...]
    path: str | None = None

    def arm(self, arm_id: str) -> Arm:
        for arm in self.arms:
            if arm.id == arm_id:
                return arm
        raise KeyError(arm_id)

    @property
    def horizon_d(self) -> float:
        """Latest endpoint time in days."""
        return max((e.at_d for e in self.endpoints), default=0.0)
