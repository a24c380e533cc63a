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
    n_surrogate: int = 8
    seed: int = 0
    max_evaluations: int = 60
    names: tuple[str, ...] | None = None  # default: every calibratable parameter


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


def fit_model(trials: Sequence[Trial], simulator: PopulationSimulator, settings: FitSettings,
              log: Callable[[str], None] = lambda _: None) -> FitResult:
    """Stage 1 then stage 2 (see module doc)."""
    from scipy.optimize import least_squares

    spec = calibratable_bounds(settings.names)
    names = tuple(spec)
    lower = np.log([spec[n][1] for n in names])
    upper = np.log([spec[n][2] for n in names])
    x0 = np.clip(np.log([spec[n][0] for n in names]), lower + 1e-9, upper - 1e-9)
    evaluations = 0
    fracture0 = FractureParameters()

    def overrides(x: NDArray[np.float64]) -> dict[str, float]:
        return {n: float(v) for n, v in zip(names, np.exp(x), strict=True)}

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        nonlocal evaluations
        evaluations += 1
        sims = simulate_all(trials, overrides(x), n=settings.n_surrogate, seed=settings.seed,
                            simulator=simulator, variability=False)
        results = _non_fracture(score_all(sims, fracture0))
        r = residual_vector(results)
        passed, total = pass_count(results)
        log(f"evaluation {evaluations}: cost {soft_l1_cost(r):.2f}, pass {passed}/{total}")
        return r

    r0 = residuals(x0)
    if names:
        solution = least_squares(residuals, x0, bounds=(lower, upper), loss="soft_l1",
                                 diff_step=0.05, max_nfev=settings.max_evaluations, x_scale=1.0)
        x_best = solution.x
    else:
        x_best = x0
    fitted = overrides(x_best)
    sims = simulate_all(trials, fitted, n=settings.n_surrogate, seed=settings.seed,
                        simulator=simulator, variability=False)
    fracture = fit_fracture(sims, log)
    start_results = _non_fracture(score_all(
        simulate_all(trials, overrides(x0), n=settings.n_surrogate, seed=settings.seed,
                     simulator=simulator, variability=False), fracture0))
    end_results = score_all(sims, fracture)
    return FitResult(
        names=names, start=overrides(x0), fitted=fitted,
        bounds={n: (spec[n][1], spec[n][2]) for n in names}, fracture=fracture,
        cost_start=soft_l1_cost(r0), cost_end=soft_l1_cost(residual_vector(_non_fracture(end_results))),
        passed_start=pass_count(start_results), passed_end=pass_count(end_results),
        evaluations=evaluations,
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
            "surrogate": f"{settings.n_surrogate} virtual people per arm on central parameter "
                         "values, common random numbers",
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
