"""Stage 2 of the calibration (fracture model) on hand-made BMD trajectories: bounded and effective."""

from __future__ import annotations

import numpy as np

from osteotwin.calibrate.fit import fit_fracture, score_all
from osteotwin.calibrate.objective import pass_count
from osteotwin.physiology.fracture import FRACTURE_BOUNDS, FractureParameters
from osteotwin.trials import parse_trial_document
from osteotwin.trials.endpoints import ArmSimulation
from osteotwin.trials.validation import TrialSimulation

TIMES = np.linspace(0.0, 3 * 365.25, 37)


def _simulation(value_pct: float, trial_id: str = "f", age_y: float = 65.0) -> TrialSimulation:
    trial = parse_trial_document(
        {
            "version": 1,
            "id": trial_id,
            "citation": "c",
            "population": {"sex": "female"},
            "arms": [{"id": "a", "n": 1000, "regimens": []}],
            "endpoints": [
                {"arm": "a", "quantity": "fracture_incidence_pct", "at": "3 y", "value": value_pct}
            ],
        }
    )
    sim = ArmSimulation(
        arm_id="a",
        times_d=TIMES,
        series={"total_hip_bmd_change_pct": np.zeros((50, TIMES.size))},
        ages_y=np.full(50, age_y),
        sex="female",
    )
    return TrialSimulation(trial=trial, arms={"a": sim}, assumptions=[])


def test_fit_reaches_a_reachable_incidence_within_bounds() -> None:
    simulations = [_simulation(9.0)]  # 3.1 %/y at 65: inside the rate bounds
    assert pass_count(score_all(simulations, FractureParameters())) == (0, 1)
    fitted = fit_fracture(simulations)
    assert pass_count(score_all(simulations, fitted)) == (1, 1)
    for name, (low, high) in FRACTURE_BOUNDS.items():
        assert low <= getattr(fitted, name) <= high


def test_unreachable_incidence_stops_at_the_bound() -> None:
    fitted = fit_fracture([_simulation(40.0)])
    assert np.isclose(fitted.women_rate_at_65_per_y, FRACTURE_BOUNDS["women_rate_at_65_per_y"][1])


def test_populations_of_several_seeds_are_fitted_together() -> None:
    """One endpoint scored on two virtual populations (as two seeds draw them: here one is two
    years older): the fit passes it on both, which a fit to the younger alone need not do."""
    younger, older = _simulation(9.0), _simulation(9.0, age_y=67.0)
    steep = FractureParameters(women_rate_at_65_per_y=0.0285, age_log_slope_per_y=0.08)
    assert pass_count(score_all([younger], steep)) == (1, 1)
    assert pass_count(score_all([older], steep)) == (0, 1)
    fitted = fit_fracture([younger, older])
    assert pass_count(score_all([younger, older], fitted)) == (2, 2)
