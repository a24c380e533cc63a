"""Virtual people as solver arrays: individual inputs, steady states, dosing segments, outputs.

Uses the simulate API's own building blocks (``subject_inputs``, ``start_time``,
``build_schedule`` from ``osteotwin.simulate``), so a batch solves exactly the problems that
``simulate(scenario, method="fast")`` solves, one row per person; the steady states come from the
batched solver in ``equilibrium.py``. ``series_from_states`` turns solver states into the named
series of ``osteotwin.simulate.single.outputs`` for all people at once (tested to agree with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

if TYPE_CHECKING:
    from osteotwin.simulate.scenario import Scenario


@dataclass
class Batch:
    """Solver arrays for N people; K = most segments of anyone (rows padded)."""

    scenarios: Sequence[Scenario]
    times_d: NDArray[np.float64]      # (T,) reported times, days from t = 0 (includes 0)
    t_out: NDArray[np.float64]        # (N, T + 1): each person's start, then ``times_d``
    p: NDArray[np.float64]            # (N, k)
    y0: NDArray[np.float64]           # (N, n) steady state at the start
    seg_t: NDArray[np.float64]        # (N, K + 1) segment boundaries, padded with +inf
    seg_u: NDArray[np.float64]        # (N, K, q) inputs per segment (padded by repetition)
    seg_bolus: NDArray[np.float64]    # (N, K, n) state increments at each segment start
    equilibrium_iterations: NDArray[np.int64]

    @property
    def male(self) -> bool:
        """Sex of the batch (trial arms are single-sex; mixed batches are refused by the JAX path)."""
        sexes = {s.subject.sex for s in self.scenarios}
        if len(sexes) != 1:
            raise ValueError("a JAX batch must be of one sex")
        return sexes.pop() == "male"

    def breaks(self) -> NDArray[np.float64]:
        """(N, K - 1) inner boundaries (where inputs switch), +inf padded (at least one column)."""
        inner = self.seg_t[:, 1:-1]
        return inner if inner.shape[1] else np.full((inner.shape[0], 1), np.inf)

    def impulses(self) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
        """Boluses as (time, state index, amount) per person, sorted, +inf padded."""
        n_people = self.seg_bolus.shape[0]
        person, segment, state = np.nonzero(self.seg_bolus)  # row-major: by person, then time
        counts = np.bincount(person, minlength=n_people)
        width = max(1, int(counts.max(initial=0)))
        column = np.arange(person.size) - np.repeat(np.cumsum(counts) - counts, counts)
        times = np.full((n_people, width), np.inf)
        index = np.zeros((n_people, width), dtype=np.int64)
        amount = np.zeros((n_people, width))
        times[person, column] = self.seg_t[person, segment]
        index[person, column] = state
        amount[person, column] = self.seg_bolus[person, segment, state]
        return times, index, amount


def prepare_batch(scenarios: Sequence[Scenario], params: NDArray[np.float64] | None,
                  times_d: NDArray[np.float64]) -> Batch:
    """Inputs, dosing segments and steady states of every person (see module docstring)."""
    from osteotwin.physiology import states as S
    from osteotwin.physiology.parameters import ModelParameters, current_parameters
    from osteotwin.scale.equilibrium import equilibrate
    from osteotwin.simulate.dosing import build_schedule
    from osteotwin.simulate.single import start_time, steady_state, subject_inputs

    n_people = len(scenarios)
    if params is None:
        params = np.repeat(current_parameters().values[None, :], n_people, axis=0)
    times = np.asarray(times_d, dtype=np.float64)
    starts = np.empty(n_people)
    frozen = np.empty((n_people, S.N_INPUTS))
    y_start = np.repeat(S.reference_state()[None, :], n_people, axis=0)
    schedules = []
    for i, scenario in enumerate(scenarios):
        scenario.validate()
        pm = ModelParameters(params[i])
        u = subject_inputs(scenario.subject, pm)
        starts[i] = start_time(scenario)
        schedules.append(build_schedule(scenario.regimens, u, pm, starts[i], scenario.horizon_d))
        frozen[i] = u
        frozen[i, S.U_CLOCK_FROZEN] = 1.0
        frozen[i, S.U_CLOCK_T] = starts[i]
        y_start[i, S.GUT_CA] = u[S.U_CA] / pm["gut_transit_d"]
    y0, iterations = equilibrate(y_start, params, frozen)
    for failed in np.flatnonzero(iterations < 0):  # rare: the integrate-then-polish path
        y0[failed] = steady_state(scenarios[int(failed)].subject,
                                  ModelParameters(params[failed]), float(starts[failed])).state
    k_max = max(s.inputs.shape[0] for s in schedules)
    seg_t = np.full((n_people, k_max + 1), np.inf)
    seg_u = np.empty((n_people, k_max, S.N_INPUTS))
    seg_bolus = np.zeros((n_people, k_max, S.N_STATES))
    for i, schedule in enumerate(schedules):
        k = schedule.inputs.shape[0]
        seg_t[i, :k + 1] = schedule.times_d
        seg_u[i, :k] = schedule.inputs
        seg_u[i, k:] = schedule.inputs[-1]
        seg_bolus[i, :k] = schedule.boluses
    t_out = np.concatenate([starts[:, None], np.repeat(times[None, :], n_people, axis=0)], axis=1)
    return Batch(scenarios, times, t_out, np.ascontiguousarray(params), y0, seg_t, seg_u,
                 seg_bolus, iterations)


@njit(cache=True)
def _segment_of(t: float, t_start: float, seg_t: Any) -> int:
    """Segment whose inputs apply to an output at ``t`` (the earlier one at a boundary)."""
    if t <= t_start:
        return 0
    k = 0
    while k + 2 < seg_t.shape[0] and seg_t[k + 1] < t:
        k += 1
    return k


def hormones(t: float, y: Any, p: Any, u: Any) -> Any:  # pragma: no cover - rebound below
    raise NotImplementedError


def _hormone_series(times: Any, t_start: Any, states: Any, p: Any, seg_t: Any,
                    seg_u: Any, e2: Any, tt: Any, est: Any) -> None:
    for i in prange(states.shape[0]):
        for j in range(times.shape[0]):
            k = _segment_of(times[j], t_start[i], seg_t[i])
            e2[i, j], tt[i, j], _, est[i, j] = hormones(times[j], states[i, j], p[i], seg_u[i, k])


@lru_cache(maxsize=1)
def _hormone_kernel() -> Any:
    from osteotwin.physiology.endocrine import hormones as model_hormones
    from osteotwin.scale.kernels import bind, model_tag

    return bind(_hormone_series, {"hormones": model_hormones, "_segment_of": _segment_of},
                tag=model_tag(), parallel=True)


def series_from_states(batch: Batch, states: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Named series (N, T) from solver states (N, T + 1, n) (first column = each start)."""
    from osteotwin.physiology import states as S
    from osteotwin.physiology.binding import binding_series
    from osteotwin.simulate.single import CA_MG_DL_PER_MM, PTH_PG_ML_PER_PM, SITE_STATE

    y = states[:, 1:, :]  # a view: no copy of every state at every time
    n_people, n_times = y.shape[0], y.shape[1]
    e2 = np.empty((n_people, n_times))
    tt = np.empty((n_people, n_times))
    est = np.empty((n_people, n_times))
    _hormone_kernel()(batch.times_d, batch.t_out[:, 0], y, batch.p, batch.seg_t,
                    batch.seg_u, e2, tt, est)
    i0 = int(np.argmin(np.abs(batch.times_d)))
    ob = y[:, :, S.OB_FAST] + y[:, :, S.OB_SLOW]

    def change(values: NDArray[np.float64]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = 100.0 * (values / values[:, i0:i0 + 1] - 1.0)
        return result

    series = {
        "estradiol_pg_ml": e2,
        "total_testosterone_ng_dl": tt,
        "lh_iu_l": y[:, :, S.LH].copy(),
        "ctx_change_pct": change(y[:, :, S.OC]),
        "p1np_change_pct": change(ob),
        "vitamin_d_25oh_ng_ml": y[:, :, S.VITD25].copy(),
        "pth_pg_ml": y[:, :, S.PTH] / S.V1_L * PTH_PG_ML_PER_PM,
        "serum_calcium_mg_dl": y[:, :, S.CA_P] / S.V1_L * CA_MG_DL_PER_MM,
        "bone_estrogen_signal": est,
        "sclerostin_relative": y[:, :, S.SCL].copy(),
    }
    subjects = [s.subject for s in batch.scenarios]
    series.update(binding_series(tt, [s.sex == "male" for s in subjects],
                                 [s.age_y for s in subjects], [s.shbg_nmol_l for s in subjects]))
    for site, index in SITE_STATE.items():
        series[f"{site}_bmd_change_pct"] = change(y[:, :, index])
    return series
