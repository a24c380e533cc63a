"""Hormone levels as a clinician reads them: averaged over the dosing cycle, not read off one day.

Injections and patches make estradiol and testosterone swing within each dosing interval (a weekly
testosterone cypionate injection: a peak a day or two after the dose, a trough before the next), so
a level taken from a simulation on one day depends on where that day falls in the interval. Two
averages are used:

- a summary value at a time (tables: ``osteotwin simulate``, the web what-if) is the mean over the
  ``SUMMARY_WINDOW_D`` days before it, a whole weekly cycle, as the estradiol match averages the
  simulated level before a lab date (``simulate.single``);
- a curve (figures) is the mean over the ``CURVE_WINDOW_D`` days up to each day (trailing, so a
  change of course shows from its own day on, never before it), which also smooths fortnightly
  and monthly cycles.

BMD and marker changes are not averaged: they move over months, not within a dosing interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

DAYS_PER_YEAR = 365.25
#: When compared courses are summarised (tables of ``osteotwin simulate``, the web what-if and the
#: report): 1, 2 and 5 years, the times the issue's comparison of anastrozole doses asks for, and
#: 10 and 20 years for the command line's longer horizons (up to 30).
SUMMARY_YEARS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0)
HORMONE_SERIES: tuple[str, ...] = ("estradiol_pg_ml", "total_testosterone_ng_dl",
                                   "free_testosterone_pg_ml", "lh_iu_l")
SUMMARY_WINDOW_D = 7.0  # one weekly dosing cycle (osteotwin choice; the estradiol match's window)
CURVE_WINDOW_D = 28  # daily points: covers weekly, fortnightly and 28-day cycles (osteotwin choice)
#: Points over a summary window, ends included: every 6 h. An injection's peak is sharp, so seven
#: daily points misread a weekly mean by about 2 % depending on their phase (testosterone
#: cypionate 100 mg weekly in the demo man); 28 in the window bring that under 0.1 %.
WINDOW_POINTS = 29


def daily_times(years: float) -> NDArray[np.float64]:
    """Every day from 0 to the horizon, the horizon included (days)."""
    horizon = years * DAYS_PER_YEAR
    return np.append(np.arange(0.0, horizon, 1.0), horizon)


def rolling_mean(values: ArrayLike, window_d: int = CURVE_WINDOW_D) -> NDArray[np.float64]:
    """Mean of each daily point and the ``window_d`` − 1 before it (fewer at the start)."""
    x = np.asarray(values, dtype=float)
    total = np.concatenate([[0.0], np.cumsum(x)])
    end = np.arange(1, x.size + 1)
    start = np.maximum(end - window_d, 0)
    averaged: NDArray[np.float64] = (total[end] - total[start]) / (end - start)
    return averaged


def averaged_curves(series: Mapping[str, NDArray[np.float64]]) -> dict[str, NDArray[np.float64]]:
    """The series on a daily grid with each hormone replaced by its ``CURVE_WINDOW_D``-day average."""
    return {name: rolling_mean(values) if name in HORMONE_SERIES else np.asarray(values, dtype=float)
            for name, values in series.items()}


def daily_points(times_d: ArrayLike) -> NDArray[np.int64]:
    """Indices of the whole days in a grid, and of its last point (the horizon): the daily grid
    ``averaged_curves`` needs, taken from a ``summary_grid`` whose windows add finer points."""
    t = np.asarray(times_d, dtype=float)
    keep = np.isclose(t, np.round(t), atol=1e-9)
    keep[-1] = True
    return np.flatnonzero(keep)


def summary_years(years: float) -> list[float]:
    """When a course over ``years`` is summarised: each of ``SUMMARY_YEARS`` within it, and the
    horizon itself when it is not one of them (a 3-year what-if also shows its value at 3 years)."""
    chosen = [y for y in SUMMARY_YEARS if y <= years + 1e-9]
    if not chosen or abs(chosen[-1] - years) > 1e-9:
        chosen.append(float(years))
    return chosen


def summary_value(times_d: ArrayLike, values: ArrayLike, at_d: float, name: str) -> float:
    """The value of series ``name`` at ``at_d`` days: a hormone's mean over the
    ``SUMMARY_WINDOW_D`` days before it (the output times in the half-open window
    (at_d − window, at_d], so evenly spaced points weigh every phase of a weekly cycle once),
    anything else at the output time nearest to it."""
    t = np.asarray(times_d, dtype=float)
    x = np.asarray(values, dtype=float)
    if name in HORMONE_SERIES:
        window = (t > at_d - SUMMARY_WINDOW_D + 1e-9) & (t <= at_d + 1e-9)
        if window.any():
            return float(np.mean(x[window]))
    return float(x[int(np.argmin(np.abs(t - at_d)))])


def summary_values(times_d: ArrayLike, series: Mapping[str, ArrayLike], at_d: Sequence[float],
                   names: Sequence[str]) -> dict[str, NDArray[np.float64]]:
    """``summary_value`` of each of ``names`` present in ``series`` at each of ``at_d`` days (one
    course, or one virtual person: its own week means, of which a band takes percentiles)."""
    return {name: np.array([summary_value(times_d, series[name], t, name) for t in at_d])
            for name in names if name in series}


def summary_grid(years: float, at_years: Sequence[float], step_d: float,
                 window_points: int = WINDOW_POINTS) -> NDArray[np.float64]:
    """Output times every ``step_d`` days up to the horizon, plus ``window_points`` evenly spaced
    over the summary window before each of ``at_years``, both ends included (``summary_value``
    averages all but the first, a whole cycle)."""
    horizon = years * DAYS_PER_YEAR
    coarse = np.append(np.arange(0.0, horizon, step_d), horizon)
    ends = [y * DAYS_PER_YEAR for y in at_years]
    for end in ends:  # inside a window only its own, evenly spaced points
        coarse = coarse[(coarse <= end - SUMMARY_WINDOW_D + 1e-9) | (coarse > end + 1e-9)]
    windows = [np.linspace(max(end - SUMMARY_WINDOW_D, 0.0), end, window_points) for end in ends]
    return np.unique(np.concatenate([coarse, *windows]))
