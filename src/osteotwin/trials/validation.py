"""Validate the model against trial files: simulate each arm as a virtual population and score it.

``run_validation(trials, n=1000, seed=0)`` draws ``n`` virtual people per arm (characteristics from the
trial's population, model parameters from their population distributions), simulates them, evaluates
every endpoint and applies the spec's pass rule. The population simulator is a seam
(``PopulationSimulator``): the default runs the single-person fast path over a process pool; batch or
GPU backends can be passed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.errors import UserInputError
from osteotwin.physiology.fracture import FractureParameters
from osteotwin.simulate.scenario import Scenario
from osteotwin.trials.background import background_regimens
from osteotwin.trials.caveats import arm_caveats, caveats_json
from osteotwin.trials.consistency import Incompatibility, forced_failures, incompatible_pairs
from osteotwin.trials.endpoints import (
    ArmSimulation,
    EndpointResult,
    add_published_levels,
    evaluate_endpoint,
    extra_times,
    published_level_notes,
    reading_times,
)
from osteotwin.trials.model import Trial
from osteotwin.trials.pass_rule import BORDERLINE_SE, MIN_VIRTUAL_PEOPLE
from osteotwin.trials.population import (
    DRAW_NAMES,
    AssumedDose,
    StandardDraws,
    arm_regimens,
    assumed_doses,
    check_simulable,
    draw_people,
    trial_rng,
)
from osteotwin.workers import default_workers

if TYPE_CHECKING:
    from osteotwin.simulate.caveats import Caveat

#: Simulates scenarios (one row of model parameters each, or None for the central values) on a
#: time grid; returns series name -> array (people, times).
PopulationSimulator = Callable[
    [Sequence[Scenario], NDArray[np.float64], NDArray[np.float64] | None],
    dict[str, NDArray[np.float64]],
]
DEFAULT_N = 1000
MONTH_D = 30.4375


def evaluation_times(trial: Trial) -> NDArray[np.float64]:
    """Study start, every endpoint's from/at time, and a monthly grid to the horizon (for fractures)."""
    horizon = trial.horizon_d
    points = {0.0, horizon}
    for endpoint in trial.endpoints:
        points.update((endpoint.from_d, endpoint.at_d))
    grid = np.arange(0.0, horizon, MONTH_D)
    return np.unique(np.concatenate([np.array(sorted(points)), grid]))


def hormone_reading_times(trial: Trial, grid_d: NDArray[np.float64]) -> NDArray[np.float64]:
    """The points the hormone endpoints' dosing-cycle means need (``endpoints.reading_times``)
    that ``grid_d`` (``evaluation_times``) lacks."""
    regimens = {arm.id: arm_regimens(trial, arm) for arm in trial.arms}
    return extra_times(grid_d, reading_times(trial.endpoints, regimens))


@dataclass
class TrialResult:
    trial: str
    citation: str
    endpoints: list[EndpointResult]
    assumptions: list[str] = field(default_factory=list)
    #: Per simulated arm, the usual doses filled in where the file gives ``dose: null``.
    assumed_doses: dict[str, list[AssumedDose]] = field(default_factory=dict)
    #: Background therapy added to every arm (``trials.background``), one note per entry.
    background: tuple[str, ...] = ()
    #: Per simulated arm with any, the model's known departures that apply (``trials.caveats``).
    caveats: dict[str, tuple[Caveat, ...]] = field(default_factory=dict)


@dataclass
class ValidationReport:
    trials: list[TrialResult]
    n: int
    seed: int
    parameter_set: str = "default"
    #: One line per trial file that could not be read or simulated (bad input); not scored.
    errors: list[str] = field(default_factory=list)
    #: Pairs of these trials' endpoints that no model can pass together (``trials.consistency``).
    incompatible: list[Incompatibility] = field(default_factory=list)

    @property
    def endpoints(self) -> list[EndpointResult]:
        return [e for t in self.trials for e in t.endpoints]

    @property
    def passed(self) -> int:
        return sum(1 for e in self.endpoints if e.passed is True)

    @property
    def total(self) -> int:
        return sum(1 for e in self.endpoints if e.scored)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else math.nan

    @property
    def not_simulated(self) -> list[EndpointResult]:
        """Scored endpoints the model has no prediction for (labs it does not simulate, absolute
        CTX or P1NP without a published baseline): failures under the pass rule."""
        return [e for e in self.endpoints if e.scored and not math.isfinite(e.predicted)]

    def to_json(self) -> dict[str, Any]:
        """The JSON document of ``osteotwin validate --format json`` (spec/cli.md)."""
        return {
            "endpoints": [e.to_json() for e in self.endpoints],
            "summary": {"passed": self.passed, "total": self.total,
                        "reported_not_scored": sum(1 for e in self.endpoints if not e.scored),
                        "unscored_below_min_n": sum(1 for e in self.endpoints
                                                    if e.pass_reason is not None),
                        "borderline": sum(1 for e in self.endpoints if e.borderline),
                        "borderline_se": BORDERLINE_SE,
                        "pass_rate": None if not self.total else round(self.pass_rate, 4),
                        "not_simulated": len(self.not_simulated),
                        "n_per_arm": self.n, "seed": self.seed,
                        "parameter_set": self.parameter_set,
                        "pass_rule_min_n": MIN_VIRTUAL_PEOPLE,
                        "indicative_only": self.n < MIN_VIRTUAL_PEOPLE,
                        "forced_failures": forced_failures(self.incompatible)},
            "incompatible": [pair.to_json() for pair in self.incompatible],
            "assumptions": {t.trial: t.assumptions for t in self.trials if t.assumptions},
            "assumed_doses": {t.trial: {arm: [d.to_json() for d in doses]
                                        for arm, doses in t.assumed_doses.items()}
                              for t in self.trials if t.assumed_doses},
            "background_therapy": {t.trial: list(t.background) for t in self.trials
                                   if t.background},
            "caveats": {t.trial: caveats_json(t.caveats) for t in self.trials if t.caveats},
            "errors": list(self.errors),
        }


