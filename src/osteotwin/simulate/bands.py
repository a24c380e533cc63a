"""Prediction intervals: the person simulated under parameter draws from the population table.

The central line is the simulation with the current (fitted or default) parameters; the band is
the 5th-95th percentile over ``draws`` virtual people who share the person's characteristics and
regimens but draw model parameters from their population distributions (``band_parameter_sets``, a
Latin hypercube: each parameter's distribution is covered evenly, so a band from a few dozen people
moves little with the seed). The same seeded draws are used for every compared scenario, so
differences between scenarios are not blurred by sampling noise, and each virtual person's course
up to t = 0, which the compared scenarios share, is simulated once (``single.simulate_alike``).
The draws are independent simulations, so ``workers`` > 1 spreads them over processes (forked where
the platform allows); the results do not depend on how many.

Hormone levels swing within dosing cycles (a weekly injection, anastrozole every 3.5 days), so their
band curves are of the mean over the ``MEAN_WINDOW_D`` days up to each time, taken per virtual person
on the output grid (daily or finer, which resolves the cycles) before the percentiles, and the
central curve they go with is the same mean of the central person (``Projection.central``). A band
of the level itself sampled on a coarser grid would alias: every sample on the same phase of the
cycle. BMD and marker changes move over months and are banded as they are.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology.parameters import (
    ModelParameters,
    band_parameter_sets,
    current_parameters,
)
from osteotwin.simulate.averaging import (
    HORMONE_SERIES,
    SUMMARY_WINDOW_D,
    daily_points,
    summary_value,
    summary_values,
    summary_windows,
)
from osteotwin.simulate.scenario import Scenario
from osteotwin.simulate.single import simulate_alike
from osteotwin.simulate.trajectory import Trajectory

log = logging.getLogger(__name__)

BAND_SERIES: tuple[str, ...] = (
    "estradiol_pg_ml", "total_testosterone_ng_dl", "free_testosterone_pg_ml", "ctx_change_pct",
    "p1np_change_pct",
    "lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct", "femoral_neck_bmd_change_pct",
)
LOW_PCT, HIGH_PCT = 5.0, 95.0
MEAN_WINDOW_D = SUMMARY_WINDOW_D  # hormone curves and bands: the mean over the 7 days up to each time


def band_quantity(name: str) -> str:
    """What the central curve and band of series ``name`` are: a hormone level's trailing mean
    (``"mean over the 7 days up to each time"``) or the value itself (``"value at each time"``)."""
    if name in HORMONE_SERIES:
        return f"mean over the {MEAN_WINDOW_D:g} days up to each time"
    return "value at each time"


def trailing_mean(times_d: NDArray[np.float64], values: NDArray[np.float64],
                  window_d: float = MEAN_WINDOW_D) -> NDArray[np.float64]:
    """Mean of ``values`` (piecewise linear between ``times_d``, days) over the ``window_d`` days up
    to each time, fewer at the start of the grid (its first point: the value itself)."""
    t = np.asarray(times_d, dtype=float)
    x = np.asarray(values, dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(np.diff(t) * (x[1:] + x[:-1]) / 2.0)])
    start = np.maximum(t - window_d, t[0])
    span = t - start
    area = cumulative - np.interp(start, t, cumulative)
    mean: NDArray[np.float64] = np.where(span > 1e-9, area / np.where(span > 1e-9, span, 1.0), x)
    return mean


def mean_points(times_d: NDArray[np.float64]) -> NDArray[np.int64]:
    """Indices of the points ``band_curves`` averages over: the whole days (and the last point)
    where the grid holds every day, so each phase of a dosing cycle weighs alike everywhere (the
    finer summary windows of ``averaging.summary_grid`` would step the curve), else every point."""
    t = np.asarray(times_d, dtype=float)
    daily = daily_points(t)
    if daily.size >= 2 and np.all(np.diff(t[daily]) <= 1.0 + 1e-9):
        return daily
    return np.arange(t.size)


def band_curves(times_d: NDArray[np.float64], series: Mapping[str, NDArray[np.float64]]
                ) -> dict[str, NDArray[np.float64]]:
    """The band series present in ``series`` as their band quantity (``band_quantity``): hormone
    levels as ``trailing_mean`` over ``mean_points`` (linear between them at the other times),
    the others as they are."""
    t = np.asarray(times_d, dtype=float)
    base = mean_points(t)
    curves = {}
    for name in BAND_SERIES:
        if name not in series:
            continue
        values = np.asarray(series[name], dtype=float)
        if name in HORMONE_SERIES:
            values = np.interp(t, t[base], trailing_mean(t[base], values[base]))
        curves[name] = values
    return curves


@dataclass
class Projection:
    """A scenario's central trajectory; ``central`` its band series as the band describes them
    (``band_quantity``: hormones as 7-day trailing means) and ``low``/``high`` their 5-95 % band
    (empty without draws); ``summary_low`` and ``summary_high`` band the summary values (hormones:
    means over a whole dosing cycle, the ``summary_windows_d`` days before each time) at
    ``summary_times_d``, taken over each virtual person's own summary values (a cycle mean's band
    is not the cycle mean of the percentile curves)."""

    scenario: Scenario
    trajectory: Trajectory
    low: dict[str, NDArray[np.float64]]
    high: dict[str, NDArray[np.float64]]
    draws: int
    summary_times_d: tuple[float, ...] = ()
    summary_low: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    summary_high: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    central: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    #: The hormone averaging window at each of ``summary_times_d`` (days; ``averaging.summary_windows``
    #: of the scenario's regimens).
    summary_windows_d: tuple[float, ...] = ()

    def _summary_index(self, at_d: float) -> int | None:
        for i, t in enumerate(self.summary_times_d):
            if abs(t - at_d) < 1e-6:
                return i
        return None

    def summary_window_d(self, at_d: float) -> float:
        """The days a hormone's summary value at ``at_d`` is averaged over: the scenario's whole
        dosing cycle (``averaging.summary_window_d``), also at a time not asked for beforehand."""
        i = self._summary_index(at_d)
        if i is not None and i < len(self.summary_windows_d):
            return self.summary_windows_d[i]
        return summary_windows(self.scenario.regimens, [at_d])[0]

    def summary_value(self, name: str, at_d: float) -> float | None:
        """The central trajectory's summary value of ``name`` at ``at_d`` days (hormones: the mean
        over ``summary_window_d`` days before it, ``averaging.summary_value``); None when the
        trajectory has no such series."""
        series = self.trajectory.series.get(name)
        if series is None:
            return None
        return summary_value(self.trajectory.times_d, series, at_d, name,
                             self.summary_window_d(at_d))

    def summary_band(self, name: str, at_d: float) -> tuple[float, float] | None:
        """The 5-95 % band of ``name``'s summary value at ``at_d`` (one of ``summary_times_d``),
        or None without one."""
        i = self._summary_index(at_d)
        if name not in self.summary_low or i is None:
            return None
        return float(self.summary_low[name][i]), float(self.summary_high[name][i])


def percentile_bands(runs: Sequence[Mapping[str, NDArray[np.float64]]], names: Sequence[str],
                     n_draws: int) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] | None:
    """5th and 95th percentiles of each named series over the virtual people that solved (``runs``:
    their series by name), or None when fewer than half of the ``n_draws`` solved (no band rather
    than a misleading one). Series absent from every run are left out."""
    if n_draws <= 0 or 2 * len(runs) < n_draws:
        return None
    bands = {}
    for name in names:
        values = [run[name] for run in runs if name in run]
        if values:
            low, high = np.percentile(np.vstack(values), [LOW_PCT, HIGH_PCT], axis=0)
            bands[name] = (low, high)
    return bands


def summary_bands(times_d: NDArray[np.float64], runs: Sequence[Mapping[str, NDArray[np.float64]]],
                  at_d: Sequence[float], names: Sequence[str], n_draws: int,
                  windows_d: Sequence[float] | None = None
                  ) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] | None:
    """5-95 % bands of the summary values (``averaging.summary_value``: hormones as the mean over
    the ``windows_d`` days before each time, the course's dosing cycle; None: a week) at ``at_d``,
    taken over each virtual person's own values (a cycle mean's band is not the cycle mean of the
    percentile curves); None as ``percentile_bands``."""
    return percentile_bands([summary_values(times_d, run, at_d, names, windows_d) for run in runs],
                            names, n_draws)


PersonBands = tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.float64]]]


def _band_series(scenarios: Sequence[Scenario], draw: ModelParameters, times_d: NDArray[np.float64],
                 summary_times_d: Sequence[float]) -> list[PersonBands]:
    """One virtual person under each scenario: its band curves (``band_curves``) and its summary
    values at ``summary_times_d``, hormones over each scenario's dosing cycle
    (``averaging.summary_windows``; module level, so worker processes can run it;
    ``simulate_alike``: the history before t = 0 is simulated once)."""
    people = []
    for scenario, trajectory in zip(scenarios, simulate_alike(scenarios, params=draw,
                                                              times_d=times_d), strict=True):
        series = {name: trajectory.series[name] for name in BAND_SERIES}
        windows = summary_windows(scenario.regimens, summary_times_d)
        people.append((band_curves(times_d, series),
                       summary_values(times_d, series, summary_times_d, BAND_SERIES, windows)))
    return people


def draw_runs(scenarios: Sequence[Scenario], draws: Sequence[ModelParameters],
              times_d: NDArray[np.float64]) -> list[list[Trajectory]]:
    """Each course's trajectory for every parameter draw that solves, in one process (a draw's
    courses share its past: ``simulate_alike``); a draw whose simulation fails is left out of
    every course and logged (``percentile_bands`` then shows no band below half the draws)."""
    runs: list[list[Trajectory]] = [[] for _ in scenarios]
    for draw in draws:
        try:
            person = simulate_alike(scenarios, params=draw, times_d=times_d)
        except Exception:  # one virtual person's solver failure must not hide the others
            log.warning("a parameter draw failed for %s", ", ".join(s.label for s in scenarios))
            continue
        for course_runs, trajectory in zip(runs, person, strict=True):
            course_runs.append(trajectory)
    return runs


@contextmanager
def _draw_pool(workers: int) -> Iterator[Executor | None]:
    """A process pool of ``workers`` (forked where available: no re-import, compiled code shared),
    or None for ``workers`` ≤ 1."""
    if workers <= 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


def project(scenarios: Sequence[Scenario], times_d: NDArray[np.float64], *, draws: int = 40,
            seed: int = 20250601, params: ModelParameters | None = None,
            progress: Callable[[int, int], None] | None = None,
            summary_times_d: Sequence[float] = (),
            workers: int = 1) -> list[Projection]:
    """Central trajectory and band for each scenario (``draws = 0``: no band).

    The virtual people are simulated on ``times_d`` (days), which should resolve the dosing cycles
    (daily or finer: hormone bands are of per-person trailing means, ``band_curves``). At
    ``summary_times_d`` each virtual person's summary values (``averaging.summary_value``, hormones
    over each scenario's dosing cycle, ``Projection.summary_windows_d``; the grid should hold each
    summary window's points: ``averaging.summary_grid`` with ``averaging.widest_windows``) are
    banded too.
    ``workers`` > 1 simulates the draws in that many processes (same results)."""
    params = params or current_parameters()
    draw_sets = band_parameter_sets(draws, seed, params)
    total = len(scenarios) * (1 + draws)
    processes = min(workers, draws)
    at_d = [float(t) for t in summary_times_d]
    centrals = simulate_alike(scenarios, params=params, times_d=times_d)
    done = len(scenarios)
    runs: list[list[PersonBands]] = [[] for _ in scenarios]
    with _draw_pool(processes) as pool:
        if pool is None:
            results: Iterator[list[PersonBands]] = (
                _band_series(scenarios, draw, times_d, at_d) for draw in draw_sets)
        else:
            chunk = -(-len(draw_sets) // processes)  # one chunk per process
            n = len(draw_sets)
            results = pool.map(_band_series, [scenarios] * n, draw_sets, [times_d] * n, [at_d] * n,
                               chunksize=chunk)
        for person in results:
            for scenario_runs, own in zip(runs, person, strict=True):
                scenario_runs.append(own)
            done += len(scenarios)
            if progress is not None:
                progress(done, total)
    projections = []
    for scenario, central, scenario_runs in zip(scenarios, centrals, runs, strict=True):
        bands = percentile_bands([curves for curves, _ in scenario_runs], BAND_SERIES,
                                 len(draw_sets)) or {}
        summary = percentile_bands([values for _, values in scenario_runs], BAND_SERIES,
                                   len(draw_sets)) if at_d else None
        projections.append(Projection(
            scenario, central, {name: band[0] for name, band in bands.items()},
            {name: band[1] for name, band in bands.items()}, draws, tuple(at_d),
            {name: band[0] for name, band in (summary or {}).items()},
            {name: band[1] for name, band in (summary or {}).items()},
            band_curves(central.times_d, central.series),
            summary_windows(scenario.regimens, at_d)))
    return projections
