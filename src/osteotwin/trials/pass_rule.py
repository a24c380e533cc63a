"""The pass rule of spec/trial-file.md, exactly.

An endpoint passes when the model's mean for the arm (or the difference of arm means, for a contrast)
lies within the published 95 % interval, widened to at least ±0.5 percentage points for BMD and marker
changes and ±10 % of the value for absolute lab levels (measurement precision):

* ``ci95: [lo, hi]`` is the interval;
* ``se`` gives value ± 1.96·se;
* ``sd`` gives value ± 1.96·sd/√n with the arm's ``n`` (for a contrast, 1.96·sd·√(1/n₁ + 1/n₂));
  with ``n: null`` the endpoint is reported, not scored;
* no uncertainty: the floor alone (value ± floor).

Percentage quantities that are neither BMD nor marker changes (``fracture_incidence_pct``) are
percentages of people: they get the ±0.5 percentage-point floor too (the spec names no other floor;
a zero-width interval could never pass).

The rule is defined for virtual arms of at least ``MIN_VIRTUAL_PEOPLE``: below that no verdict is
given (``small_n_reason``). The simulated mean carries a Monte Carlo error (``standard_error``: the
SD of the per-person values over √n); a verdict whose mean ± ``BORDERLINE_SE`` standard errors
straddles an edge of the interval is borderline (``is_borderline``): another seed or sampling
scheme may turn it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteotwin.trials.model import Endpoint
from osteotwin.units import LAB_SPECS

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
#: The pass rule is defined for a virtual arm of at least this many people (spec/trial-file.md).
MIN_VIRTUAL_PEOPLE = 1000
CHANGE_FLOOR_PP = 0.5
LAB_FLOOR_FRACTION = 0.10
#: Monte Carlo standard errors either side of the simulated mean that make a verdict borderline
#: when an interval edge lies within them (osteotwin's choice: mean ± 2 SE holds about 95 % of the
#: sampling distribution of the mean, so a verdict outside it rarely turns with the seed).
BORDERLINE_SE = 2.0


@dataclass(frozen=True)
class ScoringInterval:
    """The interval an endpoint is scored against; ``scored`` False means reported only."""

    low: float
    high: float
    scored: bool
    basis: str  # "ci95" | "se" | "sd" | "floor" | "sd without n"

    def contains(self, value: float) -> bool:
        return math.isfinite(value) and self.low <= value <= self.high


def floor_half_width(endpoint: Endpoint) -> float:
    """Measurement-precision floor: ±10 % of the value for absolute labs, else ±0.5 pp."""
    if endpoint.quantity in LAB_SPECS:
        return LAB_FLOOR_FRACTION * abs(endpoint.value)
    return CHANGE_FLOOR_PP


def published_interval(endpoint: Endpoint, arm_sizes: dict[str, int | None]
                       ) -> tuple[float, float, str] | None:
    """The published 95 % interval (lo, hi, basis), or None when it cannot be formed (sd, n null).

    With no published uncertainty the interval is the point value itself (basis "floor").
    """
    unc = endpoint.uncertainty
    value = endpoint.value
    if unc.ci95 is not None:
        return unc.ci95[0], unc.ci95[1], "ci95"
    if unc.se is not None:
        return value - Z95 * unc.se, value + Z95 * unc.se, "se"
    if unc.sd is not None:
        sizes = [arm_sizes.get(a) for a in endpoint.arms]
        if any(n is None or n <= 0 for n in sizes):
            return None
        half = Z95 * unc.sd * math.sqrt(sum(1.0 / n for n in sizes if n is not None))
        return value - half, value + half, "sd"
    return value, value, "floor"


def scoring_interval(endpoint: Endpoint, arm_sizes: dict[str, int | None]) -> ScoringInterval:
    """The widened interval the model's mean must fall in."""
    floor = floor_half_width(endpoint)
    published = published_interval(endpoint, arm_sizes)
    if published is None:
        return ScoringInterval(endpoint.value - floor, endpoint.value + floor, scored=False,
                               basis="sd without n")
    low, high, basis = published
    return ScoringInterval(min(low, endpoint.value - floor), max(high, endpoint.value + floor),
                           scored=True, basis=basis)


def passes(predicted_mean: float, endpoint: Endpoint, arm_sizes: dict[str, int | None]
           ) -> bool | None:
    """True/False when scored; None when the endpoint is reported but not scored."""
    interval = scoring_interval(endpoint, arm_sizes)
    if not interval.scored:
        return None
    return interval.contains(predicted_mean)


def small_n_reason(people: int) -> str | None:
    """Why a verdict is withheld for a virtual arm of ``people`` (None from ``MIN_VIRTUAL_PEOPLE``
    on): the pass rule is defined for at least that many."""
    if people >= MIN_VIRTUAL_PEOPLE:
        return None
    who = "person" if people == 1 else "people"
    return f"unscored: {people:,} virtual {who}, below the {MIN_VIRTUAL_PEOPLE:,} the pass rule needs"


def standard_error(values: NDArray[np.float64]) -> float:
    """Monte Carlo standard error of the mean of the finite ``values`` (SD, ddof 1, over √n; NaN
    for fewer than two). Exact for independent draws; for a Latin hypercube (``osteotwin
    validate``'s people) an upper bound, as stratifying lowers the variance of the mean."""
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return math.nan
    return float(finite.std(ddof=1) / math.sqrt(finite.size))


def is_borderline(interval: ScoringInterval, mean: float, se: float) -> bool | None:
    """True when an edge of ``interval`` lies within ``mean`` ± ``BORDERLINE_SE``·``se`` (the
    verdict may turn with the sampling); None when there is no verdict to qualify (not scored, no
    prediction or no standard error)."""
    if not interval.scored or not math.isfinite(mean) or not math.isfinite(se):
        return None
    low, high = mean - BORDERLINE_SE * se, mean + BORDERLINE_SE * se
    return any(low < edge < high for edge in (interval.low, interval.high))
