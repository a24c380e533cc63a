"""One person forward in time: individual baseline, steady state, fast or reference solve.

``simulate(scenario, params=None, method="fast"|"reference", times_d=None) -> Trajectory``.

Each person is equilibrated at their own untreated state (their pre-treatment estradiol and
testosterone, calcium and vitamin D intake, activity) at the simulation start, which is the
earliest of: t = 0, the first regimen start, and (women) three years before the final menstrual
period (capped at 20 years back) so the menopause transition is simulated rather than assumed.
Reported changes are relative to t = 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology import states as S
from osteotwin.physiology.binding import binding_series
from osteotwin.physiology.calcium import MG_PER_MMOL_CA, vitd_from_intake
from osteotwin.physiology.endocrine import (
    aromatase_yield,
    castrate_testosterone,
    hormones,
    lh_feedback,
    ovarian_fraction,
)
from osteotwin.physiology.loading import mechanical_stimulus
from osteotwin.physiology.model import jacobian, rhs
from osteotwin.physiology.parameters import ModelParameters, current_parameters
from osteotwin.simulate.dosing import Schedule, build_schedule
from osteotwin.simulate.scenario import Lifestyle, Scenario, Subject
from osteotwin.simulate.solvers import reference_segments, rosenbrock_segments
from osteotwin.simulate.trajectory import Trajectory

FAST_RTOL = 1e-3
REFERENCE_RTOL = 1e-8
EQUILIBRATION_YEARS = 150.0
HISTORY_BEFORE_FMP_Y = 3.0
MAX_HISTORY_Y = 20.0
#: Men's untreated history (years) before the simulation start: the age clock runs through it, so
#: at t = 0 the slow matrix balance (time constant 1.5-3 y at men's turnover) is already following
#: the man's age as in an ageing man, instead of starting from the held-clock equilibrium with no
#: age drift (women get the same from their menopause history).
MALE_HISTORY_Y = 6.0
PTH_PG_ML_PER_PM = 9.425       # PTH(1-84) 9425 g/mol
CA_MG_DL_PER_MM = 4.008
#: Young-adult reference mean and SD (g/cm²) for T-scores (NHANES III white women 20-29, Hologic;
#: Looker 1998 for hip/neck; ISCD uses the female reference for men too). Used only to follow a
#: known T-score (reported, or computed where ``clinic.densitometry`` has a reference for the
#: scan's site and device) as BMD changes: ΔT = BMD₀·Δ%/SD, BMD₀ the scan's, or the one the
#: T-score implies when only the T-score is on file (then no absolute BMD is reported). A BMD
#: without a known T-score gets no T-score: another device's young-adult mean differs (GE Lunar
#: spine ~1.18 against Hologic's 1.05 g/cm²).
T_SCORE_REFERENCE: dict[str, tuple[float, float]] = {
    "lumbar_spine": (1.047, 0.110), "total_hip": (0.942, 0.122), "femoral_neck": (0.858, 0.120),
}
SITE_STATE = {"lumbar_spine": S.BMD_LS, "total_hip": S.BMD_TH, "femoral_neck": S.BMD_FN}

Method = Literal["fast", "reference"]


@dataclass(frozen=True)
class Baseline:
    """A person's individual constants and their equilibrated state at ``t_start_d``."""

    inputs: NDArray[np.float64]
    state: NDArray[np.float64]
    t_start_d: float


def years_since_menopause(subject: Subject) -> float:
    """Years since the final menstrual period at t = 0 (women; median age 51 when unknown)."""
    if subject.years_since_menopause is not None:
        return subject.years_since_menopause
    return subject.age_y - 51.0


def apply_lifestyle(u: NDArray[np.float64], life: Lifestyle, params: ModelParameters) -> None:
    """Write calcium intake, vitamin D intake and the loading stimulus of ``life`` into ``u``."""
    u[S.U_CA] = (life.dietary_calcium_mg_d + life.supplemental_calcium_mg_d) / MG_PER_MMOL_CA
    u[S.U_VITD] = life.vitamin_d_iu_d
    u[S.U_STIM] = mechanical_stimulus(life.resistance_sessions_per_week, life.resistance_intensity,
                                      life.impact_sessions_per_week,
                                      life.weight_bearing_aerobic_minutes_per_week, params)


