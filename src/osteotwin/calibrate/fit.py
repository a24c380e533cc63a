"""Fit the calibratable parameters to the training trials on what the pass rule scores.

Two stages, both bounded and deterministic for a given seed:

1. **Model parameters** (those ``osteotwin.physiology.parameters`` marks calibratable, searched in
   log space inside their source bounds) against every scored non-fracture endpoint of every training
   trial. The objective is what ``osteotwin validate`` scores: the mean of a virtual population per
   arm *with parameter variability* (``n_anchor`` people, default 1000, common random numbers, the
   seed of the validation run), measured by a hinge on the endpoint's scoring interval
   (``objective.hinge_residuals``: 0 inside the interval shrunk by a safety margin, distance outside
   in half-widths) under a robust loss (default Cauchy, ln(1 + r²): an endpoint the structure
   cannot reach hardly pulls on the others). The search is a trust-region method with output space
   mapping (``calibrate.trust``): around the current point the full-population means are modelled
   as ``F(x) + J·dx``, where ``J`` is a finite-difference Jacobian of a small population
   (``n_surrogate`` people, same random numbers) kept up to date by Broyden updates from every
   full-population evaluation (an *anchor*). Each step is accepted only when the full population's
   objective improves; the radius grows or shrinks with the agreement of model and population.
   To take more steps in the budget, a coarse phase (``n_coarse`` people per arm, their means
   shifted by the full-minus-coarse difference measured at the start) comes first, for
   ``coarse_fraction`` of the budget and of the anchors; the current point is then re-anchored on the full population
   and the search goes on there. Only full-population anchors are candidates for the kept point.
   A wall-time budget and a number of anchors bound the search; the point with the most passing
   endpoints (then the lowest cost) among the anchors is kept.
   With ``step_rule="count"`` each step instead maximises, on the same linear model, how many
   endpoints land inside their scoring intervals, then how many also inside the shrunk ones
   (``trust.count_step``, a mixed-integer programme); a step is accepted when the full population
   passes more endpoints (equal: more inside the shrunk intervals; then lower cost).
2. **Fracture model** (``osteotwin.physiology.fracture.FRACTURE_BOUNDS``) against the fracture
   endpoints, re-scoring the stage-1 BMD and CTX trajectories of the kept anchor, with stage 1's
   hinge residuals and robust loss; multi-start (``fit_fracture``). With ``fracture_seeds`` k > 1
   the fracture trials are also simulated at the kept point with the next k − 1 seeds and every
   seed's population is scored together (passes summed): several endpoints sit within a few
   hundredths of a point of their interval's edge, where one seed's virtual people pass and
   another's do not, so the hazard parameters are chosen to pass whichever seed validates them.

The kept anchor is a validation run (same people, seed and parameter rows as ``osteotwin validate
--n n_anchor --seed seed``), so its pass count is the verification. Only the training files are
used, all trials alike: nothing is special-cased.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.calibrate.fitted import load_fitted_document
from osteotwin.calibrate.model_access import default_parameter_rows, parameter_module
from osteotwin.calibrate.objective import (
    hinge_residuals,
    pass_count,
    robust_cost,
)
from osteotwin.calibrate.trust import Targets, broyden_update, count_step, model_step
from osteotwin.physiology.fracture import FRACTURE_BOUNDS, FractureParameters
from osteotwin.trials.endpoints import EndpointResult
from osteotwin.trials.model import FRACTURE_QUANTITY, Trial
from osteotwin.trials.pass_rule import scoring_interval
from osteotwin.trials.validation import (
    PopulationSimulator,
    TrialSimulation,
    score_trial,
    simulate_trial,
)

Log = Callable[[str], None]
#: How stage 1 chooses its steps (``FitSettings.step_rule``).
STEP_RULES = ("cost", "count")
#: With count steps, a trust radius below this fraction of the initial one is reopened to half the
#: initial radius.
COUNT_RESTART_FRACTION = 0.1


@dataclass(frozen=True)
class FitSettings:
    n_surrogate: int = 20  # people per arm for the finite-difference Jacobian
    n_anchor: int = 1000  # people per arm for the scored (full-population) evaluations
    seed: int = 0
    max_anchors: int = 12  # full-population evaluations after the start
    budget_s: float = 17 * 60.0  # wall time for stage 1 (the search stops before exceeding it)
    n_coarse: int = 250  # people per arm in the coarse phase (0: none; see fit_model)
    coarse_fraction: float = 0.6  # share of the budget for the coarse phase
    names: tuple[str, ...] | None = None  # default: every calibratable parameter
    margin: float = 0.25  # safety margin, fraction of each interval's half-width
    loss: str = "cauchy"  # robust loss of the hinge residuals (objective.LOSSES)
    radius: float = 0.4  # initial trust radius (search units: log of the value, or range fraction)
    step_rule: str = "cost"  # "cost": minimise the robust hinge cost; "count": most endpoints inside
    warm_start: bool = True  # start from the packaged fit (else the literature values)
    step: float = 0.05  # finite-difference step (search units)
    fracture_seeds: int = 4  # stage 2 scores the fracture trials at seeds seed .. seed + k - 1


@dataclass(frozen=True)
class Anchor:
    """One full-population evaluation."""

    index: int
    n: int  # people per arm
    cost: float
    passed: int
    total: int
    accepted: bool
    radius: float
    seconds: float


@dataclass
class FitResult:
    names: tuple[str, ...]
    start: dict[str, float]
    fitted: dict[str, float]
    bounds: dict[str, tuple[float, float]]
    fracture: FractureParameters
    cost_start: float
    cost_end: float
    passed_start: tuple[int, int]  # non-fracture endpoints at the start point (n_anchor)
    passed_end: tuple[int, int]  # every scored endpoint at the kept point, after stage 2
    evaluations: int  # full-population evaluations (anchors), the start included
    passed_kept: int = 0  # non-fracture endpoints passing at the kept point
    jacobians: int = 0
    wall_s: float = 0.0
    history: list[Anchor] = field(default_factory=list)
    results: list[EndpointResult] = field(default_factory=list)  # every endpoint at the kept point


def calibratable_bounds(
    names: Sequence[str] | None = None,
) -> dict[str, tuple[float, float, float]]:
    """name -> (literature value, lower, upper) for the calibratable model parameters."""
    module = parameter_module()
    table = {p.name: p for p in module.calibratable_parameters()}
    chosen = list(names) if names is not None else list(table)
    unknown = [n for n in chosen if n not in table]
    if unknown:
        raise ValueError(f"not calibratable: {unknown}")
    return {n: (table[n].value, table[n].lower, table[n].upper) for n in chosen}


def packaged_values(path: Path | None = None) -> dict[str, float]:
    """Fitted values in the packaged file for parameters that are calibratable now, clipped to their
    current bounds; names the model no longer has are ignored (robust to renamed parameters)."""
    document = load_fitted_document(path)
    stored = document.get("parameters") or {}
    spec = calibratable_bounds()
    values: dict[str, float] = {}
    for name, value in dict(stored).items():
        if name in spec and isinstance(value, int | float) and math.isfinite(float(value)):
            values[name] = min(max(float(value), spec[name][1]), spec[name][2])
    return values


def rounded(value: float) -> float:
    """Six significant digits: the precision of the written file (so the fit scores what ships)."""
    return float(f"{value:.6g}")


def parameter_rows_for(overrides: dict[str, float]) -> Callable[[np.random.Generator, int], Any]:
    """Per-person parameter rows (population variability on) around the literature values with
    ``overrides``, exactly as ``osteotwin validate`` draws them around a fitted file."""
    base = parameter_module().default_parameters().replace(**overrides)
    return default_parameter_rows(base, variability=True)


def simulate_all(
    trials: Sequence[Trial],
    overrides: dict[str, float],
    *,
    n: int,
    seed: int,
    simulator: PopulationSimulator,
) -> list[TrialSimulation]:
    """Simulate every trial with the literature defaults plus ``overrides`` (variability on)."""
    rows = parameter_rows_for(overrides)
    return [
        simulate_trial(t, n=n, seed=seed, simulator=simulator, parameter_rows=rows) for t in trials
    ]


def score_all(
    simulations: Sequence[TrialSimulation], fracture: FractureParameters
) -> list[EndpointResult]:
    return [e for s in simulations for e in score_trial(s, fracture).endpoints]


def _non_fracture(results: Sequence[EndpointResult]) -> list[EndpointResult]:
    return [r for r in results if r.quantity != FRACTURE_QUANTITY]


def _fracture_only(results: Sequence[EndpointResult]) -> list[EndpointResult]:
    return [r for r in results if r.quantity == FRACTURE_QUANTITY]


def _has_fractures(trial: Trial) -> bool:
    return any(e.quantity == FRACTURE_QUANTITY for e in trial.endpoints)


def fitted_mask(trial: Trial) -> list[bool]:
    """Which of the trial's endpoints stage 1 fits: scored and not fracture incidence."""
    sizes = {arm.id: arm.n for arm in trial.arms}
    return [
        e.quantity != FRACTURE_QUANTITY and scoring_interval(e, sizes).scored
        for e in trial.endpoints
    ]


