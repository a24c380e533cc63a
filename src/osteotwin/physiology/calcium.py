"""Calcium, PTH, calcitriol and 25(OH)D (day units): a reduced Peterson & Riggs 2010 core.

Kept from P&R 2010: plasma Ca balance of gut absorption (J40), bone release (J14, basal plus
osteoclast-dependent with the RANK–RANKL-per-osteoclast effect), bone uptake (J15, basal plus
osteoblast-dependent), renal excretion (J27: filtered load minus saturable PTH- and
estrogen-dependent reabsorption, clipped smoothly at 0); PTH secretion by a steep calcium-sensing
Hill function (γ 11.74, max/min 6249/96.25) with t½ ~6 min; calcitriol from PTH-driven
1α-hydroxylase; calcitriol-driven active gut absorption capacity R.
Simplified (documented in docs/model.md): phosphate is held at baseline; the parathyroid gland
pool/hyperplasia states are replaced by a power-law calcitriol suppression of PTH secretion; the
exchangeable and non-exchangeable bone pools are merged. Added: a 25(OH)D state (intake + sun,
saturable) that is the substrate of 1α-hydroxylase; a gut lumen pool so that absorption saturates
with intake; cumulative urine/faeces/intake states for the calcium mass balance.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.parameters import INDEX as _I
from osteotwin.physiology.states import (
    CA_BONE,
    CA_CONC0,
    CA_FECES,
    CA_INTAKE,
    CA_P,
    CA_P0,
    CA_URINE,
    CALCITRIOL,
    CALCITRIOL0,
    CALCITRIOL_CONC0,
    GUT_CA,
    GUT_R,
    HYDROX,
    OB0,
    OB_FAST,
    OB_SLOW,
    OC,
    OC0,
    PTH,
    PTH0,
    PTH_CONC0,
    RANK_RANKL,
    RANK_RANKL0,
    U_CA,
    U_VITD,
    U_VITD_ENDO,
    V1_L,
    VITD25,
    VITD_REF,
)

MG_PER_MMOL_CA = 40.078
URINE_SMOOTHING_MMOL_D = 0.5  # width of the smooth max(J27, 0)

_CADAY, _F14, _J14MAX, _J14G, _MOCG, _F15 = (_I["ca_day_mmol_d"], _I["frac_j14"], _I["j14_oc_max"],
                                             _I["j14_oc_gamma"], _I["j14_moc_gamma"], _I["frac_j15"])
_CA_REF, _TRANSIT, _FPASS, _ABS_REF, _R_RATE = (_I["reference_calcium_intake_mmol_d"],
                                                _I["gut_transit_d"],
                                                _I["gut_passive_frac_of_absorbed"],
                                                _I["gut_absorbed_ref_mmol_d"], _I["gut_r_rate_d"])
_GFR, _REABS50, _KPTH_G, _KEST = (_I["gfr_l_d"], _I["reabs50_mm"], _I["kidney_pth_emax"],
                                  _I["kidney_est_frac"])
_PTH_K, _PTH_G, _PTH_R, _PTH_CTR = (_I["pth_kout_d"], _I["pth_ca_gamma"], _I["pth_max_ratio"],
                                    _I["pth_calcitriol_gamma"])
_B_K, _A_K, _A_G = _I["calcitriol_kout_d"], _I["hydroxylase_kout_d"], _I["hydroxylase_pth_gamma"]
_D_KM, _D_T, _D_SLOPE, _D_SAT = (_I["vitd_km_ng_ml"], _I["vitd_half_life_d"],
                                 _I["vitd_slope_ng_ml_per_iu"], _I["vitd_saturation_iu"])


@njit(cache=True, error_model="numpy")
def softplus_mmol(d: float) -> float:
    """Smooth max(d, 0) (mmol/d)."""
    e = URINE_SMOOTHING_MMOL_D
    return 0.5 * (d + math.sqrt(d * d + e * e))


@njit(cache=True, error_model="numpy")
def vitd_from_intake(iu_d: float, p: NDArray[np.float64]) -> float:
    """Steady-state 25(OH)D increment (ng/mL) from a daily vitamin D3 intake (IU/d)."""
    iu = max(iu_d, 0.0)
    return float(p[_D_SLOPE] * iu / (1.0 + iu / p[_D_SAT]))


@njit(cache=True, error_model="numpy")
def urinary_calcium(ca_mm: float, pthc: float, est: float, p: NDArray[np.float64]) -> float:
    """J27, urinary calcium (mmol/d)."""
    filtered = 0.3 * p[_GFR] * ca_mm
    filtered0 = 0.3 * p[_GFR] * CA_CONC0
    u0 = p[_ABS_REF]
    d0 = u0 - URINE_SMOOTHING_MMOL_D**2 / (4.0 * u0)
    reabs_max = (filtered0 - d0) * (CA_CONC0 + p[_REABS50]) / CA_CONC0
    tm_est = 1.0 - p[_KEST] + p[_KEST] * est
    pth_effect = p[_KPTH_G] * pthc / (PTH_CONC0 * (p[_KPTH_G] - 1.0) + pthc)
    reabs = reabs_max * ca_mm / (ca_mm + p[_REABS50]) * pth_effect * tm_est
    return softplus_mmol(filtered - reabs)


@njit(cache=True, error_model="numpy")
def calcium_rhs(y: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
                est: float, dy: NDArray[np.float64]) -> None:
    """Write d/dt of the calcium/PTH/vitamin D states into ``dy``."""
    ca_mm = max(y[CA_P], 1e-9) / V1_L
    pthc = max(y[PTH], 1e-12) / V1_L
    c8 = max(y[CALCITRIOL], 1e-12) / V1_L
    oc_ratio = max(y[OC], 1e-15) / OC0
    ob_ratio = max(y[OB_FAST] + y[OB_SLOW], 1e-15) / OB0
    # bone release J14: basal + osteoclast-dependent (P&R 2010; EC50 from baseline)
    t13 = p[_CADAY] / 24.0 / 100.0
    k50 = p[_J14MAX] / t13 - 1.0
    g = p[_J14G]
    rg = math.exp(g * math.log(oc_ratio))  # oc_ratio^g (exp-log form: cheaper than **)
    oc_term = rg * (1.0 + k50) / (rg + k50)
    moc = (max(y[RANK_RANKL], 1e-18) / max(y[OC], 1e-15)) / (RANK_RANKL0 / OC0)
    j14 = p[_CADAY] * ((1.0 - p[_F14]) + p[_F14] * oc_term * math.exp(p[_MOCG] * math.log(moc)))
    # bone uptake J15
    j15 = p[_CADAY] * (y[CA_P] / CA_P0) * ((1.0 - p[_F15]) + p[_F15] * ob_ratio)
    # gut: lumen pool, passive + calcitriol-dependent saturable absorption
    absorbed_ref = p[_ABS_REF]
    gut0 = (p[_CA_REF] - absorbed_ref) / p[_TRANSIT]
    k_pass = p[_FPASS] * absorbed_ref / gut0
    v_act = (1.0 - p[_FPASS]) * absorbed_ref * 2.0
    gut = max(y[GUT_CA], 0.0)
    absorbed = k_pass * gut + v_act * (y[GUT_R] / 0.5) * gut / (gut + gut0)
    feces = p[_TRANSIT] * gut
    urine = urinary_calcium(ca_mm, pthc, est, p)
    dy[GUT_CA] = u[U_CA] - absorbed - feces
    dy[CA_P] = absorbed + j14 - j15 - urine
    dy[CA_BONE] = j15 - j14
    dy[CA_URINE] = urine
    dy[CA_FECES] = feces
    dy[CA_INTAKE] = u[U_CA]
    # PTH: calcium-sensing receptor (steep Hill, P&R T63), calcitriol suppression
    rmax = p[_PTH_R]
    cg = math.exp(p[_PTH_G] * math.log(ca_mm / CA_CONC0))
    secretion_rel = (rmax - (rmax - 1.0) * cg / (cg + 1.0)) / ((rmax + 1.0) / 2.0)
    secretion = p[_PTH_K] * PTH0 * secretion_rel * math.exp(-p[_PTH_CTR] * math.log(c8 / CALCITRIOL_CONC0))
    dy[PTH] = secretion - p[_PTH_K] * y[PTH]
    # 1α-hydroxylase (PTH drive, 25(OH)D substrate) → calcitriol
    d25 = max(y[VITD25], 0.1)
    substrate = (d25 / (d25 + p[_D_KM])) / (VITD_REF / (VITD_REF + p[_D_KM]))
    dy[HYDROX] = p[_A_K] * (math.exp(p[_A_G] * math.log(pthc / PTH_CONC0)) * substrate - y[HYDROX])
    dy[CALCITRIOL] = p[_B_K] * (CALCITRIOL0 * y[HYDROX] - y[CALCITRIOL])
    dy[GUT_R] = p[_R_RATE] * (c8 / (c8 + CALCITRIOL_CONC0) - y[GUT_R])
    # 25(OH)D: endogenous (sun, diet) + supplements, first-order turnover
    d_target = u[U_VITD_ENDO] + vitd_from_intake(u[U_VITD], p)
    dy[VITD25] = math.log(2.0) / p[_D_T] * (d_target - y[VITD25])