def subject_inputs(subject: Subject, params: ModelParameters,
                   estradiol_factor: float = 1.0) -> NDArray[np.float64]:
    """The input vector of an untreated person (individual constants; no drugs).

    ``estradiol_factor`` scales the person's own estradiol production when it is inferred from
    an on-treatment result: a man's untreated E2 (aromatization, testicular secretion and the LH
    set point that E2 feedback holds), a woman's extra-ovarian (aromatase) E2."""
    p = params.values
    life = subject.lifestyle
    u = np.zeros(S.N_INPUTS)
    male = subject.sex == "male"
    u[S.U_MALE] = 1.0 if male else 0.0
    u[S.U_WEIGHT] = subject.weight_kg
    u[S.U_AGE0] = subject.age_y
    apply_lifestyle(u, life, params)
    if subject.vitamin_d_25oh_ng_ml is not None:
        endo = subject.vitamin_d_25oh_ng_ml - vitd_from_intake(life.vitamin_d_iu_d, p)
        u[S.U_VITD_ENDO] = max(endo, 3.0)
    else:
        u[S.U_VITD_ENDO] = params["vitd_endogenous_ng_ml"]
    fat = (subject.weight_kg / 75.0) ** params["fat_aromatization_exponent"]
    no_drug = S.reference_state()
    if male:
        t_star = subject.total_testosterone_ng_dl or params["male_testosterone_ng_dl"]
        e2_star = estradiol_factor * (subject.estradiol_pg_ml
                                      or params["male_estradiol_pg_ml"] * fat)
        testis_share = params["testicular_estradiol_fraction"]
        u[S.U_AROM_SCALE] = (1.0 - testis_share) * e2_star / aromatase_yield(t_star, no_drug, p)
        lh_star = params["male_lh_iu_l"]
        u[S.U_LHMAX] = lh_star * lh_feedback(e2_star, t_star, p)
        leydig = lh_star / (lh_star + params["testis_lh50_iu_l"])
        adrenal = min(castrate_testosterone(subject.age_y, p), 0.5 * t_star)
        u[S.U_TMAX] = (t_star - adrenal) / leydig  # endocrine.adrenal_testosterone gives it back
        u[S.U_E2_OV] = testis_share * e2_star / leydig  # testicular E2 at full Leydig output
    else:
        ysm0 = years_since_menopause(subject)
        u[S.U_YSM0] = ysm0
        peripheral = params["postmenopausal_estradiol_pg_ml"] * fat
        ovarian = params["premenopausal_ovarian_estradiol_pg_ml"]
        if subject.estradiol_pg_ml is not None:
            if ysm0 >= 1.0:
                peripheral = subject.estradiol_pg_ml
            else:
                share = max(ovarian_fraction(ysm0, p), 0.05)
                ovarian = max(subject.estradiol_pg_ml - peripheral, 0.0) / share
        u[S.U_AROM_SCALE] = estradiol_factor * peripheral / aromatase_yield(
            params["female_testosterone_ng_dl"], no_drug, p)
        u[S.U_LHMAX] = params["lh_max_female_iu_l"]
        u[S.U_E2_OV] = ovarian
    return u


#: Untreated lead-in (days) before a regimen that starts at the simulation start, so every output at
#: or before that start (the baseline of ``*_change_pct``) sees untreated inputs: gels and patches
#: act through input rates, which would otherwise already count at the first output time.
UNTREATED_LEAD_IN_D = 1.0


def start_time(scenario: Scenario) -> float:
    """Simulation start (days, ≤ 0): first regimen (one day before it when it is the earliest
    time, ``UNTREATED_LEAD_IN_D``), or the menopause history for women and ``MALE_HISTORY_Y``
    for men, and never after the week an on-treatment estradiol is averaged over (a woman far
    from her menopause has no history otherwise)."""
    t0 = min([0.0, *[r.start_d for r in scenario.regimens]])
    if any(r.start_d <= t0 for r in scenario.regimens):
        t0 -= UNTREATED_LEAD_IN_D
    subject = scenario.subject
    if subject.sex == "female":
        ysm0 = years_since_menopause(subject)
        if ysm0 > -HISTORY_BEFORE_FMP_Y:
            history = -min(ysm0 + HISTORY_BEFORE_FMP_Y, MAX_HISTORY_Y) * 365.25
            t0 = min(t0, history)
    else:
        t0 = min(t0, -MALE_HISTORY_Y * 365.25)
    if subject.estradiol_on_treatment is not None:
        t0 = min(t0, subject.estradiol_on_treatment[0] - E2_MATCH_WINDOW_D)
    return float(t0)


def steady_state(subject: Subject, params: ModelParameters | None = None,
                 t_d: float = 0.0) -> Baseline:
    """Equilibrate an untreated ``subject`` with the clocks held at ``t_d`` (days)."""
    params = params or current_parameters()
    return equilibrate(subject_inputs(subject, params), params, t_d)


def equilibrate(u: NDArray[np.float64], params: ModelParameters, t_d: float,
                near: Baseline | None = None) -> Baseline:
    """Steady state for the untreated input vector ``u`` with the clocks held at ``t_d``.

    Found by damped Newton steps from ``near`` (the steady state of nearby inputs at the same
    ``t_d``) or else from the model's reference state; where they do not converge, integrated for
    ``EQUILIBRATION_YEARS`` from the reference state (:func:`integrated_steady_state`). Newton
    from the reference state finds the state the integration reaches (tested on varied people and
    lifestyles) in about a fifth of its time."""
    p = params.values
    frozen = _frozen_inputs(u, t_d)
    start = near.state if near is not None and near.t_start_d == t_d else _reference_start(
        frozen, params)
    y, found = _newton(start, p, frozen, S.error_scale(), NEWTON_STEADY_ITERATIONS)
    if not found:
        y = integrated_steady_state(u, params, t_d)
    return Baseline(u, _restart_integrators(y), t_d)