def stage1_targets(trials: Sequence[Trial], margin: float, loss: str = "cauchy") -> Targets:
    """Scoring intervals of the stage-1 endpoints, in trial and endpoint order."""
    intervals = []
    for trial in trials:
        sizes = {arm.id: arm.n for arm in trial.arms}
        for endpoint, fitted in zip(trial.endpoints, fitted_mask(trial), strict=True):
            if fitted:
                interval = scoring_interval(endpoint, sizes)
                intervals.append((interval.low, interval.high))
    array = np.array(intervals, dtype=float).reshape(-1, 2)
    return Targets(low=array[:, 0], high=array[:, 1], margin=margin, loss=loss)


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


class PopulationPredictions:
    """Stage-1 endpoint means of every trial at a search point, for a population of ``n`` per arm.

    Per-trial results of the small population are cached (a Jacobian reuses its base point), and
    the trials each parameter moves are recorded by the first Jacobian so later ones re-simulate
    only those.
    """

    def __init__(
        self,
        trials: Sequence[Trial],
        simulator: PopulationSimulator,
        space: SearchSpace,
        seed: int,
        held: dict[str, float],
    ) -> None:
        self.trials = list(trials)
        self.simulator = simulator
        self.space = space
        self.seed = seed
        self.held = dict(held)  # calibratable parameters not fitted: kept at these values
        self.masks = [fitted_mask(t) for t in self.trials]
        self.sizes = [sum(m) for m in self.masks]
        self.offsets = np.cumsum([0, *self.sizes])
        self.affected: dict[str, list[int]] | None = None
        self._cache: dict[tuple[bytes, int, int], NDArray[np.float64]] = {}

    def overrides(self, x: NDArray[np.float64]) -> dict[str, float]:
        moving = {
            n: min(max(rounded(float(v)), lo), hi)  # the written precision, inside the bounds
            for n, v, lo, hi in zip(
                self.space.names,
                self.space.to_values(x),
                self.space.lower,
                self.space.upper,
                strict=True,
            )
        }
        return {**self.held, **moving}

    def simulate(self, x: NDArray[np.float64], index: int, n: int) -> TrialSimulation:
        rows = parameter_rows_for(self.overrides(x))
        return simulate_trial(
            self.trials[index], n=n, seed=self.seed, simulator=self.simulator, parameter_rows=rows
        )

    def _means(
        self, simulation: TrialSimulation, index: int
    ) -> tuple[NDArray[np.float64], list[EndpointResult]]:
        results = score_trial(simulation).endpoints
        means = np.array(
            [r.predicted for r, m in zip(results, self.masks[index], strict=True) if m], dtype=float
        )
        return means, results

    def trial_means(self, x: NDArray[np.float64], index: int, n: int) -> NDArray[np.float64]:
        key = (np.asarray(x, dtype=float).tobytes(), index, n)
        if key not in self._cache:
            if self.sizes[index] == 0:
                self._cache[key] = np.zeros(0)
            else:
                self._cache[key] = self._means(self.simulate(x, index, n), index)[0]
        return self._cache[key]

    def full(
        self, x: NDArray[np.float64], n: int
    ) -> tuple[NDArray[np.float64], list[EndpointResult], list[TrialSimulation]]:
        """(stage-1 means, every endpoint's result, simulations of the trials with fracture
        endpoints) for a population of ``n`` per arm."""
        means: list[NDArray[np.float64]] = []
        results: list[EndpointResult] = []
        kept: list[TrialSimulation] = []
        for i, trial in enumerate(self.trials):
            simulation = self.simulate(x, i, n)
            m, r = self._means(simulation, i)
            means.append(m)
            results.extend(r)
            if _has_fractures(trial):
                kept.append(simulation)
        return np.concatenate(means) if means else np.zeros(0), results, kept

    def jacobian(
        self, x: NDArray[np.float64], n: int, step: float, log: Log
    ) -> NDArray[np.float64]:
        """Forward differences of the stage-1 means (population of ``n``) per search unit."""
        _, upper = self.space.bounds()
        base = [self.trial_means(x, i, n) for i in range(len(self.trials))]
        jac = np.zeros((int(self.offsets[-1]), len(self.space.names)))
        first = self.affected is None
        affected: dict[str, list[int]] = {} if first else dict(self.affected or {})
        for j, name in enumerate(self.space.names):
            h = step if x[j] + step <= upper[j] else -step
            shifted = np.array(x, dtype=float)
            shifted[j] += h
            indices = range(len(self.trials)) if first else affected[name]
            hits = []
            for i in indices:
                if self.sizes[i] == 0:
                    continue
                delta = (self.trial_means(shifted, i, n) - base[i]) / h
                delta = np.where(np.isfinite(delta), delta, 0.0)
                jac[self.offsets[i] : self.offsets[i + 1], j] = delta
                if np.any(np.abs(delta) > 1e-9):
                    hits.append(i)
            if first:
                affected[name] = hits
        if first:
            self.affected = affected
            log(
                "parameters -> trials they move: "
                + "; ".join(f"{k}: {len(v)}" for k, v in affected.items())
            )
        key = np.asarray(x, dtype=float).tobytes()
        self._cache = {k: v for k, v in self._cache.items() if k[0] == key}
        return jac


