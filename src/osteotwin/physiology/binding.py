"""Testosterone binding in serum: SHBG and calculated free testosterone (pure functions).

Free testosterone follows the mass-action calculation of Vermeulen, Verdonck & Kaufman 1999
(JCEM 84:3666): testosterone binds SHBG (Ka 1.0e9 L/mol) and albumin (Ka 3.6e4 L/mol, 43 g/L,
69 kDa); with N = 1 + Ka_alb·[albumin], free T solves Ka_shbg·N·FT² + (N + Ka_shbg·(SHBG − TT))·FT
− TT = 0 (mol/L). It is the "calculated free testosterone" most trials report.

SHBG is each person's measured level, or the population-typical one, held over the simulation
(an assumption: oral estrogens raise it and androgens lower it, e.g. testosterone therapy by
~10-20 %, which the model does not follow; a published baseline replaces it in trials,
``trials.endpoints``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Vermeulen et al. 1999 association constants (L/mol), albumin (g/L) and its molar mass (g/mol).
SHBG_KA_L_MOL = 1.0e9
ALBUMIN_KA_L_MOL = 3.6e4
ALBUMIN_G_L = 43.0
ALBUMIN_G_MOL = 69_000.0
TESTOSTERONE_G_MOL = 288.42

#: Men's SHBG (nmol/L): 30 at 50 y, an assumption inside the levels reported (Rotterdam Study,
#: Aribas et al. 2022 Eur J Clin Invest 52:e13866: rising from 45 y; a clinical cohort: 27.7
#: nmol/L at <= 54 y, 36.6 at >= 55 y), rising 0.86 nmol/L a year (UK Biobank men 40-69 y:
#: +3.69 nmol/L over 4.3 y, biobank.ctsu.ox.ac.uk publication 13825).
MALE_SHBG_AT_50_NMOL_L = 30.0
MALE_SHBG_SLOPE_NMOL_L_Y = 0.86
#: Women's SHBG (nmol/L) after 45 y: falling to 60 y, then rising (Rotterdam Study); held at 50,
#: an assumption.
FEMALE_SHBG_NMOL_L = 50.0
#: Lower limit of the typical men's value, so the age slope cannot run below the adult male
#: reference interval (10-57 nmol/L, Mayo Clinic Laboratories SHBG test, males >= 18 y).
SHBG_FLOOR_NMOL_L = 10.0


def typical_shbg_nmol_l(male: ArrayLike, age_y: ArrayLike) -> NDArray[np.float64]:
    """Population-typical SHBG (nmol/L) for men (``male`` true) or women of ``age_y``."""
    ages = np.asarray(age_y, dtype=float)
    men = np.maximum(MALE_SHBG_AT_50_NMOL_L + MALE_SHBG_SLOPE_NMOL_L_Y * (ages - 50.0),
                     SHBG_FLOOR_NMOL_L)
    result: NDArray[np.float64] = np.where(np.asarray(male, dtype=bool), men, FEMALE_SHBG_NMOL_L)
    return result


def free_testosterone_pg_ml(total_ng_dl: ArrayLike, shbg_nmol_l: ArrayLike,
                            albumin_g_l: float = ALBUMIN_G_L) -> NDArray[np.float64]:
    """Calculated free testosterone (pg/mL) from total testosterone (ng/dL) and SHBG (nmol/L)."""
    total = np.asarray(total_ng_dl, dtype=float) * 10.0 / TESTOSTERONE_G_MOL * 1e-9  # mol/L
    shbg = np.asarray(shbg_nmol_l, dtype=float) * 1e-9
    n = 1.0 + ALBUMIN_KA_L_MOL * albumin_g_l / ALBUMIN_G_MOL
    a = SHBG_KA_L_MOL * n
    b = n + SHBG_KA_L_MOL * (shbg - total)
    free = (-b + np.sqrt(b * b + 4.0 * a * total)) / (2.0 * a)  # mol/L
    result: NDArray[np.float64] = free * TESTOSTERONE_G_MOL * 1e9  # pg/mL
    return result


def binding_series(total_ng_dl: NDArray[np.float64], male: ArrayLike, age_y: ArrayLike,
                   measured_shbg_nmol_l: Sequence[float | None] | None = None
                   ) -> dict[str, NDArray[np.float64]]:
    """``shbg_nmol_l`` and ``free_testosterone_pg_ml`` series for total testosterone series of
    shape (T,) for one person or (N, T) for N people (``male``, ``age_y`` and an optional
    measured SHBG per person; population typical where it is None)."""
    shbg_each = np.atleast_1d(typical_shbg_nmol_l(male, age_y))
    if measured_shbg_nmol_l is not None:
        measured = np.array([np.nan if v is None else v for v in measured_shbg_nmol_l], float)
        shbg_each = np.where(np.isfinite(measured), measured, shbg_each)
    shbg = np.broadcast_to(shbg_each[:, None], (shbg_each.size, total_ng_dl.shape[-1]))
    shbg = shbg.reshape(total_ng_dl.shape).copy()
    return {"shbg_nmol_l": shbg, "free_testosterone_pg_ml": free_testosterone_pg_ml(total_ng_dl, shbg)}


__all__ = ["binding_series", "free_testosterone_pg_ml", "typical_shbg_nmol_l"]
