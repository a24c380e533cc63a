"""Fracture hazard model: published gradients are reproduced, incidence behaves (BMD and turnover)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from osteotwin.physiology.fracture import FractureParameters, cumulative_incidence_pct

YEARS = np.linspace(0.0, 5 * 365.25, 61)


def _no_death(**values: float) -> FractureParameters:
    """Parameters without competing mortality (hazard ratios then read off 1 − exp(−H))."""
    return replace(FractureParameters(**values), women_mortality_at_65_per_y=0.0,
                   men_mortality_at_65_per_y=0.0)


def _incidence(
    change_pct: float,
    *,
    age: float = 65.0,
    sex: str = "female",
    prior: bool = False,
    params: FractureParameters | None = None,
    ctx_pct: float | None = None,
) -> float:
    hip = np.full((1, YEARS.size), change_pct)
    ctx = None if ctx_pct is None else np.full((1, YEARS.size), ctx_pct)
    result = cumulative_incidence_pct(
        YEARS,
        np.array([age]),
        sex,
        hip,
        params,
        prior_fracture=np.array([prior]),
        ctx_change_pct=ctx,
    )
    return float(result[0, -1])


def _hazard_ratio(incidence_pct: float, reference_pct: float) -> float:
    return float(np.log(1 - incidence_pct / 100) / np.log(1 - reference_pct / 100))


def test_constant_hazard_matches_closed_form() -> None:
    params = _no_death(age_log_slope_per_y=0.0)
    expected = 100 * (1 - np.exp(-params.women_rate_at_65_per_y * 5))
    assert _incidence(0.0, params=params) == pytest.approx(expected, rel=1e-9)


def test_one_sd_of_bmd_loss_multiplies_hazard_by_relative_risk() -> None:
    params = _no_death(age_log_slope_per_y=0.0)
    one_sd_pct = -100 * params.bmd_sd_g_cm2 / params.reference_total_hip_bmd_g_cm2
    hazard_ratio = np.log(1 - _incidence(one_sd_pct, params=params) / 100) / np.log(
        1 - _incidence(0.0, params=params) / 100
    )
    assert hazard_ratio == pytest.approx(params.rr_per_sd_bmd_decrease, rel=1e-9)


def test_incidence_rises_with_age_loss_and_prior_fracture_and_is_monotone_in_time() -> None:
    base = _incidence(0.0)
    assert _incidence(0.0, age=75) > base
    assert _incidence(-5.0) > base > _incidence(+5.0)
    assert _incidence(0.0, prior=True) > base
    assert _incidence(0.0, sex="male") < base
    curve = cumulative_incidence_pct(YEARS, np.array([70.0]), "female", np.zeros((1, YEARS.size)))
    assert np.all(np.diff(curve[0]) > 0) and curve[0, 0] == 0.0


def test_one_sd_rise_in_ln_ctx_multiplies_hazard_by_its_relative_risk() -> None:
    params = _no_death(age_log_slope_per_y=0.0, rr_per_sd_ctx_increase=1.3)
    one_sd_pct = 100 * (np.exp(params.ctx_log_sd) - 1)
    ratio = _hazard_ratio(
        _incidence(0.0, params=params, ctx_pct=one_sd_pct),
        _incidence(0.0, params=params, ctx_pct=0.0),
    )
    assert ratio == pytest.approx(1.3, rel=1e-9)
    half_pct = 100 * (np.exp(-0.5 * params.ctx_log_sd) - 1)
    ratio = _hazard_ratio(
        _incidence(0.0, params=params, ctx_pct=half_pct), _incidence(0.0, params=params)
    )
    assert ratio == pytest.approx(1.3**-0.5, rel=1e-9)


def test_no_turnover_effect_reduces_to_the_bmd_only_model() -> None:
    off = FractureParameters(rr_per_sd_ctx_increase=1.0)
    for hip_pct, ctx_pct in ((0.0, 40.0), (-5.0, -60.0), (3.0, 25.0)):
        assert _incidence(hip_pct, params=off, ctx_pct=ctx_pct) == pytest.approx(
            _incidence(hip_pct, params=off), rel=1e-12
        )
    # without a CTX series, or with CTX unchanged, turnover does not enter either
    assert _incidence(-4.0, ctx_pct=0.0) == pytest.approx(_incidence(-4.0), rel=1e-12)


def test_incidence_is_monotone_in_turnover_and_in_bmd_loss() -> None:
    ctx_levels = [-80.0, -40.0, 0.0, 30.0, 100.0]
    by_ctx = [_incidence(-2.0, ctx_pct=c) for c in ctx_levels]
    assert all(a < b for a, b in itertools.pairwise(by_ctx))
    bmd_levels = [6.0, 2.0, 0.0, -3.0, -8.0]
    by_bmd = [_incidence(b, ctx_pct=30.0) for b in bmd_levels]
    assert all(a < b for a, b in itertools.pairwise(by_bmd))


def test_turnover_and_bmd_effects_are_independent_factors() -> None:
    params = _no_death(age_log_slope_per_y=0.0)
    base = _incidence(0.0, params=params)
    both = _hazard_ratio(_incidence(-5.0, params=params, ctx_pct=35.0), base)
    bmd_only = _hazard_ratio(_incidence(-5.0, params=params), base)
    ctx_only = _hazard_ratio(_incidence(0.0, params=params, ctx_pct=35.0), base)
    assert both == pytest.approx(bmd_only * ctx_only, rel=1e-9)


def test_competing_death_matches_the_closed_form_for_constant_hazards() -> None:
    params = FractureParameters(age_log_slope_per_y=0.0, mortality_log_slope_per_y=0.0)
    h, mu = params.women_rate_at_65_per_y, params.women_mortality_at_65_per_y
    expected = 100 * h / (h + mu) * (1 - np.exp(-(h + mu) * 5))
    assert _incidence(0.0, params=params) == pytest.approx(expected, rel=1e-9)


def test_competing_death_lowers_incidence_more_for_older_people_and_longer_follow_up() -> None:
    with_death, without = FractureParameters(), _no_death()
    assert _incidence(0.0, params=with_death) < _incidence(0.0, params=without)
    loss_65 = 1 - _incidence(0.0, params=with_death) / _incidence(0.0, params=without)
    loss_80 = 1 - _incidence(0.0, age=80, params=with_death) / _incidence(0.0, age=80,
                                                                        params=without)
    assert 0.0 < loss_65 < loss_80 < 0.2
    curve = cumulative_incidence_pct(YEARS, np.array([70.0]), "male", np.zeros((1, YEARS.size)))
    free = cumulative_incidence_pct(YEARS, np.array([70.0]), "male", np.zeros((1, YEARS.size)),
                                    _no_death())
    shortfall = 1 - curve[0, 1:] / free[0, 1:]
    assert np.all(np.diff(shortfall) > 0)


def _incidence_with_signal(start: float, level: float, params: FractureParameters) -> float:
    """Incidence over 5 y for a bone estrogen signal that moves from ``start`` to ``level`` at once."""
    signal = np.full((1, YEARS.size), level)
    signal[0, 0] = start
    hip = np.zeros((1, YEARS.size))
    result = cumulative_incidence_pct(YEARS, np.array([65.0]), "female", hip, params,
                                      estrogen_signal=signal)
    return float(result[0, -1])


def test_estrogen_signal_term_is_asymmetric_near_the_floor_and_saturates() -> None:
    """A tamoxifen-like rise of the bone estrogen signal lowers the hazard by RR_est per 0.1; an
    AI-like fall from a postmenopausal level near the floor raises it less; hormone-therapy-like
    signals above the saturation protect no more than tamoxifen's; RR_est = 1 is no term."""
    params = _no_death(age_log_slope_per_y=0.0, rr_per_estrogen_signal_fall=1.2)
    untreated = _incidence_with_signal(0.15, 0.15, params)
    assert untreated == pytest.approx(_incidence(0.0, params=params), rel=1e-12)
    step = _hazard_ratio(_incidence_with_signal(0.15, 0.05, params), untreated)
    assert step == pytest.approx(1.2, rel=0.01)
    tamoxifen = _incidence_with_signal(0.15, 0.30, params)
    aromatase_inhibitor = _incidence_with_signal(0.15, 0.09, params)
    assert tamoxifen < untreated < aromatase_inhibitor
    assert (_hazard_ratio(aromatase_inhibitor, untreated) - 1
            < 1 - _hazard_ratio(tamoxifen, untreated))
    hormone_therapy = _incidence_with_signal(0.15, 0.70, params)
    assert hormone_therapy == pytest.approx(_incidence_with_signal(0.15, 0.45, params), rel=1e-4)
    assert hormone_therapy < tamoxifen
    off = _no_death(age_log_slope_per_y=0.0)
    assert _incidence_with_signal(0.15, 0.40, off) == pytest.approx(_incidence(0.0, params=off),
                                                                      rel=1e-12)