def start_point(
    settings: FitSettings, spec: dict[str, tuple[float, float, float]]
) -> tuple[dict[str, float], dict[str, float]]:
    """(start values of the fitted parameters, values held for the calibratable ones not fitted).

    Held parameters keep their packaged fitted values (literature values when the file has none);
    the fitted ones start there too with ``warm_start``, else at the literature values.
    """
    packaged = packaged_values()
    every = calibratable_bounds()
    held = {n: packaged.get(n, every[n][0]) for n in every if n not in spec}
    start = {n: (packaged.get(n, spec[n][0]) if settings.warm_start else spec[n][0]) for n in spec}
    return start, held


def fit_model(
    trials: Sequence[Trial],
    simulator: PopulationSimulator,
    settings: FitSettings,
    log: Log = lambda _: None,
) -> FitResult:
    """Stage 1 then stage 2 (see module doc)."""
    began = time.monotonic()
    spec = calibratable_bounds(settings.names)
    space = SearchSpace(spec)
    names = space.names
    lower, upper = space.bounds()
    start, held = start_point(settings, spec)
    x = np.clip(space.from_values(np.array([start[n] for n in names])), lower, upper)
    targets = stage1_targets(trials, settings.margin, settings.loss)
    model = PopulationPredictions(trials, simulator, space, settings.seed, held)

    def evaluate(
        point: NDArray[np.float64], n: int
    ) -> tuple[NDArray[np.float64], list[EndpointResult], list[TrialSimulation], float]:
        t0 = time.monotonic()
        values = model.full(point, n)
        return (*values, time.monotonic() - t0)

    total = targets.low.size
    f, results, kept, seconds = evaluate(x, settings.n_anchor)
    cost = targets.cost(f)
    history = [Anchor(0, settings.n_anchor, cost, targets.passed(f), total, True, 0.0, seconds)]
    log(
        f"start: {history[0].passed}/{total} stage-1 endpoints pass at n={settings.n_anchor}, "
        f"cost {cost:.2f} ({seconds:.0f} s)"
    )
    cost_start, passed_start = cost, history[0].passed
    best = (passed_start, -cost, x, results, kept)
    jacobians = 0
    radius = settings.radius
    durations: dict[int, list[float]] = {settings.n_anchor: [seconds]}
    # coarse phase: smaller populations, their means shifted by (full - coarse) at the start point
    coarse = 0 < settings.n_coarse < settings.n_anchor
    offset = np.zeros(total)
    if coarse and names and settings.max_anchors > 0 and total:
        f_coarse, _, _, seconds = evaluate(x, settings.n_coarse)
        durations[settings.n_coarse] = [seconds]
        offset = np.where(np.isfinite(f - f_coarse), f - f_coarse, 0.0)
        log(
            f"coarse phase: n={settings.n_coarse} ({seconds:.0f} s), shifted to the n="
            f"{settings.n_anchor} means"
        )
    if names and settings.max_anchors > 0 and total:
        t0 = time.monotonic()
        jac = model.jacobian(x, settings.n_surrogate, settings.step, log)
        jacobians += 1
        jac_seconds = time.monotonic() - t0
        log(f"jacobian ({settings.n_surrogate} per arm): {jac_seconds:.0f} s")
        rejected = 0
        k = 0
        by_count = settings.step_rule == "count"
        while k < settings.max_anchors:
            elapsed = time.monotonic() - began
            n_now = settings.n_coarse if coarse else settings.n_anchor
            switch = coarse and (
                elapsed > settings.coarse_fraction * settings.budget_s
                or k >= settings.coarse_fraction * settings.max_anchors
            )
            if not switch and elapsed + max(durations[n_now]) > settings.budget_s:
                log(f"stopping: {elapsed:.0f} s used, budget {settings.budget_s:.0f} s")
                break
            dx = np.zeros(len(names))
            model_cost = cost
            if not switch:
                box = (np.maximum(lower - x, -radius), np.minimum(upper - x, radius))
                if by_count:
                    dx, _ = count_step(f, jac, targets, *box)
                    model_cost = targets.cost(f + np.where(np.isfinite(jac), jac, 0.0) @ dx)
                else:
                    dx, model_cost = model_step(f, jac, targets, *box)
            no_gain = not by_count and model_cost >= cost - 1e-6
            if float(np.max(np.abs(dx), initial=0.0)) < 1e-4 or no_gain:
                if not coarse:
                    log(f"stopping: the model predicts no further gain (cost {cost:.2f})")
                    break
                switch = True
            if switch:  # re-anchor the current point on the scored population
                coarse = False
                radius = max(radius, 0.5 * settings.radius)  # coarse-phase noise may have shrunk it
                if elapsed + max(durations[settings.n_anchor]) > settings.budget_s:
                    log(f"stopping: no time left to re-anchor at n={settings.n_anchor}")
                    break
                k += 1
                f, results_now, kept_now, seconds = evaluate(x, settings.n_anchor)
                durations[settings.n_anchor].append(seconds)
                cost = targets.cost(f)
                passed_now = targets.passed(f)
                history.append(
                    Anchor(k, settings.n_anchor, cost, passed_now, total, True, radius, seconds)
                )
                log(
                    f"anchor {k} (n={settings.n_anchor}, end of the coarse phase): cost "
                    f"{cost:.2f}, {passed_now}/{total} pass ({seconds:.0f} s)"
                )
                if (passed_now, -cost) > best[:2]:
                    best = (passed_now, -cost, x, results_now, kept_now)
                continue
            trial_x = np.clip(x + dx, lower, upper)
            k += 1
            raw, results_new, kept_new, seconds = evaluate(trial_x, n_now)
            durations[n_now].append(seconds)
            f_new = raw + offset if n_now != settings.n_anchor else raw
            jac = broyden_update(jac, trial_x - x, f_new - f)
            cost_new = targets.cost(f_new)
            passed_new = targets.passed(f_new)
            ratio = (cost - cost_new) / max(cost - model_cost, 1e-12)
            accepted = (
                (passed_new, targets.passed_with_margin(f_new), -cost_new)
                > (targets.passed(f), targets.passed_with_margin(f), -cost)
                if by_count
                else cost_new < cost
            )
            history.append(Anchor(k, n_now, cost_new, passed_new, total, accepted, radius, seconds))
            log(
                f"anchor {k} (n={n_now}): cost {cost_new:.2f} (model {model_cost:.2f}, was "
                f"{cost:.2f}), {passed_new}/{total} pass, radius {radius:.3g}, "
                f"{'accepted' if accepted else 'rejected'} ({seconds:.0f} s)"
            )
            if n_now == settings.n_anchor and (passed_new, -cost_new) > best[:2]:
                best = (passed_new, -cost_new, trial_x, results_new, kept_new)
            if accepted:
                x, f, cost = trial_x, f_new, cost_new
                rejected = 0
                if by_count:
                    radius = min(1.5 * radius, 2.0)
                elif ratio > 0.75 and np.max(np.abs(dx)) >= 0.9 * radius:
                    radius = min(2.0 * radius, 2.0)
                elif ratio < 0.25:
                    radius *= 0.5
            else:
                radius *= 0.6 if by_count else 0.4
                rejected += 1
            elapsed = time.monotonic() - began
            # count steps keep their Broyden-updated Jacobian (a fresh one from the same small
            # population would repeat the rejected step); a collapsed region, which could only
            # polish the cost, is reopened to half the initial radius
            refresh = rejected >= 2 and not by_count
            if by_count and radius < COUNT_RESTART_FRACTION * settings.radius:
                radius = 0.5 * settings.radius
            if refresh and elapsed + jac_seconds + max(durations[n_now]) <= settings.budget_s:
                jac = model.jacobian(x, settings.n_surrogate, settings.step, log)
                jacobians += 1
                rejected = 0
                log(f"jacobian refreshed (radius {radius:.3g})")
    _, neg_cost, x_best, results, kept = best
    kept_rows = parameter_rows_for(model.overrides(x_best))
    other_seeds = [
        simulate_trial(s.trial, n=settings.n_anchor, seed=settings.seed + k, simulator=simulator,
                       parameter_rows=kept_rows)
        for k in range(1, max(settings.fracture_seeds, 1))
        for s in kept
    ]
    fracture = fit_fracture([*kept, *other_seeds], log, margin=settings.margin, loss=settings.loss)
    refitted = iter(_fracture_only(score_all(kept, fracture)))
    end_results = [next(refitted) if r.quantity == FRACTURE_QUANTITY else r for r in results]
    passed_end = pass_count(end_results)
    log(
        f"kept: {passed_end[0]}/{passed_end[1]} scored endpoints pass at n={settings.n_anchor} "
        f"(stage 1: {best[0]}/{total})"
    )
    for r in end_results:
        if r.scored and not r.passed:
            arm = " - ".join(r.contrast) if r.contrast else r.arm
            log(
                f"  fails: {r.trial} {arm} {r.quantity} {r.at}: {r.predicted:.3g} not in "
                f"[{r.interval[0]:.3g}, {r.interval[1]:.3g}]"
            )
    return FitResult(
        names=names,
        start={**held, **{n: rounded(start[n]) for n in names}},
        fitted=model.overrides(x_best),
        bounds={n: (spec[n][1], spec[n][2]) for n in names},
        fracture=fracture,
        cost_start=cost_start,
        cost_end=-neg_cost,
        passed_start=(passed_start, total),
        passed_end=passed_end,
        passed_kept=best[0],
        evaluations=len(history),
        jacobians=jacobians,
        wall_s=time.monotonic() - began,
        history=history,
        results=end_results,
    )


