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
from osteotwin.simulate.averaging import summary_values
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


@dataclass
class Projection:
    """A scenario's central trajectory and its 5-95 % band per series; ``summary_low`` and
    ``summary_high`` band the summary values (hormones: week means) at ``summary_times_d``, taken
    over each virtual person's own summary values (a week mean's band is not the week mean of the
    percentile curves)."""

    scenario: Scenario
    trajectory: Trajectory
    low: dict[str, NDArray[np.float64]]
    high: dict[str, NDArray[np.float64]]
    draws: int
    summary_times_d: tuple[float, ...] = ()
    summary_low: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    summary_high: dict[str, NDArray[np.float64]] = field(default_factory=dict)

    def summary_band(self, name: str, at_d: float) -> tuple[float, float] | None:
        """The 5-95 % band of ``name``'s summary value at ``at_d`` (one of ``summary_times_d``),
        or None without one."""
        if name not in self.summary_low:
            return None
        for i, t in enumerate(self.summary_times_d):
            if abs(t - at_d) < 1e-6:
                return float(self.summary_low[name][i]), float(self.summary_high[name][i])
        return None


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
                  at_d: Sequence[float], names: Sequence[str], n_draws: int
                  ) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]] | None:
    """5-95 % bands of the summary values (``averaging.summary_value``: hormones as the mean over
    the week before) at ``at_d``, taken over each virtual person's own values (a week mean's band
    is not the week mean of the percentile curves); None as ``percentile_bands``."""
    return percentile_bands([summary_values(times_d, run, at_d, names) for run in runs], names,
                            n_draws)


def _band_series(scenarios: Sequence[Scenario], draw: ModelParameters,
                 times_d: NDArray[np.float64]) -> list[dict[str, NDArray[np.float64]]]:
    """The band series of one virtual person under each scenario (module level, so worker
    processes can run it; ``simulate_alike``: the history before t = 0 is simulated once)."""
    return [{name: trajectory.series[name] for name in BAND_SERIES}
            for trajectory in simulate_alike(scenarios, params=draw, times_d=times_d)]


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
            band_times_d: NDArray[np.float64] | None = None,
            summary_times_d: Sequence[float] = (),
            workers: int = 1) -> list[Projection]:
    """Central trajectory and band for each scenario (``draws = 0``: no band).

    ``band_times_d`` (a coarser grid within ``times_d``'s range) makes the draws cheaper; their
    percentiles are interpolated onto ``times_d``. At ``summary_times_d`` each virtual person's
    summary values (``averaging.summary_value`` on the draws' grid, which should hold each
    summary window's points: ``averaging.summary_grid``) are banded too. ``workers`` > 1
    simulates the draws in that many processes (same results)."""
    params = params or current_parameters()
    coarse = times_d if band_times_d is None else band_times_d
    draw_sets = band_parameter_sets(draws, seed, params)
    total = len(scenarios) * (1 + draws)
    processes = min(workers, draws)
    centrals = simulate_alike(scenarios, params=params, times_d=times_d)
    done = len(scenarios)
    runs: list[list[dict[str, NDArray[np.float64]]]] = [[] for _ in scenarios]
    with _draw_pool(processes) as pool:
        if pool is None:
            results: Iterator[list[dict[str, NDArray[np.float64]]]] = (
                _band_series(scenarios, draw, coarse) for draw in draw_sets)
        else:
            chunk = -(-len(draw_sets) // processes)  # one chunk per process
            results = pool.map(_band_series, [scenarios] * len(draw_sets), draw_sets,
                               [coarse] * len(draw_sets), chunksize=chunk)
        for person in results:
            for scenario_runs, series in zip(runs, person, strict=True):
                scenario_runs.append(series)
            done += len(scenarios)
            if progress is not None:
                progress(done, total)
    projections = []
    for scenario, central, scenario_runs in zip(scenarios, centrals, runs, strict=True):
        bands = percentile_bands(scenario_runs, BAND_SERIES, len(draw_sets)) or {}
        low = {name: np.interp(times_d, coarse, band[0]) for name, band in bands.items()}
        high = {name: np.interp(times_d, coarse, band[1]) for name, band in bands.items()}
        summary = summary_bands(coarse, scenario_runs, summary_times_d, BAND_SERIES,
                                len(draw_sets)) if summary_times_d else None
        projections.append(Projection(
            scenario, central, low, high, draws, tuple(float(t) for t in summary_times_d),
            {name: band[0] for name, band in (summary or {}).items()},
            {name: band[1] for name, band in (summary or {}).items()}))
    return projections
