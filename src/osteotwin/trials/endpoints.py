"""Endpoint evaluation: simulated arm populations → per-person endpoint values → mean and interval.

Quantities (spec/trial-file.md): ``<lab>`` (absolute level at ``at``), ``<lab>_change_pct`` and
``<site>_bmd_change_pct`` (change from the value at ``from``, default study start, to ``at``),
``fracture_incidence_pct`` (cumulative incidence from ``from`` to ``at``, from the fracture hazard
model in ``osteotwin.physiology.fracture``, driven by each person's total-hip BMD and serum CTX
changes since study start; with the packaged fitted fracture parameters unless others are given, so
the batch backends, which call ``person_values`` without them, score as ``osteotwin validate``
does). A contrast is arm minus arm; because arms of one trial share their random numbers, its
prediction interval is taken over per-person differences.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.physiology.binding import free_testosterone_pg_ml
from osteotwin.physiology.fracture import FractureParameters, cumulative_incidence_pct
from osteotwin.trials.model import BMD_SITES, FRACTURE_QUANTITY, Distribution, Endpoint, Trial
from osteotwin.trials.pass_rule import scoring_interval

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
        return _relative_change_pct(sim.at(name, t0), sim.at(name, t1))
    name = LAB_SERIES.get(q, "")
    if name not in sim.series:
        return nan
    return sim.at(name, t1)


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
        }


def evaluate_endpoint(trial: Trial, endpoint: Endpoint, sims: dict[str, ArmSimulation],
                      fracture: FractureParameters | None = None) -> EndpointResult:
    """Mean, 2.5-97.5 percentile interval and pass/fail of one endpoint."""
    arm_sizes = {arm.id: arm.n for arm in trial.arms}
    values = [person_values(endpoint, sims[a], fracture) for a in endpoint.arms]
    notes: list[str] = []
    if endpoint.contrast is not None:
        first, second = values
        mean = float(np.nanmean(first) - np.nanmean(second)) if _any_finite(first, second) else math.nan
        spread = first - second if first.shape == second.shape else np.array([mean])
    else:
        spread = values[0]
        mean = float(np.nanmean(spread)) if _any_finite(spread) else math.nan
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
    )


def _any_finite(*arrays: NDArray[np.float64]) -> bool:
    return all(bool(np.isfinite(a).any()) for a in arrays)
