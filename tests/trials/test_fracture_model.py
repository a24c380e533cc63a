"""Fracture hazard model: published gradients are reproduced, incidence behaves."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.physiology.fracture import FractureParameters, cumulative_incidence_pct

YEARS = np.linspace(0.0, 5 * 365.25, 61)


def _incidence(change_pct: float, *, age: float = 65.0, sex: str = "female",
               prior: bool = False, params: FractureParameters | None = None) -> float:
    hip = np.full((1, YEARS.size), change_pct)
    result = cumulative_incidence_pct(YEARS, np.array([age]), sex, hip, params,
                                      prior_fracture=np.array([prior]))
    return float(result[0, -1])


def test_constant_hazard_matches_closed_form() -> None:
    params = FractureParameters(age_log_slope_per_y=0.0)
    expected = 100 * (1 - np.exp(-params.women_rate_at_65_per_y * 5))
    assert _incidence(0.0, params=params) == pytest.approx(expected, rel=1e-9)


def test_one_sd_of_bmd_loss_multiplies_hazard_by_relative_risk() -> None:
    params = FractureParameters(age_log_slope_per_y=0.0)
    one_sd_pct = -100 * params.bmd_sd_g_cm2 / params.reference_total_hip_bmd_g_cm2
    hazard_ratio = (np.log(1 - _incidence(one_sd_pct, params=params) / 100)
                    / np.log(1 - _incidence(0.0, params=params) / 100))
    assert hazard_ratio == pytest.approx(params.rr_per_sd_bmd_decrease, rel=1e-9)


def test_incidence_rises_with_age_loss_and_prior_fracture_and_is_monotone_in_time() -> None:
    base = _incidence(0.0)
    assert _incidence(0.0, age=75) > base
    assert _incidence(-5.0) > base > _incidence(+5.0)
    assert _incidence(0.0, prior=True) > base
    assert _incidence(0.0, sex="male") < base
    curve = cumulative_incidence_pct(YEARS, np.array([70.0]), "female", np.zeros((1, YEARS.size)))
    assert np.all(np.diff(curve[0]) > 0) and curve[0, 0] == 0.0