#: Stage 2 search: quasi-random starts inside the bounds, of which the best few are polished.
FRACTURE_STARTS = 32
FRACTURE_POLISHED = 2
#: Iterations (Jacobian evaluations) per polish: each evaluation re-scores the fracture trials.
FRACTURE_MAX_EVALUATIONS = 15
#: Then a seeded local search around the best point: Gaussian steps of this SD (log units), a step
#: kept when it passes more endpoints, or as many at a lower cost (the pass edges are cliffs the
#: smooth polish does not cross).
FRACTURE_LOCAL_STEPS = 300
FRACTURE_LOCAL_SIGMA = 0.06


def fit_fracture(
    simulations: Sequence[TrialSimulation],
    log: Callable[[str], None] = lambda _: None,
    *,
    margin: float = 0.25,
    loss: str = "cauchy",
) -> FractureParameters:
    """Stage 2: fracture hazard parameters against the fracture endpoints (bounded, log space).

    The objective is stage 1's: hinge residuals on each scoring interval shrunk by ``margin`` under
    the robust ``loss`` (Cauchy: an endpoint the structure cannot reach, such as two trials whose
    files encode the same population and regimen but report different incidences, hardly pulls).
    The cost has flat valleys and several minima, so the search starts from the literature values
    and ``FRACTURE_STARTS`` scrambled-Sobol points, polishes the ``FRACTURE_POLISHED`` best with
    bounded least squares, then searches locally around the best point so far
    (``FRACTURE_LOCAL_STEPS``), and keeps the evaluated point with the most passing endpoints, then
    the lowest cost.
    """
    from scipy.optimize import least_squares
    from scipy.stats import qmc

    with_fractures = [
        s for s in simulations if any(e.quantity == FRACTURE_QUANTITY for e in s.trial.endpoints)
    ]
    base = FractureParameters()
    names = tuple(FRACTURE_BOUNDS)
    if not with_fractures:
        return base
    lower = np.log([FRACTURE_BOUNDS[n][0] for n in names])
    upper = np.log([FRACTURE_BOUNDS[n][1] for n in names])
    x0 = np.clip(np.log([getattr(base, n) for n in names]), lower + 1e-9, upper - 1e-9)

    def params(x: NDArray[np.float64]) -> FractureParameters:
        return replace(base, **{n: float(v) for n, v in zip(names, np.exp(x), strict=True)})

    best: list[tuple[tuple[int, float], NDArray[np.float64]]] = []

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        results = [r for r in _fracture_only(score_all(with_fractures, params(x))) if r.scored]
        predicted = np.array([r.predicted for r in results])
        low = np.array([r.interval[0] for r in results])
        high = np.array([r.interval[1] for r in results])
        r = hinge_residuals(predicted, low, high, margin)
        key = (-pass_count(results)[0], robust_cost(r, loss))
        if not best or key < best[0][0]:
            best[:] = [(key, np.array(x, dtype=float))]
        return r

    sobol = qmc.Sobol(len(names), seed=0).random(FRACTURE_STARTS)
    starts = [x0, *(lower + u * (upper - lower) for u in sobol)]
    ranked: list[tuple[float, int]] = []
    for x in starts:
        r = residuals(x)
        ranked.append((robust_cost(r, loss), len(ranked)))
    for _, i in sorted(ranked)[:FRACTURE_POLISHED]:
        least_squares(residuals, starts[i], bounds=(lower, upper), loss=loss, diff_step=1e-3,
                      max_nfev=FRACTURE_MAX_EVALUATIONS)
    rng = np.random.default_rng(0)
    for _ in range(FRACTURE_LOCAL_STEPS):
        residuals(np.clip(best[0][1] + rng.normal(0.0, FRACTURE_LOCAL_SIGMA, len(names)),
                          lower, upper))
    fitted = params(best[0][1])
    passed, total = pass_count(_fracture_only(score_all(with_fractures, fitted)))
    log(f"fracture model: pass {passed}/{total}")
    return fitted


