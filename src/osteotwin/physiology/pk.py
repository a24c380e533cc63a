"""Pharmacokinetics of every drug class (day units), and dose → state/input conversions.

Oral AIs and tamoxifen: one-compartment, absorption treated as immediate (t_max ≤ 2 h vs
elimination half-lives of days; anastrozole label). Testosterone esters: IM depot with first-order
(flip-flop) release; gel: continuous absorption. Bisphosphonates: surface-active bone-bound pool
(alendronate-equivalent). Denosumab: SC depot, central compartment with linear plus saturable
(target-mediated) elimination (Martínez-Reina & Pivonka 2019). Goserelin: depot releasing over ~28 d.
hCG: SC/IM injection into one compartment (IU/L; absorption, t_max ~12-24 h, treated as immediate
beside a ~1.2-d half-life; Ovidrel label).
Sources per parameter in ``parameters.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.parameters import INDEX as _I
from osteotwin.physiology.states import (
    ANA,
    AROM,
    BP,
    DEN,
    DEN_SC,
    EXE,
    GOS,
    HCG,
    LET,
    T_CYP,
    T_ENA,
    T_UND,
    TAM,
    U_ANA,
    U_BP,
    U_EXE,
    U_LET,
    U_TAM,
    U_WEIGHT,
)

LN2 = math.log(2.0)

#: Testosterone mass fraction of each ester (molar masses, PubChem: testosterone 288.4,
#: cypionate 412.6, enanthate 400.6, undecanoate 456.7 g/mol).
ESTER_T_FRACTION = {"testosterone_cypionate": 288.4 / 412.6,
                    "testosterone_enanthate": 288.4 / 400.6,
                    "testosterone_undecanoate": 288.4 / 456.7}

_ANA_T, _ANA_V = _I["anastrozole_half_life_d"], _I["anastrozole_vd_l"]
_LET_T, _LET_V = _I["letrozole_half_life_d"], _I["letrozole_vd_l"]
_EXE_T, _EXE_V = _I["exemestane_half_life_d"], _I["exemestane_vd_l"]
_EXE_KI, _AROM_T = _I["exemestane_kinact"], _I["aromatase_resynthesis_half_life_d"]
_TAM_T, _TAM_V = _I["tamoxifen_half_life_d"], _I["tamoxifen_vd_l"]
_CYP_T = _I["testosterone_cypionate_absorption_half_life_d"]
_ENA_T = _I["testosterone_enanthate_absorption_half_life_d"]
_UND_T = _I["testosterone_undecanoate_absorption_half_life_d"]
_BP_T = _I["bp_surface_half_life_d"]
_DEN_KA, _DEN_VC, _DEN_KE = _I["denosumab_ka_d"], _I["denosumab_vc_ml_kg"], _I["denosumab_ke_d"]
_DEN_VMAX, _DEN_KM = _I["denosumab_vmax_ng_kg_d"], _I["denosumab_km_ng_ml"]
_GOS_T = _I["goserelin_depot_half_life_d"]
_HCG_T = _I["hcg_half_life_d"]


@njit(cache=True, error_model="numpy")
def conc_per_mg(p: NDArray[np.float64], volume_index: int) -> float:
    """ng/mL added by 1 mg into an apparent volume (L)."""
    return float(1e6 / (p[volume_index] * 1000.0))


@njit(cache=True, error_model="numpy")
def pk_rhs(y: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
           dy: NDArray[np.float64]) -> None:
    """Write d/dt of the PK states (indices ANA..HCG) into ``dy``."""
    dy[ANA] = u[U_ANA] * conc_per_mg(p, _ANA_V) - LN2 / p[_ANA_T] * y[ANA]
    dy[LET] = u[U_LET] * conc_per_mg(p, _LET_V) - LN2 / p[_LET_T] * y[LET]
    dy[EXE] = u[U_EXE] * conc_per_mg(p, _EXE_V) - LN2 / p[_EXE_T] * y[EXE]
    k_res = LN2 / p[_AROM_T]
    dy[AROM] = k_res * (1.0 - y[AROM]) - p[_EXE_KI] * max(y[EXE], 0.0) * y[AROM]
    dy[TAM] = u[U_TAM] * conc_per_mg(p, _TAM_V) - LN2 / p[_TAM_T] * y[TAM]
    dy[T_CYP] = -LN2 / p[_CYP_T] * y[T_CYP]
    dy[T_ENA] = -LN2 / p[_ENA_T] * y[T_ENA]
    dy[T_UND] = -LN2 / p[_UND_T] * y[T_UND]
    dy[BP] = u[U_BP] - LN2 / p[_BP_T] * y[BP]
    vc_ml = p[_DEN_VC] * u[U_WEIGHT]
    absorption = p[_DEN_KA] * y[DEN_SC]
    dy[DEN_SC] = -absorption
    c = max(y[DEN], 0.0)
    dy[DEN] = (absorption / vc_ml - p[_DEN_KE] * c
               - p[_DEN_VMAX] * u[U_WEIGHT] / vc_ml * c / (c + p[_DEN_KM]))
    dy[GOS] = -LN2 / p[_GOS_T] * y[GOS]
    dy[HCG] = -LN2 / p[_HCG_T] * y[HCG]


@njit(cache=True, error_model="numpy")
def testosterone_input_mg_d(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    """Testosterone released from IM depots (mg/d)."""
    return float(LN2 / p[_CYP_T] * y[T_CYP] + LN2 / p[_ENA_T] * y[T_ENA]
            + LN2 / p[_UND_T] * y[T_UND])