def integrated_steady_state(u: NDArray[np.float64], params: ModelParameters,
                            t_d: float) -> NDArray[np.float64]:
    """The steady state of :func:`equilibrate` by integrating ``EQUILIBRATION_YEARS`` from the
    reference state, then polishing with Newton steps (its integrators not restarted)."""
    p = params.values
    frozen = _frozen_inputs(u, t_d)
    scale = S.error_scale()
    y = _reference_start(frozen, params)
    seg_t = np.array([0.0, EQUILIBRATION_YEARS * 365.25])
    _, _, y, _, _ = rosenbrock_segments(y, p, seg_t, frozen[None, :], np.zeros((1, S.N_STATES)),
                                        np.array([seg_t[-1]]), 1e-6, scale, 1.0)
    y, _ = _newton(y, p, frozen, scale, NEWTON_POLISH_ITERATIONS)
    return y


def _frozen_inputs(u: NDArray[np.float64], t_d: float) -> NDArray[np.float64]:
    """``u`` with the clocks held at ``t_d``."""
    frozen = u.copy()
    frozen[S.U_CLOCK_FROZEN] = 1.0
    frozen[S.U_CLOCK_T] = t_d
    return frozen


def _reference_start(frozen: NDArray[np.float64], params: ModelParameters) -> NDArray[np.float64]:
    """The model's reference state with the gut's calcium at its steady amount for the intake."""
    y = S.reference_state()
    y[S.GUT_CA] = frozen[S.U_CA] / params["gut_transit_d"]
    return y


