"""Batched CPU path (steady states + ROS34PW2 over all people) against the single-person API."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import ModelParameters, sample_parameters
from osteotwin.scale.cpu_backend import CpuSimulator
from osteotwin.scale.equilibrium import equilibrate
from osteotwin.simulate.scenario import Regimen, Scenario, Subject
from osteotwin.simulate.single import simulate, start_time, steady_state, subject_inputs

#: Agreement we promise between the batch backends and the reference (scipy Radau, rtol 1e-8)
#: path: BMD and marker changes in percentage points, hormones relative.
TOLERANCE_PP = {"lumbar_spine_bmd_change_pct": 0.05, "total_hip_bmd_change_pct": 0.05,
                "femoral_neck_bmd_change_pct": 0.05, "ctx_change_pct": 0.5,
                "p1np_change_pct": 0.5}
TOLERANCE_REL = {"estradiol_pg_ml": 0.005, "total_testosterone_ng_dl": 0.005, "lh_iu_l": 0.005}


def _people(n: int, seed: int) -> tuple[list[Scenario], np.ndarray]:
    rng = np.random.default_rng(seed)
    scenarios = []
    for i in range(n):
        if i % 2 == 0:
            subject = Subject(sex="female", age_y=float(rng.uniform(52, 78)),
                              weight_kg=float(rng.uniform(55, 100)),
                              years_since_menopause=float(rng.uniform(2, 20)), breast_cancer=True)
            regimens: tuple[Regimen, ...] = (
                Regimen("letrozole", dose_mg=2.5, every_d=1.0, start_d=0.0),)
        else:
            subject = Subject(sex="male", age_y=float(rng.uniform(50, 80)),
                              weight_kg=float(rng.uniform(65, 120)))
            regimens = (Regimen("testosterone_cypionate", dose_mg=100.0, every_d=7.0,
                                route="intramuscular", start_d=0.0),
                        Regimen("anastrozole", dose_mg=0.5, every_d=3.5, start_d=30.0))
        scenarios.append(Scenario(subject, regimens, years=0.5))
    return scenarios, sample_parameters(n, rng)


def test_batched_steady_states_match_steady_state() -> None:
    scenarios, params = _people(4, seed=11)
    frozen, y_start, expected = [], [], []
    for scenario, row in zip(scenarios, params, strict=True):
        pm = ModelParameters(row)
        u = subject_inputs(scenario.subject, pm)
        u[S.U_CLOCK_FROZEN], u[S.U_CLOCK_T] = 1.0, start_time(scenario)
        y = S.reference_state()
        y[S.GUT_CA] = u[S.U_CA] / pm["gut_transit_d"]
        frozen.append(u)
        y_start.append(y)
        expected.append(steady_state(scenario.subject, pm, start_time(scenario)).state)
    found, iterations = equilibrate(np.array(y_start), params, np.array(frozen))
    assert np.all(iterations > 0)
    keep = [i for i in range(S.N_STATES) if i != S.CA_BONE]  # bone calcium: a pure integrator
    scale = S.error_scale()[keep]
    error = np.abs(found - np.array(expected))[:, keep] / np.maximum(np.abs(found[:, keep]), scale)
    assert error.max() < 1e-8


@pytest.mark.parametrize("interpolated", [False, True])
def test_cpu_backend_agrees_with_the_reference_path(interpolated: bool) -> None:
    """Every output stepped onto, or only t = 0 and the end with the monthly grid between them
    read off the solver's interpolant (as trial runs do between endpoint times)."""
    scenarios, params = _people(4, seed=5)
    times = np.arange(0.0, 0.5 * 365.25 + 1.0, 30.4375)
    exact = np.array([0.0, times[-1]]) if interpolated else None
    series = CpuSimulator(workers=2).simulate(scenarios, params, times, exact_d=exact)
    for i, scenario in enumerate(scenarios):
        ref = simulate(scenario, params=ModelParameters(params[i]), method="reference",
                       times_d=times)
        for name, tol in TOLERANCE_PP.items():
            assert np.max(np.abs(series[name][i] - ref.series[name])) < tol, (i, name)
        for name, tol in TOLERANCE_REL.items():
            np.testing.assert_allclose(series[name][i], ref.series[name], rtol=tol,
                                       err_msg=f"{i} {name}")


@pytest.mark.parametrize("workers", [1, 2])
def test_results_do_not_depend_on_thread_count(workers: int) -> None:
    scenarios, params = _people(2, seed=3)
    times = np.array([0.0, 90.0, 182.625])
    one = CpuSimulator(workers=1).simulate(scenarios, params, times)
    other = CpuSimulator(workers=workers).simulate(scenarios, params, times)
    for name in one:
        np.testing.assert_array_equal(one[name], other[name])