@dataclass
class TrialSimulation:
    """The simulated arms of one trial (those its endpoints need) and what was assumed."""

    trial: Trial
    arms: dict[str, ArmSimulation]
    assumptions: list[str]


ParameterRows = Callable[[np.random.Generator, int], NDArray[np.float64] | None]


def simulate_trial(trial: Trial, *, n: int, seed: int, simulator: PopulationSimulator,
                   parameter_rows: ParameterRows) -> TrialSimulation:
    """Simulate every arm an endpoint needs, on random numbers shared by the trial's arms (a Latin
    hypercube over the person characteristics, as the parameter rows are over the parameters)."""
    check_simulable(trial)
    rng = trial_rng(trial.id, seed)
    draws = StandardDraws.make(rng, n, DRAW_NAMES, stratified=True)
    params = parameter_rows(rng, n)
    base = evaluation_times(trial)
    extra = hormone_reading_times(trial, base)
    times = np.union1d(base, extra)
    sims: dict[str, ArmSimulation] = {}
    assumptions: dict[str, list[str]] = {}
    needed = {a for e in trial.endpoints for a in e.arms}
    for arm in trial.arms:
        if arm.id not in needed:
            continue
        people = draw_people(trial, arm, draws)
        series = simulator(people.scenarios, times, params)
        add_published_levels(series, arm.population.baseline)
        ages = np.array([s.subject.age_y for s in people.scenarios])
        hip = [s.subject.bmd_g_cm2.get("total_hip") for s in people.scenarios]
        hip_bmd = None if any(h is None for h in hip) else np.array(hip, dtype=float)
        sims[arm.id] = ArmSimulation(arm_id=arm.id, times_d=times, series=series, ages_y=ages,
                                     sex=people.scenarios[0].subject.sex,
                                     baseline_hip_bmd_g_cm2=hip_bmd,
                                     prior_fracture=people.prior_fracture,
                                     assumptions=people.assumptions,
                                     regimens=arm_regimens(trial, arm), reading_times_d=extra)
        for note in (*people.assumptions, *published_level_notes(arm.population.baseline)):
            assumptions.setdefault(note, []).append(arm.id)
    notes = [f"{note} (arms: {', '.join(arms)})" for note, arms in assumptions.items()]
    return TrialSimulation(trial=trial, arms=sims, assumptions=notes)


def score_trial(simulation: TrialSimulation, fracture: FractureParameters | None = None
                ) -> TrialResult:
    """Evaluate every endpoint of a simulated trial under the pass rule."""
    trial = simulation.trial
    results = [evaluate_endpoint(trial, e, simulation.arms, fracture) for e in trial.endpoints]
    doses = {arm.id: assumed_doses(trial, arm) for arm in trial.arms if arm.id in simulation.arms}
    return TrialResult(trial=trial.id, citation=trial.citation, endpoints=results,
                       assumptions=simulation.assumptions,
                       assumed_doses={arm: found for arm, found in doses.items() if found},
                       background=background_regimens(trial)[1],
                       caveats=arm_caveats(trial, simulation.arms))


def run_trial(trial: Trial, *, n: int, seed: int, simulator: PopulationSimulator,
              parameter_rows: ParameterRows,
              fracture: FractureParameters | None = None) -> TrialResult:
    """Simulate one trial and score its endpoints."""
    simulation = simulate_trial(trial, n=n, seed=seed, simulator=simulator,
                                parameter_rows=parameter_rows)
    return score_trial(simulation, fracture)


def run_validation(trials: Sequence[Trial], *, n: int = DEFAULT_N, seed: int = 0,
                   simulator: PopulationSimulator | None = None,
                   parameter_rows: ParameterRows | None = None,
                   fracture: FractureParameters | None = None,
                   progress: Callable[[str], None] | None = None) -> ValidationReport:
    """Validate ``trials``; ``n`` virtual people per arm (the pass rule asks for at least 1,000:
    below that every endpoint is reported without a verdict and counts in neither ``passed`` nor
    ``total``, as ``osteotwin trial`` reports it)."""
    from osteotwin.calibrate.model_access import default_parameter_rows, default_simulator

    sim = simulator or default_simulator(workers=default_workers())
    rows = parameter_rows or default_parameter_rows()
    if fracture is None:
        from osteotwin.calibrate.fitted import load_fracture_parameters

        fracture = load_fracture_parameters()
    label = "custom parameter rows"
    if parameter_rows is None:
        from osteotwin.calibrate.model_access import central_parameters

        label = str(central_parameters().provenance)
    results = []
    errors: list[str] = []
    for trial in trials:
        if progress is not None:
            progress(trial.id)
        try:
            result = run_trial(trial, n=n, seed=seed, simulator=sim, parameter_rows=rows,
                               fracture=fracture)
            result.endpoints = [e.unscored_below_min_n() for e in result.endpoints]
            results.append(result)
        except UserInputError as err:  # e.g. a dose the simulator refuses: this trial only
            errors.append(err.with_source(trial.path or trial.id).one_line())
    validated = {r.trial for r in results}
    return ValidationReport(trials=results, n=n, seed=seed, parameter_set=label, errors=errors,
                            incompatible=incompatible_pairs([t for t in trials
                                                             if t.id in validated]))