def file_digests(paths: Sequence[Path]) -> dict[str, str]:
    """name -> sha256 of each training file (what was fitted to)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def fitted_document(
    result: FitResult,
    settings: FitSettings,
    training: Sequence[Path],
    verification: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The YAML document of ``data/model/fitted_parameters.yaml`` with its provenance."""
    import scipy

    today = dt.datetime.now(dt.UTC).date().isoformat()
    verified = (
        verification
        if verification is not None
        else {
            "n_per_arm": settings.n_anchor,
            "seed": settings.seed,
            "passed": result.passed_end[0],
            "total": result.passed_end[1],
            "pass_rate": round(pass_rate(result.passed_end), 4),
            "by": "osteotwin calibrate (the kept anchor is this validation run)",
        }
    )
    return {
        # already at the written precision (PopulationPredictions.overrides), inside the bounds
        "parameters": {n: float(v) for n, v in result.fitted.items()},
        "fracture_parameters": {
            f.name: rounded(getattr(result.fracture, f.name)) for f in fields(FractureParameters)
        },
        "provenance": {
            "label": f"fitted to {len(training)} training trials (osteotwin calibrate, seed "
            f"{settings.seed}, {today})",
            "fitted": {
                n: {
                    "start": rounded(result.start[n]),
                    "value": rounded(result.fitted[n]),
                    "bounds": [rounded(result.bounds[n][0]), rounded(result.bounds[n][1])],
                }
                for n in result.names
            },
            "fracture_fitted": {n: {"bounds": list(b)} for n, b in FRACTURE_BOUNDS.items()},
            "data": {
                "folder": "src/osteotwin/data/trials/train (copy of shared/data/trials/train)",
                "files": file_digests(training),
            },
            "objective": f"stage 1: {settings.loss} cost of hinge residuals (0 inside each scoring interval "
            f"shrunk by {settings.margin:g} of its half-width, else the distance outside "
            "in half-widths) of the population means of every scored non-fracture "
            "endpoint; model parameters in log space inside their source bounds. "
            "Stage 2: the same cost of the fracture endpoints over the fracture hazard "
            f"parameters, on the kept stage-1 point's populations at seeds {settings.seed}"
            f"-{settings.seed + max(settings.fracture_seeds, 1) - 1} scored together "
            f"({FRACTURE_STARTS} Sobol starts, "
            f"the {FRACTURE_POLISHED} best polished by bounded least squares, then "
            f"{FRACTURE_LOCAL_STEPS} seeded local steps of SD {FRACTURE_LOCAL_SIGMA:g} in log units; "
            "most passing, then lowest cost, kept)",
            "population": f"{settings.n_anchor} virtual people per arm with parameter variability, "
            f"common random numbers, seed {settings.seed} (as osteotwin validate); "
            f"Jacobian from {settings.n_surrogate} per arm (same random numbers)",
            "start": "previous packaged fit (warm start)"
            if settings.warm_start
            else "literature values (parameters.py)",
            "optimizer": f"trust region on a Broyden-updated linear model anchored on the full "
            f"population (output space mapping; scipy {scipy.__version__} "
            + ("for the model step: L-BFGS-B on the cost); " if settings.step_rule == "cost" else
               "for the model step: HiGHS mixed-integer programme maximising the endpoints inside "
               "their scoring intervals, then inside the shrunk intervals, then the shortest step; "
               "a step kept when the full population does better in that order); ")
            + f"max {settings.max_anchors} anchors, budget "
            f"{settings.budget_s:.0f} s; {result.evaluations} anchors and "
            f"{result.jacobians} Jacobians used, {result.wall_s:.0f} s",
            "seed": settings.seed,
            "date": today,
            "stage1_pass": {
                "before": list(result.passed_start),
                "after": [result.passed_kept, result.passed_start[1]],
            },
            "stage1_cost": {
                "before": rounded(result.cost_start),
                "after": rounded(result.cost_end),
            },
            "anchors": [
                {
                    "n_per_arm": a.n,
                    "cost": rounded(a.cost),
                    "passed": a.passed,
                    "accepted": a.accepted,
                    "radius": rounded(a.radius),
                    "seconds": round(a.seconds, 1),
                }
                for a in result.history
            ],
            "verification": verified,
        },
    }


def pass_rate(passed: tuple[int, int]) -> float:
    return passed[0] / passed[1] if passed[1] else math.nan