def _restart_integrators(y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Bone calcium is an integrator (no state depends on it): it drifts while a steady state is
    sought, so it restarts at its reference; cumulative fluxes restart at zero."""
    y = y.copy()
    y[S.CA_BONE] = S.CA_BONE0
    y[S.CA_URINE] = y[S.CA_FECES] = y[S.CA_INTAKE] = 0.0
    return y


_INTEGRATORS = (S.CA_BONE, S.CA_URINE, S.CA_FECES, S.CA_INTAKE)
#: The states a steady state is solved for (every state but the integrators).
_SOLVED = np.array([i for i in range(S.N_STATES) if i not in _INTEGRATORS])
#: Newton converged: no solved state moves by more than this share of its size (or error scale)
#: in a full step, and no rate exceeds ``NEWTON_RESIDUAL`` of it per day.
NEWTON_STEP = 1e-12
NEWTON_RESIDUAL = 1e-9
#: Newton iterations when polishing an integrated steady state, and when finding one from a
#: nearby steady state or the reference state.
NEWTON_POLISH_ITERATIONS = 6
NEWTON_STEADY_ITERATIONS = 40


def _newton(y0: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
            scale: NDArray[np.float64], iterations: int) -> tuple[NDArray[np.float64], bool]:
    """Damped Newton steps from ``y0`` towards a steady state of ``u`` (the integrators left
    alone; no state that was positive turns negative beyond round-off): (state, converged)."""
    y = y0.copy()
    f = rhs(0.0, y, p, u)
    for _ in range(iterations):
        jac = jacobian(0.0, y, p, u, f, scale)[np.ix_(_SOLVED, _SOLVED)]
        try:
            step = np.linalg.solve(jac, -f[_SOLVED])
        except np.linalg.LinAlgError:
            return y, False
        if not np.all(np.isfinite(step)):
            return y, False
        size = np.maximum(np.abs(y[_SOLVED]), scale[_SOLVED])
        damping = 1.0
        while damping > 1e-3:
            trial = y[_SOLVED] + damping * step
            if np.all((trial > -NEWTON_STEP * size) | (y[_SOLVED] <= 0.0)):
                break
            damping *= 0.5
        else:
            return y, False
        y[_SOLVED] = y[_SOLVED] + damping * step
        f = rhs(0.0, y, p, u)
        if (damping == 1.0 and np.max(np.abs(step) / size) < NEWTON_STEP
                and np.max(np.abs(f[_SOLVED]) / size) < NEWTON_RESIDUAL):
            return y, True
    return y, False


def scenario_schedule(scenario: Scenario, inputs: NDArray[np.float64], params: ModelParameters,
                      t_start: float, explicit_oral_dosing: bool = False) -> Schedule:
    """Dosing segments of a scenario, including a lifestyle change at t = 0 if it has one."""
    after: NDArray[np.float64] | None = None
    if scenario.lifestyle_from_t0 is not None:
        after = inputs.copy()
        apply_lifestyle(after, scenario.lifestyle_from_t0, params)
    return build_schedule(scenario.regimens, inputs, params, t_start, scenario.horizon_d,
                          explicit_oral_dosing, after)


E2_MATCH_WINDOW_D = 7.0
E2_MATCH_FACTOR_RANGE = (0.1, 10.0)
E2_MATCH_TOLERANCE = 0.02
E2_MATCH_MAX_STEPS = 6
#: The search runs over the last ``E2_MATCH_SEARCH_HISTORY_D`` days before the measurement only,
#: from the untreated state (estradiol follows the drug levels and LH, which settle within weeks
#: of a change; the slowest, a testosterone undecanoate depot, within months); the factor it
#: finds is then checked, and refined if need be, over the whole history.
E2_MATCH_SEARCH_HISTORY_D = 180.0


@dataclass(frozen=True)
class _Resume:
    """The fast path's state at ``t_d`` (before the first output) on the final schedule, so the
    last run need not integrate that history again."""

    t_d: float
    state: NDArray[np.float64]


def _mean_e2_before(day: float, baseline: Baseline, schedule: Schedule, p: NDArray[np.float64],
                    from_d: float | None = None) -> tuple[float, _Resume | None]:
    """Simulated E2 averaged over the 7 days before ``day`` (fast path), and the state there.

    From ``from_d`` (after the baseline's start) the run starts from the untreated state and
    leaves out the doses before it: its E2 approximates the full history's, and no state comes
    back."""
    start = max(day - E2_MATCH_WINDOW_D, baseline.t_start_d)
    end = max(day, start)
    times = np.linspace(start, end, 8)
    cut = int(np.searchsorted(schedule.times_d, day, side="right"))
    first = 0
    seg_t = np.append(schedule.times_d[:cut], end + 1e-6)
    windowed = from_d is not None and schedule.times_d[0] < from_d < start
    if windowed:
        assert from_d is not None
        first = int(np.searchsorted(schedule.times_d, from_d, side="right")) - 1
        seg_t = np.concatenate([[from_d], seg_t[first + 1:]])
    seg_u = schedule.inputs[first:cut]
    seg_b = schedule.boluses[first:cut]
    if windowed:
        seg_b = seg_b.copy()
        seg_b[0] = 0.0  # given before the window
    states, seg_index, _, _, _ = rosenbrock_segments(
        baseline.state, p, seg_t, seg_u, seg_b, times, FAST_RTOL, S.error_scale(), 1.0)
    values = [hormones(float(t), states[i], p, seg_u[min(seg_index[i], len(seg_u) - 1)])[0]
              for i, t in enumerate(times)]
    resume = None if windowed else _Resume(end, states[-1].copy())
    return float(np.mean(values)), resume


def _match_on_treatment_estradiol(scenario: Scenario, params: ModelParameters, baseline: Baseline,
                                  schedule: Schedule, t_start: float, explicit: bool
                                  ) -> tuple[Baseline, Schedule, float, _Resume | None, float]:
    """Scale the person's own estradiol production so simulated E2 matches an on-treatment result.

    Women: the aromatization scale (E2 close to proportional to it). Men: their untreated E2 as a
    whole (``subject_inputs``' ``estradiol_factor``): scaling aromatization alone would lower the
    E2 feedback on LH, let LH escape exogenous testosterone and hand the E2 to the AI-insensitive
    testes (a man on TRT + an AI would then barely respond to stopping the AI). Secant steps in
    log space (elasticity from the previous step, 1 at first) bring it within 2 %, first over
    the recent history (``E2_MATCH_SEARCH_HISTORY_D``), then over the whole of it, in at most
    ``E2_MATCH_MAX_STEPS`` corrections each. When the last run was on the returned baseline over the
    whole history, its state at the measurement comes back too (``_Resume``), and last the
    simulated 7-day mean it reached (pg/mL; outside the tolerance when the factor's range or the
    steps ran out)."""
    assert scenario.subject.estradiol_on_treatment is not None
    day, observed = scenario.subject.estradiol_on_treatment
    log_low, log_high = (math.log(v) for v in E2_MATCH_FACTOR_RANGE)
    log_factor, elasticity = 0.0, 1.0
    previous: tuple[float, float] | None = None
    window: float | None = day - E2_MATCH_SEARCH_HISTORY_D
    steps = 0
    while True:
        simulated, resume = _mean_e2_before(day, baseline, schedule, params.values, window)
        if simulated <= 0.0 or abs(simulated / observed - 1.0) < E2_MATCH_TOLERANCE:
            if resume is not None or window is None:
                return baseline, schedule, math.exp(log_factor), resume, simulated
            window, previous = None, None  # check it over the whole history
            continue
        if steps == E2_MATCH_MAX_STEPS:
            if window is None:
                return baseline, schedule, math.exp(log_factor), None, simulated
            # the recent history alone does not reach it (a depot still acting from before):
            # search again over the whole history from the factor reached
            window, previous, steps = None, None, 0
            continue
        steps += 1
        log_e2 = math.log(simulated)
        if previous is not None and abs(log_factor - previous[0]) > 1e-9:
            slope = (log_e2 - previous[1]) / (log_factor - previous[0])
            elasticity = min(max(slope, 0.05), 2.0)
        previous = (log_factor, log_e2)
        step = math.log(observed / simulated) / elasticity
        log_factor = min(max(log_factor + step, log_low), log_high)
        previous_inputs = baseline.inputs
        baseline = _scaled_baseline(scenario, params, t_start, math.exp(log_factor), baseline)
        schedule = (_rebased_schedule(schedule, previous_inputs, baseline.inputs)
                    or scenario_schedule(scenario, baseline.inputs, params, t_start, explicit))


def _rebased_schedule(schedule: Schedule, old: NDArray[np.float64], new: NDArray[np.float64]
                      ) -> Schedule | None:
    """``schedule`` with the person's constants ``old`` replaced by ``new`` in every segment, or
    None when a segment overrides one of the changed constants (then it must be rebuilt)."""
    changed = np.flatnonzero(old != new)
    if np.any(schedule.inputs[:, changed] != old[changed]):
        return None
    inputs = schedule.inputs.copy()
    inputs[:, changed] = new[changed]
    return replace(schedule, inputs=inputs)


def _scaled_baseline(scenario: Scenario, params: ModelParameters, t_start: float,
                     factor: float, near: Baseline) -> Baseline:
    return equilibrate(subject_inputs(scenario.subject, params, factor), params, t_start, near)


def default_times(years: float) -> NDArray[np.float64]:
    """Output grid: every 14 days from 0 to the horizon (inclusive)."""
    horizon = years * 365.25
    grid = np.arange(0.0, horizon, 14.0)
    return np.append(grid, horizon)


def _output_times(scenario: Scenario, times_d: NDArray[np.float64] | None
                  ) -> tuple[NDArray[np.float64], bool]:
    """The requested output days, starting at t = 0 (prepended when missing: the flag says so)."""
    horizon = scenario.horizon_d
    times = default_times(scenario.years) if times_d is None else np.asarray(times_d, float)
    if times.size == 0 or np.any(np.diff(times) < 0) or times[0] < 0 or times[-1] > horizon + 1e-6:
        from osteotwin.errors import UserInputError

        raise UserInputError("times_d", f"{times[:3]}...", f"increasing days within 0..{horizon:g}")
    if times[0] > 0:
        return np.concatenate([[0.0], times]), True
    return times, False


@dataclass(frozen=True)
class _History:
    """A person's course up to t = 0 on one scenario's schedule (the fast path): the matched
    baseline and schedule, and the pre-dose state at t = 0 with the steps it took. Scenarios for
    the same person whose schedules agree before t = 0 (what-ifs) share it (:func:`simulate_alike`)."""

    subject: Subject
    baseline: Baseline
    schedule: Schedule
    aromatization_factor: float
    resumed_at_d: float | None
    state: NDArray[np.float64]
    steps: int
    rejected: int
    #: Per scanned site, BMD at t = 0 over BMD on the scan's day along the simulated course.
    bmd_carry: dict[str, float]
    #: The on-treatment estradiol match's simulated 7-day mean (pg/mL; None without a match).
    matched_pg_ml: float | None

    def agrees_before_zero(self, schedule: Schedule) -> bool:
        """Whether ``schedule`` has this history's segments, inputs and doses before t = 0."""
        mine, theirs = (int(np.searchsorted(x.times_d, 0.0, side="left"))
                        for x in (self.schedule, schedule))
        return (mine == theirs and self.schedule.times_d[0] == schedule.times_d[0]
                and np.array_equal(self.schedule.times_d[:mine], schedule.times_d[:mine])
                and np.array_equal(self.schedule.inputs[:mine], schedule.inputs[:mine])
                and np.array_equal(self.schedule.boluses[:mine], schedule.boluses[:mine]))


@dataclass(frozen=True)
class _Prepared:
    """The person equilibrated at the scenario's start and its schedule, both matched to an
    on-treatment estradiol when one is given, with the estradiol production factor, the fast
    path's state at the lab date when the match's last run reached it, and the match's
    simulated 7-day mean there (pg/mL; None without a match)."""

    baseline: Baseline
    schedule: Schedule
    factor: float
    resume: _Resume | None
    matched_pg_ml: float | None


def _prepared(scenario: Scenario, params: ModelParameters, explicit: bool) -> _Prepared:
    """Equilibrate and schedule ``scenario``, matching an on-treatment estradiol if given."""
    t_start = start_time(scenario)
    baseline = steady_state(scenario.subject, params, t_start)
    schedule = scenario_schedule(scenario, baseline.inputs, params, t_start, explicit)
    if scenario.subject.estradiol_on_treatment is not None \
            and scenario.subject.estradiol_pg_ml is None:
        return _Prepared(*_match_on_treatment_estradiol(scenario, params, baseline, schedule,
                                                        t_start, explicit))
    return _Prepared(baseline, schedule, 1.0, None, None)


def matched_start(scenario: Scenario, params: ModelParameters | None = None
                  ) -> tuple[Baseline, Schedule, dict[str, object]]:
    """The person as ``simulate`` (fast path, daily oral doses as rates) starts them: the
    equilibrated baseline at the simulation start and the dosing schedule, both matched to an
    on-treatment estradiol exactly as ``simulate`` matches it, with the match as ``simulate``
    reports it in ``meta`` (``aromatization_factor``, 1 without a match; ``estradiol_match``
    when a lab was matched). For exporters (``osteotwin.sbml.export``) that must model the same
    person as ``simulate``; it changes nothing in ``simulate`` itself."""
    scenario.validate()
    params = params or current_parameters()
    prepared = _prepared(scenario, params, False)
    meta = {"aromatization_factor": prepared.factor,
            **_match_meta(scenario.subject, prepared.matched_pg_ml)}
    return prepared.baseline, prepared.schedule, meta


#: How far the estradiol production factor may move before a matched on-treatment estradiol is
#: flagged: untreated levels lie within about half to twice the typical one for age and sex (older
#: men, MrOS: Orwoll et al. 2006 J Clin Endocrinol Metab 91:1336), so a match needing three times
#: (or a third) points at the result rather than the person.
E2_PLAUSIBLE_FACTOR = 3.0


def unmatched_estradiol_note(meta: Mapping[str, Any]) -> str | None:
    """A sentence for readers when a trajectory's on-treatment estradiol match (``meta``) did not
    reach the measured value, or reached it only with a production factor beyond
    ``E2_PLAUSIBLE_FACTOR``; else None."""
    match = meta.get("estradiol_match")
    if not match:
        return None
    if match["matched"]:
        factor = float(meta.get("aromatization_factor", 1.0))
        if 1.0 / E2_PLAUSIBLE_FACTOR <= factor <= E2_PLAUSIBLE_FACTOR:
            return None
        return (f"The estradiol measured on treatment ({match['measured_pg_ml']:g} pg/mL, day "
                f"{match['day']:g}) was reproduced only by setting this person's own estradiol "
                f"production to {factor:.2g} times the typical for their age and sex, outside the "
                "usual range (about half to twice): check the result before relying on these "
                "predictions (an immunoassay can read low estradiol falsely high, notably on an "
                "aromatase inhibitor; sample timing or missed doses also count; Rosner et al. 2013 "
                "J Clin Endocrinol Metab 98:1376).")
    return (f"The estradiol measured on treatment ({match['measured_pg_ml']:g} pg/mL, day "
            f"{match['day']:g}) could not be reproduced: the simulation gives "
            f"{match['simulated_pg_ml']:.1f} pg/mL for that week, so its estradiol and bone "
            "predictions for this person are less certain.")


def _match_meta(subject: Subject, matched_pg_ml: float | None) -> dict[str, object]:
    """The on-treatment estradiol match as reported: measured and simulated 7-day means (pg/mL)
    and whether they agree within ``E2_MATCH_TOLERANCE``."""
    if subject.estradiol_on_treatment is None or matched_pg_ml is None:
        return {}
    day, measured = subject.estradiol_on_treatment
    return {"estradiol_match": {
        "day": day, "measured_pg_ml": measured, "simulated_pg_ml": matched_pg_ml,
        "matched": abs(matched_pg_ml / measured - 1.0) < E2_MATCH_TOLERANCE}}


def _history(scenario: Scenario, params: ModelParameters, explicit: bool) -> _History:
    """Equilibrate, match an on-treatment estradiol if given, and integrate to t = 0 (fast path)."""
    prepared = _prepared(scenario, params, explicit)
    baseline, schedule, resume = prepared.baseline, prepared.schedule, prepared.resume
    scan_days = _scan_days(scenario.subject)
    state, steps, rejected, resumed_at = baseline.state, 0, 0, None
    carry: dict[str, float] = {}
    if resume is not None and resume.t_d == 0.0 and scan_days.size == 0:
        state, resumed_at = resume.state, resume.t_d
    elif schedule.times_d[0] < 0.0:
        before = _until(schedule, 0.0)
        if resume is not None and scan_days.size and scan_days[-1] <= resume.t_d:
            # the scans lie before the estradiol match's last run ended: the states on their days
            # from a run up to the last of them, the rest of the history from that run's end
            at_scans, _, steps, rejected, _ = _fast_run(
                baseline.state, params.values, _until(schedule, float(scan_days[-1])), scan_days,
                S.error_scale(), None)
            at_zero, resumed_at = resume.state, resume.t_d
            if resume.t_d < 0.0:
                rest, _, more, more_rejected, resumed_at = _fast_run(
                    baseline.state, params.values, before, np.array([0.0]), S.error_scale(),
                    resume)
                at_zero, steps, rejected = rest[-1], steps + more, rejected + more_rejected
            states = np.vstack([at_scans, at_zero[None, :]])
        else:
            states, _, steps, rejected, resumed_at = _fast_run(
                baseline.state, params.values, before, np.append(scan_days, 0.0), S.error_scale(),
                resume)
        state = states[-1]
        carry = _bmd_carry(scenario.subject, scan_days, states[:-1], state)
    return _History(scenario.subject, baseline, schedule, prepared.factor, resumed_at, state,
                    steps, rejected, carry, prepared.matched_pg_ml)


def _until(schedule: Schedule, day: float) -> Schedule:
    """``schedule`` cut at ``day`` (its segments before it; the doses on that day are left out; a
    day before its start leaves one empty segment, whose output is the starting state)."""
    start = float(schedule.times_d[0])
    cut = max(int(np.searchsorted(schedule.times_d, day, side="left")), 1)
    return replace(schedule, times_d=np.append(schedule.times_d[:cut], max(day, start)),
                   inputs=schedule.inputs[:cut], boluses=schedule.boluses[:cut])


def _scan_days(subject: Subject) -> NDArray[np.float64]:
    """The distinct days before t = 0 of the subject's scans, ascending."""
    return np.unique([d for d in subject.bmd_scan_d.values() if d < 0.0]).astype(np.float64)


def _bmd_carry(subject: Subject, scan_days: NDArray[np.float64], at_scans: NDArray[np.float64],
               at_zero: NDArray[np.float64]) -> dict[str, float]:
    """Per site scanned before t = 0: simulated BMD at t = 0 over BMD on the scan's day (a scan
    before the simulation start is carried from the start)."""
    carry = {}
    for site, day in subject.bmd_scan_d.items():
        if day < 0.0:
            index = SITE_STATE[site]
            row = int(np.searchsorted(scan_days, day))
            carry[site] = float(at_zero[index] / at_scans[row, index])
    return carry


def _simulate_fast(scenario: Scenario, params: ModelParameters, times_d: NDArray[np.float64] | None,
                   explicit: bool, shared: _History | None = None) -> tuple[Trajectory, _History]:
    """The fast path: the history up to t = 0 (``shared`` when it fits ``scenario``), then the
    scenario from the state at t = 0 with a fresh step-size controller, so that a scenario gives
    the same result whether it is simulated alone or beside others."""
    times, drop_first = _output_times(scenario, times_d)
    history = None
    if shared is not None and scenario.subject == shared.subject:
        schedule = scenario_schedule(scenario, shared.baseline.inputs, params,
                                     start_time(scenario), explicit)
        if shared.agrees_before_zero(schedule):
            history = replace(shared, schedule=schedule)
    reused = history is not None
    if history is None:
        history = _history(scenario, params, explicit)
    states, seg_index, steps, rejected, _ = _fast_run(
        history.state, params.values, history.schedule, times, S.error_scale(),
        _Resume(0.0, history.state))
    meta = {"method": "fast", "steps": history.steps + steps,
            "rejected_steps": history.rejected + rejected,
            "history_resumed_at_d": history.resumed_at_d, "history_shared": reused,
            **_match_meta(scenario.subject, history.matched_pg_ml)}
    trajectory = _trajectory(scenario, params, times, drop_first, states, seg_index,
                             history.schedule, history.aromatization_factor, meta,
                             history.bmd_carry)
    return trajectory, history


def _trajectory(scenario: Scenario, params: ModelParameters, times: NDArray[np.float64],
                drop_first: bool, states: NDArray[np.float64], seg_index: NDArray[np.int64],
                schedule: Schedule, aromatization_factor: float,
                meta: dict[str, object], bmd_carry: dict[str, float]) -> Trajectory:
    """The named series at ``times`` with the run's ``meta`` (``outputs``), less the t = 0 row
    when it was only added for the changes' baseline (``drop_first``)."""
    trajectory = outputs(scenario, times, states, seg_index, schedule.inputs, params.values,
                         bmd_carry)
    trajectory.meta.update({**meta, "t_start_d": float(schedule.times_d[0]),
                            "aromatization_factor": aromatization_factor,
                            "bmd_change_scan_to_t0_pct": {
                                site: 100.0 * (ratio - 1.0) for site, ratio in bmd_carry.items()},
                            "assumed_doses": list(schedule.assumed_doses),
                            "parameters": params.provenance})
    if drop_first:
        trajectory.times_d = trajectory.times_d[1:]
        trajectory.series = {k: v[1:] for k, v in trajectory.series.items()}
    return trajectory


def simulate(scenario: Scenario, *, params: ModelParameters | None = None,
             method: Method = "fast", times_d: NDArray[np.float64] | None = None,
             explicit_oral_dosing: bool = False) -> Trajectory:
    """Simulate one person; see module docstring. Raises UserInputError on bad scenarios.

    ``explicit_oral_dosing`` simulates every daily oral AI/tamoxifen dose as a bolus instead of the
    daily-average rate (slower; used to check that approximation)."""
    scenario.validate()
    params = params or current_parameters()
    if method == "fast":
        return _simulate_fast(scenario, params, times_d, explicit_oral_dosing)[0]
    if method != "reference":
        from osteotwin.errors import UserInputError

        raise UserInputError("method", method, "fast, reference")
    times, drop_first = _output_times(scenario, times_d)
    prepared = _prepared(scenario, params, explicit_oral_dosing)
    baseline, schedule = prepared.baseline, prepared.schedule
    scan_days = _scan_days(scenario.subject)
    if schedule.times_d[0] >= 0.0:
        scan_days = scan_days[:0]  # no simulated past to carry a scan along
    k = scan_days.size
    states, seg_index, _ = reference_segments(
        baseline.state, params.values, schedule.times_d, schedule.inputs, schedule.boluses,
        np.concatenate([scan_days, times]), S.error_scale(), REFERENCE_RTOL)
    carry = _bmd_carry(scenario.subject, scan_days, states[:k], states[k]) if k else {}
    meta = {"method": "reference", "steps": -1, "rejected_steps": -1,
            "history_resumed_at_d": None, **_match_meta(scenario.subject, prepared.matched_pg_ml)}
    return _trajectory(scenario, params, times, drop_first, states[k:], seg_index[k:], schedule,
                       prepared.factor, meta, carry)


def simulate_alike(scenarios: Sequence[Scenario], *, params: ModelParameters | None = None,
                   times_d: NDArray[np.float64] | None = None) -> list[Trajectory]:
    """Fast-path simulations of scenarios for one person that differ only from t = 0 (what-ifs).

    The history up to t = 0 (equilibration, the estradiol match, the run to t = 0) is computed
    for the first scenario and reused by every other whose schedule before t = 0 is the same
    (any other is simulated in full); each result equals ``simulate`` of its scenario."""
    params = params or current_parameters()
    results: list[Trajectory] = []
    shared: _History | None = None
    for scenario in scenarios:
        scenario.validate()
        trajectory, history = _simulate_fast(scenario, params, times_d, False, shared)
        shared = shared or history
        results.append(trajectory)
    return results


def _fast_run(state: NDArray[np.float64], p: NDArray[np.float64], schedule: Schedule,
              times: NDArray[np.float64], scale: NDArray[np.float64], resume: _Resume | None
              ) -> tuple[NDArray[np.float64], NDArray[np.int64], int, int, float | None]:
    """The fast path over ``schedule`` from its start, or from ``resume`` when one is given at or
    before the first output (the history up to it was integrated already: while matching
    estradiol, or up to t = 0); the last item is the day it resumed from, or None."""
    seg_t, seg_u, seg_b, first = schedule.times_d, schedule.inputs, schedule.boluses, 0
    resumed = None
    if resume is not None and seg_t[0] < resume.t_d <= times[0]:
        resumed = resume.t_d
        first = int(np.searchsorted(seg_t, resume.t_d, side="right")) - 1
        seg_t = np.concatenate([[resume.t_d], seg_t[first + 1:]])
        seg_u = seg_u[first:]
        seg_b = seg_b[first:].copy()
        # outputs are taken before a segment's dose: a dose at ``resume`` itself is still to come,
        # one earlier in its segment was given before it
        if resume.t_d > schedule.times_d[first] + 1e-9:
            seg_b[0] = 0.0
        state = resume.state
    states, seg_index, _, steps, rejected = rosenbrock_segments(
        state, p, seg_t, seg_u, seg_b, times, FAST_RTOL, scale, 1.0)
    seg_index = seg_index + first
    if resumed is not None and first > 0 and resumed <= schedule.times_d[first] + 1e-9:
        # an output at a segment's start reads the segment before it (the pre-dose state)
        seg_index[times <= resumed + 1e-9] = first - 1
    return states, seg_index, steps, rejected, resumed


def outputs(scenario: Scenario, times: NDArray[np.float64], states: NDArray[np.float64],
            seg_index: NDArray[np.int64], seg_inputs: NDArray[np.float64],
            p: NDArray[np.float64], bmd_carry: dict[str, float] | None = None) -> Trajectory:
    """Turn states at output times into the named clinical series (changes relative to t = 0).

    Absolute BMD and T-scores start from the subject's scan, carried to t = 0 by ``bmd_carry``
    (per site: simulated BMD at t = 0 over BMD on the scan's day; absent: scanned at t = 0)."""
    n = times.size
    e2 = np.empty(n)
    tt = np.empty(n)
    est = np.empty(n)
    for i in range(n):
        e2[i], tt[i], _, est[i] = hormones(float(times[i]), states[i], p, seg_inputs[seg_index[i]])
    i0 = int(np.argmin(np.abs(times)))
    ob = states[:, S.OB_FAST] + states[:, S.OB_SLOW]
    series: dict[str, NDArray[np.float64]] = {
        "estradiol_pg_ml": e2,
        "total_testosterone_ng_dl": tt,
        "lh_iu_l": states[:, S.LH].copy(),
        "ctx_change_pct": 100.0 * (states[:, S.OC] / states[i0, S.OC] - 1.0),
        "p1np_change_pct": 100.0 * (ob / ob[i0] - 1.0),
        "vitamin_d_25oh_ng_ml": states[:, S.VITD25].copy(),
        "pth_pg_ml": states[:, S.PTH] / S.V1_L * PTH_PG_ML_PER_PM,
        "serum_calcium_mg_dl": states[:, S.CA_P] / S.V1_L * CA_MG_DL_PER_MM,
        "bone_estrogen_signal": est,
        "sclerostin_relative": states[:, S.SCL].copy(),
    }
    subject = scenario.subject
    series.update(binding_series(tt, subject.sex == "male", subject.age_y, [subject.shbg_nmol_l]))
    for site, index in SITE_STATE.items():
        change = 100.0 * (states[:, index] / states[i0, index] - 1.0)
        series[f"{site}_bmd_change_pct"] = change
        scanned = subject.bmd_g_cm2.get(site)
        mean, sd = T_SCORE_REFERENCE[site]
        t_scan = subject.t_scores.get(site)
        carried = (bmd_carry or {}).get(site, 1.0) * (1.0 + change / 100.0)
        if scanned is not None:
            series[f"{site}_bmd_g_cm2"] = scanned * carried
        if t_scan is not None:
            at_scan = scanned if scanned is not None else mean + t_scan * sd
            series[f"{site}_t_score"] = t_scan + at_scan * (carried - 1.0) / sd
    return Trajectory(times_d=times.copy(), series=series, label=scenario.label)
