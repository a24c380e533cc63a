"""Hormone levels as a clinician reads them: averaged over the dosing cycle, not read off one day.

Injections and patches make estradiol and testosterone swing within each dosing interval (a weekly
testosterone cypionate injection: a peak a day or two after the dose, a trough before the next), so
a level taken from a simulation on one day depends on where that day falls in the interval. Two
averages are used:

- a summary value at a time (tables: ``osteotwin simulate``, the web what-if, the report) is the
  mean over a whole dosing cycle before it (``summary_window_d``): the longest dosing interval of
  the sex-hormone regimens in force then, at least ``SUMMARY_WINDOW_D`` days (a week), so a
  fortnightly enanthate or a 10-weekly undecanoate course on a steady regimen reads flat, and equal
  weekly amounts given weekly or fortnightly compare alike;
- a curve (figures) is the mean over the ``CURVE_WINDOW_D`` days up to each day (trailing, so a
  change of course shows from its own day on, never before it), which also smooths fortnightly
  and monthly cycles.

BMD and marker changes are not averaged: they move over months, not within a dosing interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from osteotwin.simulate.scenario import SEX_HORMONE_DRUGS, Regimen

DAYS_PER_YEAR = 365.25
#: When compared courses are summarised (tables of ``osteotwin simulate``, the web what-if and the
#: report): 1, 2 and 5 years, the times the issue's comparison of anastrozole doses asks for, and
#: 10 and 20 years for the command line's longer horizons (up to 30).
SUMMARY_YEARS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0)
HORMONE_SERIES: tuple[str, ...] = ("estradiol_pg_ml", "total_testosterone_ng_dl",
                                   "free_testosterone_pg_ml", "lh_iu_l")
#: The shortest summary window (days): one weekly cycle, so daily and twice-weekly dosing (an
#: aromatase inhibitor every 3.5 days) and a gel are averaged over a week too (osteotwin's choice;
#: the estradiol match's window, ``single.E2_MATCH_WINDOW_D``).
SUMMARY_WINDOW_D = 7.0
CURVE_WINDOW_D = 28  # daily points: covers weekly, fortnightly and 28-day cycles (osteotwin choice)
#: Points over a weekly summary window, ends included: every 6 h. An injection's peak is sharp, so
#: seven daily points misread a weekly mean by about 2 % depending on their phase (testosterone
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


def in_force(regimen: Regimen, at_d: float) -> bool:
    """True when ``regimen`` is taken on day ``at_d``: started on or before it, not yet stopped."""
    return regimen.start_d <= at_d and (regimen.stop_d is None or regimen.stop_d > at_d)


def dosing_cycle_d(regimens: Sequence[Regimen], at_d: float) -> float:
    """The longest dosing interval (days) of the sex-hormone regimens (``SEX_HORMONE_DRUGS``: what
    moves estradiol, testosterone and LH) in force at ``at_d``; 0 when none is dosed at intervals
    (none in force, or only continuous ones such as a gel). Antiresorptives and supplements do not
    make hormone levels swing and are not counted (a yearly infusion is no hormone cycle)."""
    return max((r.every_d for r in regimens if r.every_d is not None
                and r.drug in SEX_HORMONE_DRUGS and in_force(r, at_d)), default=0.0)


def summary_window_d(regimens: Sequence[Regimen], at_d: float) -> float:
    """Days a hormone's summary value at ``at_d`` is averaged over: a whole dosing cycle of the
    regimens in force then (``dosing_cycle_d``: the longest interval, whose window also holds
    whole numbers, or nearly, of the shorter ones), at least ``SUMMARY_WINDOW_D`` (osteotwin's
    choice: the reading a clinician takes of a level that swings between doses is its cycle mean),
    cut at t = 0, where the simulated course and its output grid start (a horizon shorter than a
    cycle is averaged over what there is of it)."""
    window = max(SUMMARY_WINDOW_D, dosing_cycle_d(regimens, at_d))
    return at_d if 0.0 < at_d < window else window


def summary_windows(regimens: Sequence[Regimen], at_d: Sequence[float]) -> tuple[float, ...]:
    """``summary_window_d`` at each of ``at_d`` days."""
    return tuple(summary_window_d(regimens, t) for t in at_d)


def widest_windows(courses: Sequence[Sequence[Regimen]], at_d: Sequence[float]
                   ) -> tuple[float, ...]:
    """At each of ``at_d``, the longest summary window of the ``courses`` (each a sequence of
    regimens) simulated on one grid: the window ``summary_grid`` should fill with points."""
    if not courses:
        return summary_windows((), at_d)
    return tuple(max(ws) for ws in zip(*(summary_windows(c, at_d) for c in courses), strict=True))


def window_mean(times_d: ArrayLike, values: ArrayLike, at_d: float, window_d: float) -> float:
    """Time-weighted mean (trapezoids, the values linear between ``times_d``, days) of ``values``
    over the ``window_d`` days up to ``at_d``, the window cut at the grid's first time; the value
    at ``at_d`` itself when nothing is left of it. Unevenly spaced points (a grid daily before the
    last week and 6-hourly in it) weigh by the time they stand for, not by their number."""
    t = np.asarray(times_d, dtype=float)
    x = np.asarray(values, dtype=float)
    start = max(at_d - window_d, float(t[0]))
    end = min(at_d, float(t[-1]))
    if end - start <= 1e-9:
        return float(np.interp(at_d, t, x))
    inside = (t > start + 1e-9) & (t < end - 1e-9)
    knots = np.concatenate([[start], t[inside], [end]])
    levels = np.interp(knots, t, x)
    area = float(np.sum(np.diff(knots) * (levels[1:] + levels[:-1]) / 2.0))
    return area / (end - start)


def summary_value(times_d: ArrayLike, values: ArrayLike, at_d: float, name: str,
                  window_d: float = SUMMARY_WINDOW_D) -> float:
    """The value of series ``name`` at ``at_d`` days: a hormone's mean over the ``window_d`` days
    before it (``window_mean``; give it ``summary_window_d`` of the course, a whole dosing cycle),
    anything else at the output time nearest to it."""
    t = np.asarray(times_d, dtype=float)
    x = np.asarray(values, dtype=float)
    if name in HORMONE_SERIES:
        return window_mean(t, x, at_d, window_d)
    return float(x[int(np.argmin(np.abs(t - at_d)))])


def summary_values(times_d: ArrayLike, series: Mapping[str, ArrayLike], at_d: Sequence[float],
                   names: Sequence[str], windows_d: Sequence[float] | None = None
                   ) -> dict[str, NDArray[np.float64]]:
    """``summary_value`` of each of ``names`` present in ``series`` at each of ``at_d`` days (one
    course, or one virtual person: its own cycle means, of which a band takes percentiles), each
    over its window in ``windows_d`` (the course's ``summary_windows``; None: a week)."""
    windows = list(windows_d) if windows_d is not None else [SUMMARY_WINDOW_D] * len(at_d)
    return {name: np.array([summary_value(times_d, series[name], t, name, w)
                            for t, w in zip(at_d, windows, strict=True)])
            for name in names if name in series}


def summary_grid(years: float, at_years: Sequence[float], step_d: float,
                 window_points: int = WINDOW_POINTS,
                 windows_d: Sequence[float] | None = None) -> NDArray[np.float64]:
    """Output times every ``step_d`` days up to the horizon, plus evenly spaced points over the
    summary window before each of ``at_years``, both ends included: ``window_points`` over a week,
    as densely spaced over a longer window in ``windows_d`` (``widest_windows`` of the courses
    simulated on the grid; None: a week each)."""
    horizon = years * DAYS_PER_YEAR
    coarse = np.append(np.arange(0.0, horizon, step_d), horizon)
    ends = [y * DAYS_PER_YEAR for y in at_years]
    lengths = list(windows_d) if windows_d is not None else [SUMMARY_WINDOW_D] * len(ends)
    for end, length in zip(ends, lengths, strict=True):  # inside a window only its own points
        coarse = coarse[(coarse <= end - length + 1e-9) | (coarse > end + 1e-9)]
    windows = [np.linspace(max(end - length, 0.0), end, _points(length, window_points))
               for end, length in zip(ends, lengths, strict=True)]
    return np.unique(np.concatenate([coarse, *windows]))


def _points(window_d: float, weekly_points: int) -> int:
    """Points over a window of ``window_d`` days, ends included: ``weekly_points`` over a week,
    as densely spaced over a longer one."""
    if window_d <= SUMMARY_WINDOW_D + 1e-9:
        return weekly_points
    return int(np.ceil(window_d / SUMMARY_WINDOW_D * (weekly_points - 1))) + 1


def describe_windows(courses: Sequence[tuple[str, Sequence[float]]], at_years: Sequence[float]
                     ) -> str:
    """The sentence that says what a table's hormone levels are: ``courses`` are (label,
    ``summary_windows`` at ``at_years``) pairs. One window for all: "... over the 14 days before
    each time ..."; else each course's window, and its times where they differ."""
    distinct = {w for _, windows in courses for w in windows}
    cycle = f"a whole dosing cycle of the regimens in force, at least {SUMMARY_WINDOW_D:g} days"
    if len(distinct) <= 1:
        window = distinct.pop() if distinct else SUMMARY_WINDOW_D
        return f"Hormone levels are means over the {window:g} days before each time ({cycle})."
    parts = []
    for label, windows in courses:
        if len(set(windows)) == 1:
            parts.append(f"{label}: {windows[0]:g} days")
            continue
        by_window: dict[float, list[str]] = {}
        for year, window in zip(at_years, windows, strict=True):
            by_window.setdefault(window, []).append(f"{year:g}")
        parts.append(f"{label}: " + ", ".join(f"{w:g} days at {' and '.join(ys)} y"
                                              for w, ys in by_window.items()))
    return (f"Hormone levels are means over the days before each time ({cycle}): "
            + "; ".join(parts) + ".")
