"""Endpoint evaluation: simulated arm populations → per-person endpoint values → mean and interval.

Quantities (spec/trial-file.md): ``<lab>`` (level at ``at``), ``<lab>_change_pct`` and
``<site>_bmd_change_pct`` (change from the value at ``from``, default study start, to ``at``),
``fracture_incidence_pct`` (cumulative incidence from ``from`` to ``at``, from the fracture hazard
model in ``osteotwin.physiology.fracture``, driven by each person's total-hip BMD and serum CTX
changes since study start; with the packaged fitted fracture parameters unless others are given, so
the batch backends, which call ``person_values`` without them, score as ``osteotwin validate``
does). A contrast is arm minus arm; because arms of one trial share their random numbers, its
prediction interval is taken over per-person differences.

Hormone levels (estradiol, testosterone, free testosterone, LH: ``simulate.averaging.HORMONE_SERIES``)
are read as ``osteotwin simulate`` reads them, as the time-weighted mean over the dosing cycle before
the time (``reading_window_d``: the longest dosing interval of the arm's sex-hormone regimens in
force then, ``averaging.dosing_cycle_d``, averaged by ``averaging.window_mean``), so that "3 mo" and
"13 wk" of weekly testosterone injections are the same visit and not a peak and a trough. Within
the first cycle after such a regimen starts or stops (or after study start) the time since that
change is the file's own and the level is read at the time itself; without a regimen dosed at
intervals (none, daily gel, patches), too. Unlike ``simulate``'s tables there is no 7-day floor:
a trial's early visits (1 d, 2 wk after the first dose) are read as measured. Other labs and all
changes of BMD and markers are read at the time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology.binding import free_testosterone_pg_ml
from osteotwin.physiology.fracture import FractureParameters, cumulative_incidence_pct
from osteotwin.simulate.averaging import (
    HORMONE_SERIES,
    SUMMARY_WINDOW_D,
    WINDOW_POINTS,
    dosing_cycle_d,
    window_mean,
)
from osteotwin.simulate.scenario import SEX_HORMONE_DRUGS, Regimen
from osteotwin.trials.model import BMD_SITES, FRACTURE_QUANTITY, Distribution, Endpoint, Trial
from osteotwin.trials.pass_rule import (
    is_borderline,
    scoring_interval,
    small_n_reason,
    standard_error,
)

#: Trajectory series holding each lab's absolute level (canonical unit).
LAB_SERIES: dict[str, str] = {
    "estradiol": "estradiol_pg_ml",
    "total_testosterone": "total_testosterone_ng_dl",
    "free_testosterone": "free_testosterone_pg_ml",
    "shbg": "shbg_nmol_l",
    "lh": "lh_iu_l",
    "vitamin_d_25oh": "vitamin_d_25oh_ng_ml",
    "calcium": "serum_calcium_mg_dl",
    "pth": "pth_pg_ml",
    "ctx": "ctx_ng_ml",
    "p1np": "p1np_ng_ml",
}
#: Series already expressed as % change from study start.
CHANGE_SERIES: dict[str, str] = {
    "ctx_change_pct": "ctx_change_pct",
    "p1np_change_pct": "p1np_change_pct",
    **{f"{site}_bmd_change_pct": f"{site}_bmd_change_pct" for site in BMD_SITES},
}
PREDICTION_PERCENTILES = (2.5, 97.5)
#: Turnover markers the model gives only as % change (its cells have no absolute scale): their
#: change series and the series of their absolute level when a trial publishes a baseline.
MARKER_SERIES = {"ctx": ("ctx_change_pct", "ctx_ng_ml"), "p1np": ("p1np_change_pct", "p1np_ng_ml")}


def add_published_levels(series: dict[str, NDArray[np.float64]],
                         baseline: Mapping[str, Distribution]) -> None:
    """Levels from an arm's published baseline (series of shape (N, T), column 0 = study start):

    - absolute CTX/P1NP (ng/mL): the published baseline mean times each person's simulated change;
    - SHBG (nmol/L): the published mean for everyone, and calculated free testosterone with it;
    - free testosterone (pg/mL): the published mean times each person's simulated change (the
      trial's own assay sets the level, the model the change).

    ``published_level_notes`` says so for each."""
    for marker, (change, level) in MARKER_SERIES.items():
        dist = baseline.get(marker)
        if dist is not None and dist.centre is not None:
            series[level] = dist.centre * (1.0 + series[change] / 100.0)
    shbg = baseline.get("shbg")
    total = series.get(LAB_SERIES["total_testosterone"])
    if shbg is not None and shbg.centre is not None and total is not None:
        series["shbg_nmol_l"] = np.full_like(total, shbg.centre)
        series["free_testosterone_pg_ml"] = free_testosterone_pg_ml(total, series["shbg_nmol_l"])
    free = baseline.get("free_testosterone")
    simulated = series.get("free_testosterone_pg_ml")
    if free is not None and free.centre is not None and simulated is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            series["free_testosterone_pg_ml"] = free.centre * simulated / simulated[..., :1]


def published_level_notes(baseline: Mapping[str, Distribution]) -> list[str]:
    """The assumption behind each level ``add_published_levels`` adds."""
    notes = [f"{marker} baseline {baseline[marker].centre:g} ng/mL (the published mean) for everyone"
             for marker in MARKER_SERIES
             if marker in baseline and baseline[marker].centre is not None]
    if "shbg" in baseline and baseline["shbg"].centre is not None:
        notes.append(f"SHBG {baseline['shbg'].centre:g} nmol/L (the published mean) for everyone, "
                     "unchanged on treatment")
    if "free_testosterone" in baseline and baseline["free_testosterone"].centre is not None:
        notes.append(f"free testosterone baseline {baseline['free_testosterone'].centre:g} pg/mL "
                     "(the published mean) times each person's simulated change")
    return notes


def not_simulated_note(quantities: Iterable[str]) -> str:
    """Name the quantities the model has no prediction for (sorted, once each), with the hint
    that absolute CTX and P1NP need a published baseline when one of them is among them."""
    names = sorted(set(quantities))
    hint = (" (absolute CTX and P1NP need the trial's published baseline)"
            if "ctx" in names or "p1np" in names else "")
    return f"{', '.join(names)}{hint}"


#: Spacing of the points over a hormone's reading window (days): every 6 h, as
#: ``averaging.WINDOW_POINTS`` space them over ``simulate``'s weekly window (an injection's peak is
#: sharp; daily points misread a weekly mean by about 2 %).
READING_STEP_D = SUMMARY_WINDOW_D / (WINDOW_POINTS - 1)


def reading_window_d(regimens: Sequence[Regimen], at_d: float) -> float:
    """Days before ``at_d`` a hormone level is averaged over (0: read at ``at_d`` itself): the
    dosing cycle of the sex-hormone regimens in force at ``at_d`` (``averaging.dosing_cycle_d``),
    unless ``at_d`` falls within the first cycle after study start or after such a regimen
    started or stopped (the time since that change is the file's own; the window would mix the
    courses before and after it)."""
    cycle = dosing_cycle_d(regimens, at_d)
    if cycle <= 0.0:
        return 0.0
    changes = [t for r in regimens if r.drug in SEX_HORMONE_DRUGS
               for t in (r.start_d, r.stop_d) if t is not None and t < at_d]
    return 0.0 if at_d - cycle <= max([0.0, *changes]) + 1e-9 else cycle


def reading_points(regimens: Sequence[Regimen], at_d: float) -> NDArray[np.float64]:
    """The output times a hormone's reading at ``at_d`` averages over (every ``READING_STEP_D``
    across ``reading_window_d``, ends included); none when it is read at the time."""
    window = reading_window_d(regimens, at_d)
    if window <= 0.0:
        return np.empty(0)
    return np.linspace(at_d - window, at_d, int(np.ceil(window / READING_STEP_D - 1e-9)) + 1)


def is_hormone_level(quantity: str) -> bool:
    """True for an endpoint read off a hormone series (level or change of one)."""
    return LAB_SERIES.get(quantity.removesuffix("_change_pct"), "") in HORMONE_SERIES


def reading_times(endpoints: Iterable[Endpoint],
                  arm_regimens: Mapping[str, Sequence[Regimen]]) -> NDArray[np.float64]:
    """Output times the hormone endpoints' readings need besides ``at`` and ``from`` (sorted):
    the points of each window, for each arm in ``arm_regimens`` (arm id → its regimens with
    the trial's background therapy) that an endpoint is evaluated on (its own arms; every arm
    when an endpoint names none, as a virtual trial's columns do)."""
    found: list[NDArray[np.float64]] = [np.empty(0)]
    for endpoint in endpoints:
        if not is_hormone_level(endpoint.quantity):
            continue
        arms = [a for a in (endpoint.arms if endpoint.arm or endpoint.contrast else arm_regimens)
                if a in arm_regimens]
        times = (endpoint.at_d, endpoint.from_d) if endpoint.quantity.endswith("_change_pct") \
            else (endpoint.at_d,)
        found += [reading_points(arm_regimens[a], t) for a in arms for t in times]
    return np.unique(np.concatenate(found))


def extra_times(grid_d: NDArray[np.float64], points_d: NDArray[np.float64]) -> NDArray[np.float64]:
    """The points of ``points_d`` not already on ``grid_d`` (nor within a microsecond-scale 1e-6 d
    of one, which would only make the solver take a needless tiny step)."""
    if points_d.size == 0 or grid_d.size == 0:
        return points_d
    nearest = np.abs(points_d[:, None] - grid_d[None, :]).min(axis=1)
    result: NDArray[np.float64] = points_d[nearest > 1e-6]
    return result


def duration_label(days: float) -> str:
    """Days in the largest trial-file unit that holds them whole (y, mo, wk, else d)."""
    for unit, length in (("y", 365.25), ("mo", 30.4375), ("wk", 7.0)):
        count = days / length
        if abs(count - round(count)) < 1e-6 and round(count) != 0:
            return f"{round(count):g} {unit}"
    return f"{days:g} d"


@dataclass
class ArmSimulation:
    """Simulated series of one arm: each (people, times); ages at study start; sex."""

    arm_id: str
    times_d: NDArray[np.float64]
    series: dict[str, NDArray[np.float64]]
    ages_y: NDArray[np.float64]
    sex: str
    baseline_hip_bmd_g_cm2: NDArray[np.float64] | None = None
    prior_fracture: NDArray[np.bool_] | None = None
    assumptions: tuple[str, ...] = ()
    #: The arm's regimens with the trial's background therapy: they set each hormone reading's
    #: window (``reading_window_d``); none: every level is read at its time.
    regimens: tuple[Regimen, ...] = ()
    #: Times on ``times_d`` that are there only for the hormone windows (``reading_times``):
    #: left out of the fracture hazard's grid, which is then the same with or without them.
    reading_times_d: NDArray[np.float64] | None = None

    @property
    def n(self) -> int:
        return int(self.ages_y.shape[0])

    def at(self, name: str, time_d: float) -> NDArray[np.float64]:
        """Per-person value of a series at ``time_d`` (linear interpolation in time)."""
        values = self.series[name]
        idx = int(np.searchsorted(self.times_d, time_d))
        if idx < len(self.times_d) and math.isclose(self.times_d[idx], time_d, abs_tol=1e-9):
            return values[:, idx]
        if idx == 0 or idx >= len(self.times_d):
            raise ValueError(f"time {time_d} d outside the simulated grid")
        t0, t1 = self.times_d[idx - 1], self.times_d[idx]
        w = (time_d - t0) / (t1 - t0)
        result: NDArray[np.float64] = (1.0 - w) * values[:, idx - 1] + w * values[:, idx]
        return result


    def reading(self, name: str, time_d: float) -> NDArray[np.float64]:
        """Per-person reading of series ``name`` at ``time_d``: a hormone's mean over its
        ``reading_window_d`` (``averaging.window_mean`` per person, on ``times_d``, which should
        hold the window's ``reading_points``), anything else ``at`` the time."""
        window = reading_window_d(self.regimens, time_d) if name in HORMONE_SERIES else 0.0
        if window <= 0.0:
            return self.at(name, time_d)
        return np.array([window_mean(self.times_d, row, time_d, window)
                         for row in self.series[name]], dtype=np.float64)


def _relative_change_pct(start: NDArray[np.float64], end: NDArray[np.float64]
                         ) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        result: NDArray[np.float64] = 100.0 * (end - start) / start
    return result


def person_values(endpoint: Endpoint, sim: ArmSimulation,
                  fracture: FractureParameters | None = None) -> NDArray[np.float64]:
    """Each virtual person's value of ``endpoint.quantity`` (NaN where the model has no series)."""
    q, t0, t1 = endpoint.quantity, endpoint.from_d, endpoint.at_d
    nan = np.full(sim.n, np.nan)
    if q == FRACTURE_QUANTITY:
        hip = next((sim.series[s] for s in ("total_hip_bmd_change_pct", "femoral_neck_bmd_change_pct",
                                             "lumbar_spine_bmd_change_pct") if s in sim.series), None)
        if hip is None:
            return nan
        mask = (sim.times_d >= t0 - 1e-9) & (sim.times_d <= t1 + 1e-9)
        if sim.reading_times_d is not None and sim.reading_times_d.size:
            mask &= ~np.isin(sim.times_d, sim.reading_times_d)
        times = sim.times_d[mask]
        if times.size < 2 or not math.isclose(times[0], t0) or not math.isclose(times[-1], t1):
            raise ValueError("fracture endpoints need 'from' and 'at' on the simulated grid")
        if fracture is None:  # the packaged fitted set, as ``osteotwin validate`` uses
            from osteotwin.calibrate.fitted import load_fracture_parameters

            fracture = load_fracture_parameters()
        ages = sim.ages_y + t0 / 365.25
        hip_from_start = hip[:, mask]
        ctx = sim.series.get("ctx_change_pct")
        est = sim.series.get("bone_estrogen_signal")
        # the hazard depends on the BMD, CTX and EST changes since study start, so keep them
        cumulative = cumulative_incidence_pct(times, ages, sim.sex, hip_from_start, fracture,
                                              baseline_hip_bmd_g_cm2=sim.baseline_hip_bmd_g_cm2,
                                              prior_fracture=sim.prior_fracture,
                                              ctx_change_pct=None if ctx is None else ctx[:, mask],
                                              estrogen_signal=None if est is None else est[:, mask])
        return cumulative[:, -1]
    if q in CHANGE_SERIES:
        name = CHANGE_SERIES[q]
        if name not in sim.series:
            return nan
        end = sim.at(name, t1)
        if t0 == 0.0:
            return end
        start = sim.at(name, t0)
        return _relative_change_pct(100.0 + start, 100.0 + end)
    if q.endswith("_change_pct"):
        lab = q.removesuffix("_change_pct")
        name = LAB_SERIES.get(lab, "")
        if name not in sim.series:
            return nan
        return _relative_change_pct(sim.reading(name, t0), sim.reading(name, t1))
    name = LAB_SERIES.get(q, "")
    if name not in sim.series:
        return nan
    return sim.reading(name, t1)


@dataclass
class EndpointResult:
    """Predicted vs published for one endpoint (JSON shape of spec/cli.md, plus a few fields)."""

    trial: str
    arm: str | None
    contrast: tuple[str, str] | None
    quantity: str
    at: str
    from_d: float
    observed: float
    unit: str | None
    interval: tuple[float, float]
    basis: str
    scored: bool
    predicted: float
    prediction_interval: tuple[float, float]
    passed: bool | None
    n_virtual: int
    source: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Monte Carlo standard error of ``predicted`` (``pass_rule.standard_error``; NaN if none).
    se: float = math.nan
    #: The verdict may turn with the sampling (``pass_rule.is_borderline``); None: no verdict.
    borderline: bool | None = None
    #: Why ``passed`` is None for an endpoint with a published interval (e.g. too few people).
    pass_reason: str | None = None

    @property
    def when(self) -> str:
        """``at``, or ``from → at`` for a change measured from a later time than study start."""
        return self.at if self.from_d == 0 else f"{duration_label(self.from_d)} → {self.at}"

    def to_json(self) -> dict[str, Any]:
        def r(x: float) -> float | None:
            return None if not math.isfinite(x) else round(float(x), 4)

        return {
            "trial": self.trial,
            "arm": self.arm,
            "contrast": list(self.contrast) if self.contrast else None,
            "quantity": self.quantity,
            "at": self.at,
            "from_d": self.from_d,
            "observed": self.observed,
            "unit": self.unit,
            "interval": [r(self.interval[0]), r(self.interval[1])],
            "interval_basis": self.basis,
            "predicted": r(self.predicted),
            "prediction_interval": [r(self.prediction_interval[0]), r(self.prediction_interval[1])],
            "pass": self.passed,
            "scored": self.scored,
            "n_virtual": self.n_virtual,
            "source": self.source,
            "notes": self.notes,
            "se": r(self.se),
            "borderline": self.borderline,
            "pass_reason": self.pass_reason,
        }

    def unscored_below_min_n(self) -> EndpointResult:
        """This result without a verdict when its virtual arms are smaller than the pass rule
        needs (``pass_rule.small_n_reason``), as ``osteotwin trial`` reports them; else itself."""
        reason = small_n_reason(self.n_virtual)
        if reason is None or not self.scored:
            return self
        return replace(self, scored=False, passed=None, borderline=None, pass_reason=reason)


def evaluate_endpoint(trial: Trial, endpoint: Endpoint, sims: dict[str, ArmSimulation],
                      fracture: FractureParameters | None = None) -> EndpointResult:
    """Mean, its Monte Carlo standard error, 2.5-97.5 percentile interval and pass/fail (flagged
    borderline where the mean's sampling error reaches an interval edge) of one endpoint, at any
    arm size (calibration scores its small anchors so); ``run_validation`` withholds the verdict
    below the pass rule's minimum (``EndpointResult.unscored_below_min_n``)."""
    arm_sizes = {arm.id: arm.n for arm in trial.arms}
    values = [person_values(endpoint, sims[a], fracture) for a in endpoint.arms]
    notes: list[str] = []
    if endpoint.contrast is not None:
        first, second = values
        mean = float(np.nanmean(first) - np.nanmean(second)) if _any_finite(first, second) else math.nan
        paired = first.shape == second.shape
        spread = first - second if paired else np.array([mean])
        se = (standard_error(spread) if paired  # the same people in both arms
              else math.hypot(standard_error(first), standard_error(second)))
    else:
        spread = values[0]
        mean = float(np.nanmean(spread)) if _any_finite(spread) else math.nan
        se = standard_error(spread)
    if not math.isfinite(mean):
        notes.append("the model has no series for this quantity")
    finite = spread[np.isfinite(spread)]
    low, high = ((float(np.percentile(finite, PREDICTION_PERCENTILES[0])),
                  float(np.percentile(finite, PREDICTION_PERCENTILES[1])))
                 if finite.size else (math.nan, math.nan))
    interval = scoring_interval(endpoint, arm_sizes)
    if not interval.scored:
        notes.append("published SD with unknown arm size: reported, not scored")
    passed = interval.contains(mean) if interval.scored else None
    return EndpointResult(
        trial=trial.id, arm=endpoint.arm, contrast=endpoint.contrast, quantity=endpoint.quantity,
        at=endpoint.at_text, from_d=endpoint.from_d, observed=endpoint.value, unit=endpoint.unit,
        interval=(interval.low, interval.high), basis=interval.basis, scored=interval.scored,
        predicted=mean, prediction_interval=(low, high), passed=passed,
        n_virtual=min(sims[a].n for a in endpoint.arms), source=endpoint.source, notes=notes,
        se=se, borderline=is_borderline(interval, mean, se),
    )


def _any_finite(*arrays: NDArray[np.float64]) -> bool:
    return all(bool(np.isfinite(a).any()) for a in arrays)
