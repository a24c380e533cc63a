"""Fit the calibratable parameters to the training trials (seeded, reproducible, bounded).

Two stages, both bounded least squares (scipy ``least_squares``, trust-region reflective, soft-L1
loss on the residuals of ``osteotwin.calibrate.objective``):

1. **Model parameters** (those ``osteotwin.physiology.parameters`` marks calibratable, searched in
   log space inside their source bounds) against every scored non-fracture endpoint. The surrogate is
   a small virtual population per arm (``n_surrogate`` people drawn from the trial population, common
   random numbers, every person on the central parameter values), so the objective is deterministic
   and cheap; the result is then verified at full size (``n_verify``, with parameter variability).
2. **Fracture model** (``osteotwin.physiology.fracture.FRACTURE_BOUNDS``) against the fracture endpoints,
   re-scoring the stage-1 BMD trajectories (no new simulation).

Only the training files are used, all trials alike: nothing is special-cased.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.calibrate.model_access import (
    central_parameters,
    default_parameter_rows,
    parameter_module,
)
from osteotwin.calibrate.objective import pass_count, residual_vector, soft_l1_cost
from osteotwin.physiology.fracture import FRACTURE_BOUNDS, FractureParameters
from osteotwin.trials.endpoints import EndpointResult
from osteotwin.trials.model import FRACTURE_QUANTITY, Trial
from osteotwin.trials.validation import (
    PopulationSimulator,
    TrialSimulation,
    score_trial,
    simulate_trial,
)


@dataclass(frozen=True)
class FitSettings:
    n_surrogate: int = 4
    seed: int = 0
    max_evaluations: int = 30
    names: tuple[str, ...] | None = None  # default: every calibratable parameter
    variability: bool = False  # surrogate people also draw their model parameters
    warm_start: bool = False  # start from the packaged fit instead of the literature values


@dataclass
class FitResult:
    names: tuple[str, ...]
    start: dict[str, float]
    fitted: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    fracture: FractureParameters
    cost_start: float
    cost_end: float
    passed_start: tuple[int, int]
    passed_end: tuple[int, int]
    evaluations: int


def calibratable_bounds(names: Sequence[str] | None = None) -> dict[str, tuple[float, float, float]]:
    """name -> (literature value, lower, upper) for the calibratable model parameters."""
    module = parameter_module()
    table = {p.name: p for p in module.calibratable_parameters()}
    chosen = list(names) if names is not None else list(table)
    unknown = [n for n in chosen if n not in table]
    if unknown:
        raise ValueError(f"not calibratable: {unknown}")
    return {n: (table[n].value, table[n].lower, table[n].upper) for n in chosen}


def simulate_all(trials: Sequence[Trial], overrides: dict[str, float], *, n: int, seed: int,
                 simulator: PopulationSimulator, variability: bool) -> list[TrialSimulation]:
    """Simulate every trial with the literature defaults plus ``overrides``."""
    base = central_parameters(overrides, fitted=False)
    rows = default_parameter_rows(base, variability=variability)
    return [simulate_trial(t, n=n, seed=seed, simulator=simulator, parameter_rows=rows)
            for t in trials]


def score_all(simulations: Sequence[TrialSimulation], fracture: FractureParameters
              ) -> list[EndpointResult]:
    return [e for s in simulations for e in score_trial(s, fracture).endpoints]


def _non_fracture(results: Sequence[EndpointResult]) -> list[EndpointResult]:
    return [r for r in results if r.quantity != FRACTURE_QUANTITY]


def _fracture_only(results: Sequence[EndpointResult]) -> list[EndpointResult]:
    return [r for r in results if r.quantity == FRACTURE_QUANTITY]


class SearchSpace:
    """Search coordinates: log of the value for positive bounds, else value / (upper - lower)."""

    def __init__(self, spec: dict[str, tuple[float, float, float]]) -> None:
        self.names = tuple(spec)
        self.lower = np.array([spec[n][1] for n in self.names], dtype=float)
        self.upper = np.array([spec[n][2] for n in self.names], dtype=float)
        self.log = self.lower > 0
        self.scale = np.where(self.log, 1.0, self.upper - self.lower)

    def from_values(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        safe = np.where(self.log, np.maximum(values, 1e-300), 1.0)
        result: NDArray[np.float64] = np.where(self.log, np.log(safe), values / self.scale)
        return result

    def to_values(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        values: NDArray[np.float64] = np.where(self.log, np.exp(x), x * self.scale)
        return np.clip(values, self.lower, self.upper)

    def bounds(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return self.from_values(self.lower), self.from_values(self.upper)


class TrialObjective:
    """Stage-1 residuals with per-trial caching and a sparse finite-difference Jacobian.

    A parameter moves only some trials' endpoints (the AI potency does not touch the exercise trial):
    the first Jacobian re-simulates every trial for every parameter and records which trials each
    parameter affects; later Jacobians re-simulate only those trials. Residuals are those of every
    scored non-fracture endpoint, in trial order.
    """

    def __init__(self, trials: Sequence[Trial], simulator: PopulationSimulator, space: SearchSpace,
                 settings: FitSettings, log: Callable[[str], None],
                 held: dict[str, float] | None = None) -> None:
        self.trials = list(trials)
        self.held = dict(held or {})  # calibratable parameters kept at their current fitted values
        self.simulator = simulator
        self.space = space
        self.names = space.names
        self.settings = settings
        self.log = log
        self.evaluations = 0
        self.step = 0.05  # finite-difference step in search space (5 % or 5 % of the range)
        self.affected: dict[str, list[int]] | None = None
        self._cache: dict[tuple[bytes, int], NDArray[np.float64]] = {}
        self.fracture = FractureParameters()

    def overrides(self, x: NDArray[np.float64]) -> dict[str, float]:
        moving = {n: float(v) for n, v in zip(self.names, self.space.to_values(x), strict=True)}
        return {**self.held, **moving}

    def trial_results(self, x: NDArray[np.float64], index: int) -> list[EndpointResult]:
        sims = simulate_all([self.trials[index]], self.overrides(x), n=self.settings.n_surrogate,
                            seed=self.settings.seed, simulator=self.simulator,
                            variability=self.settings.variability)
        return _non_fracture(score_all(sims, self.fracture))

    def trial_residuals(self, x: NDArray[np.float64], index: int) -> NDArray[np.float64]:
        key = (np.asarray(x, dtype=float).tobytes(), index)
        if key not in self._cache:
            self._cache[key] = residual_vector(self.trial_results(x, index))
        return self._cache[key]

    def residuals(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        self.evaluations += 1
        r = np.concatenate([self.trial_residuals(x, i) for i in range(len(self.trials))])
        inside = int(np.sum(np.abs(r) <= 1.0))
        self.log(f"evaluation {self.evaluations}: cost {soft_l1_cost(r):.2f}, "
                 f"{inside}/{r.size} within their intervals")
        return r

    def jacobian(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        base = [self.trial_residuals(x, i) for i in range(len(self.trials))]
        offsets = np.cumsum([0] + [b.size for b in base])
        jac = np.zeros((int(offsets[-1]), len(self.names)))
        first = self.affected is None
        affected: dict[str, list[int]] = {} if first else dict(self.affected or {})
        for j, name in enumerate(self.names):
            shifted = np.array(x, dtype=float)
            shifted[j] += self.step
            indices = range(len(self.trials)) if first else affected[name]
            hits = []
            for i in indices:
                delta = (self.trial_residuals(shifted, i) - base[i]) / self.step
                jac[offsets[i]:offsets[i + 1], j] = delta
                if np.any(np.abs(delta) > 1e-6):
                    hits.append(i)
            if first:
                affected[name] = hits
        if first:
            self.affected = affected
            self.log("parameters -> trials they move: " + "; ".join(
                f"{n}: {len(v)}" for n, v in affected.items()))
        self._cache = {k: v for k, v in self._cache.items()
                       if k[0] == np.asarray(x, dtype=float).tobytes()}
        return jac


def fit_model(trials: Sequence[Trial], simulator: PopulationSimulator, settings: FitSettings,
              log: Callable[[str], None] = lambda _: None) -> FitResult:
    """Stage 1 then stage 2 (see module doc)."""
    from scipy.optimize import least_squares

    spec = calibratable_bounds(settings.names)
    space = SearchSpace(spec)
    names = space.names
    lower, upper = space.bounds()
    start = np.array([spec[n][0] for n in names])
    if settings.warm_start:
        fitted_now = central_parameters()
        start = np.array([fitted_now[n] for n in names])
    x0 = np.clip(space.from_values(start), lower + 1e-9, upper - 1e-9)
    # A fit of a subset keeps every other calibratable parameter at its current fitted value, both
    # while fitting and in the written set (otherwise they would fall back to literature defaults).
    held: dict[str, float] = {}
    if settings.names is not None:
        current = central_parameters()
        held = {n: float(current[n]) for n in calibratable_bounds() if n not in names}
    objective = TrialObjective(trials, simulator, space, settings, log, held)
    r0 = objective.residuals(x0)
    start_results = [r for i in range(len(trials)) for r in objective.trial_results(x0, i)]
    if names and settings.max_evaluations > 0:
        solution = least_squares(objective.residuals, x0, jac=objective.jacobian,
                                 bounds=(lower, upper), loss="soft_l1",
                                 max_nfev=settings.max_evaluations, x_scale=1.0)
        x_best = solution.x
    else:
        x_best = x0
    fitted = objective.overrides(x_best)
    sims = simulate_all(trials, fitted, n=settings.n_surrogate, seed=settings.seed,
                        simulator=simulator, variability=settings.variability)
    fracture = fit_fracture(sims, log)
    end_results = score_all(sims, fracture)
    return FitResult(
        names=names, start=objective.overrides(x0), fitted=fitted,
        bounds={n: (spec[n][1], spec[n][2]) for n in names}, fracture=fracture,
        cost_start=soft_l1_cost(r0),
        cost_end=soft_l1_cost(residual_vector(_non_fracture(end_results))),
        passed_start=pass_count(start_results), passed_end=pass_count(end_results),
        evaluations=objective.evaluations,
    )


def fit_fracture(simulations: Sequence[TrialSimulation],
                 log: Callable[[str], None] = lambda _: None) -> FractureParameters:
    """Stage 2: fracture hazard parameters against the fracture endpoints (bounded, log space)."""
    from scipy.optimize import least_squares

    with_fractures = [s for s in simulations
                      if any(e.quantity == FRACTURE_QUANTITY for e in s.trial.endpoints)]
    base = FractureParameters()
    names = tuple(FRACTURE_BOUNDS)
    if not with_fractures:
        return base
    lower = np.log([FRACTURE_BOUNDS[n][0] for n in names])
    upper = np.log([FRACTURE_BOUNDS[n][1] for n in names])
    x0 = np.clip(np.log([getattr(base, n) for n in names]), lower + 1e-9, upper - 1e-9)

    def params(x: NDArray[np.float64]) -> FractureParameters:
        return replace(base, **{n: float(v) for n, v in zip(names, np.exp(x), strict=True)})

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return residual_vector(_fracture_only(score_all(with_fractures, params(x))))

    solution = least_squares(residuals, x0, bounds=(lower, upper), loss="soft_l1", diff_step=1e-3)
    fitted = params(solution.x)
    passed, total = pass_count(_fracture_only(score_all(with_fractures, fitted)))
    log(f"fracture model: pass {passed}/{total}")
    return fitted


def file_digests(paths: Sequence[Path]) -> dict[str, str]:
    """name -> sha256 of each training file (what was fitted to)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def fitted_document(result: FitResult, settings: FitSettings, training: Sequence[Path],
                    verification: dict[str, Any] | None = None) -> dict[str, Any]:
    """The YAML document of ``data/model/fitted_parameters.yaml`` with its provenance."""
    import scipy

    today = dt.datetime.now(dt.UTC).date().isoformat()

    def rounded(value: float) -> float:
        return float(f"{value:.6g}")

    return {
        "parameters": {n: rounded(v) for n, v in result.fitted.items()},
        "fracture_parameters": {f.name: rounded(getattr(result.fracture, f.name))
                                for f in fields(FractureParameters)},
        "provenance": {
            "label": f"fitted to {len(training)} training trials (osteotwin calibrate, seed "
                     f"{settings.seed}, {today})",
            "fitted": {n: {"start": rounded(result.start[n]), "value": rounded(result.fitted[n]),
                           "bounds": [rounded(result.bounds[n][0]), rounded(result.bounds[n][1])]}
                       for n in result.names},
            "fracture_fitted": {n: {"bounds": list(b)} for n, b in FRACTURE_BOUNDS.items()},
            "data": {"folder": "src/osteotwin/data/trials/train (copy of shared/data/trials/train)",
                     "files": file_digests(training)},
            "objective": "soft-L1 least squares of (predicted mean - published value) / half-width "
                         "of the spec's scoring interval, over every scored endpoint; stage 1 model "
                         "parameters (non-fracture endpoints, log space, source bounds), stage 2 "
                         "fracture hazard parameters (fracture endpoints)",
            "surrogate": f"{settings.n_surrogate} virtual people per arm, common random numbers, "
                         + ("each with drawn model parameters" if settings.variability
                            else "on central parameter values"),
            "start": "previous packaged fit (warm start)" if settings.warm_start
                     else "literature values (parameters.py)",
            "optimizer": f"scipy {scipy.__version__} least_squares (trf), max "
                         f"{settings.max_evaluations} evaluations; {result.evaluations} used",
            "seed": settings.seed,
            "date": today,
            "surrogate_pass": {"before": list(result.passed_start), "after": list(result.passed_end)},
            "surrogate_cost": {"before": rounded(result.cost_start), "after": rounded(result.cost_end)},
            "verification": verification or {},
        },
    }


def pass_rate(passed: tuple[int, int]) -> float:
    return passed[0] / passed[1] if passed[1] else math.nan
