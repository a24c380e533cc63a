"""Prediction intervals: the person simulated under parameter draws from the population table.

The central line is the simulation with the current (fitted or default) parameters; the band is
the 5th-95th percentile over ``draws`` virtual people who share the person's characteristics and
regimens but draw model parameters from their population distributions (``band_parameter_sets``, a
Latin hypercube: each parameter's distribution is covered evenly, so a band from a few dozen people
moves little with the seed). The same seeded draws are used for every compared scenario, so
differences between scenarios are not blurred by sampling noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology.parameters import (
    ModelParameters,
    band_parameter_sets,
    current_parameters,
)
from osteotwin.simulate.scenario import Scenario
from osteotwin.simulate.single import simulate
from osteotwin.simulate.trajectory import Trajectory

BAND_SERIES: tuple[str, ...] = (
    "estradiol_pg_ml", "total_testosterone_ng_dl", "free_testosterone_pg_ml", "ctx_change_pct",
    "p1np_change_pct",
    "lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct", "femoral_neck_bmd_change_pct",
)
LOW_PCT, HIGH_PCT = 5.0, 95.0


@dataclass
class Projection:
    """A scenario's central trajectory and its 5-95 % band per series."""

    scenario: Scenario
    trajectory: Trajectory
    low: dict[str, NDArray[np.float64]]
    high: dict[str, NDArray[np.float64]]
    draws: int


def project(scenarios: Sequence[Scenario], times_d: NDArray[np.float64], *, draws: int = 40,
            seed: int = 20250601, params: ModelParameters | None = None,
            progress: Callable[[int, int], None] | None = None,
            band_times_d: NDArray[np.float64] | None = None) -> list[Projection]:
    """Central trajectory and band for each scenario (``draws = 0``: no band).

    ``band_times_d`` (a coarser grid within ``times_d``'s range) makes the draws cheaper; their
    percentiles are interpolated onto ``times_d``."""
    params = params or current_parameters()
    coarse = times_d if band_times_d is None else band_times_d
    draw_sets = band_parameter_sets(draws, seed, params)
    total = len(scenarios) * (1 + draws)
    done = 0
    projections = []
    for scenario in scenarios:
        central = simulate(scenario, params=params, times_d=times_d)
        done += 1
        runs: dict[str, list[NDArray[np.float64]]] = {name: [] for name in BAND_SERIES}
        for draw in draw_sets:
            trajectory = simulate(scenario, params=draw, times_d=coarse)
            for name in BAND_SERIES:
                runs[name].append(trajectory.series[name])
            done += 1
            if progress is not None:
                progress(done, total)
        low = {}
        high = {}
        for name, values in runs.items():
            if values:
                stacked = np.vstack(values)
                low[name] = np.interp(times_d, coarse, np.percentile(stacked, LOW_PCT, axis=0))
                high[name] = np.interp(times_d, coarse, np.percentile(stacked, HIGH_PCT, axis=0))
        projections.append(Projection(scenario, central, low, high, draws))
    return projections
