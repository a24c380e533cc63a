"""Calculated free testosterone (Vermeulen et al. 1999) and population SHBG."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.physiology.binding import (
    ALBUMIN_G_L,
    ALBUMIN_G_MOL,
    ALBUMIN_KA_L_MOL,
    SHBG_KA_L_MOL,
    TESTOSTERONE_G_MOL,
    binding_series,
    free_testosterone_pg_ml,
    typical_shbg_nmol_l,
)


def _bound_mol_l(free_mol_l: float, shbg_mol_l: float) -> float:
    """Mass action: SHBG-bound (one site, Ka) plus albumin-bound (Ka·[albumin]·free)."""
    to_shbg = shbg_mol_l * SHBG_KA_L_MOL * free_mol_l / (1.0 + SHBG_KA_L_MOL * free_mol_l)
    to_albumin = ALBUMIN_KA_L_MOL * ALBUMIN_G_L / ALBUMIN_G_MOL * free_mol_l
    return to_shbg + to_albumin


@pytest.mark.parametrize(("total_ng_dl", "shbg_nmol_l"), [(500.0, 40.0), (50.0, 80.0), (2000.0, 15.0)])
def test_free_plus_bound_testosterone_is_the_total(total_ng_dl: float, shbg_nmol_l: float) -> None:
    free = float(free_testosterone_pg_ml(total_ng_dl, shbg_nmol_l)) / TESTOSTERONE_G_MOL * 1e-9
    total = total_ng_dl * 10.0 / TESTOSTERONE_G_MOL * 1e-9
    assert free + _bound_mol_l(free, shbg_nmol_l * 1e-9) == pytest.approx(total, rel=1e-9)


def test_free_fraction_is_about_two_percent_and_falls_as_shbg_rises() -> None:
    """Vermeulen 1999: ~2 % free at typical male SHBG; more SHBG binds more."""
    fraction = free_testosterone_pg_ml(500.0, 40.0) / (500.0 * 10.0)
    assert 0.015 < fraction < 0.025
    levels = free_testosterone_pg_ml(np.full(3, 500.0), np.array([20.0, 40.0, 80.0]))
    assert np.all(np.diff(levels) < 0.0)


def test_men_s_shbg_rises_with_age_and_a_measured_value_replaces_it() -> None:
    assert typical_shbg_nmol_l(True, 70.0) > typical_shbg_nmol_l(True, 45.0)
    total = np.array([[500.0, 800.0], [500.0, 800.0]])
    series = binding_series(total, [True, True], [60.0, 60.0], [None, 80.0])
    assert series["shbg_nmol_l"][0, 0] == pytest.approx(typical_shbg_nmol_l(True, 60.0))
    assert np.all(series["shbg_nmol_l"][1] == 80.0)
    assert series["free_testosterone_pg_ml"][1, 1] < series["free_testosterone_pg_ml"][0, 1]
