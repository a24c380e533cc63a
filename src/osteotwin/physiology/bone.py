"""Bone cells, RANKL/RANK/OPG, TGF-β, sclerostin, BMD by site (day units).

Bone-cell block as in Peterson & Riggs 2010 (Bone 46:49-63; equations cross-checked against
BIOMD0000000613): responding osteoblasts, fast/slow active osteoblasts, osteoclasts, latent and
active TGF-β, explicit RANKL–RANK–OPG binding; every EC50 is back-calculated so the reference is a
steady state. The PTH → RUNX2/CREB/BCL2 cascade is held at its baseline (it only departs from it
under intermittent PTH, e.g. teriparatide, which is out of scope).
Estrogen (Riggs 2012): EST on responding-osteoblast production (γ robGAM), latent TGF-β
production and activation, osteoblast apoptosis. Drugs: bisphosphonate raises osteoclast apoptosis
(Emax on KLSoc); denosumab removes RANKL (P&R 2012). Loading: sclerostin (1 = untrained) lowers
responding-osteoblast production and raises RANKL production (Martin 2019 structure; Scheiner
2013 disuse-RANKL idea) and enters site formation directly.
BMD = M − s·(RS − 1) per site, two components (Heaney 1994; Seeman & Delmas 2006):
- M, the mineralised-matrix balance of Peterson & Riggs 2012:
  dM/dt = kout·(OB/OB0)^γOB·S^-λ·A(age)·(T/500)^γT − kout·(OC/OC0)^γOC·M (slow; per-cycle
  balance accumulated over years);
- RS, the remodelling space (1 = reference): resorbed volume not yet refilled, made in proportion
  to osteoclasts and refilled over one formation period, dRS/dt = (OC/OC0 − RS)/T_f; s is the site's
  BMD fraction held in it at reference turnover (trabecular spine > cortical hip). This reversible
  transient is fast (months) and is given back when turnover falls (antiresorptives, tamoxifen).
The BMD states hold the total; M is recovered as BMD + s·(RS − 1).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.parameters import INDEX as _I
from osteotwin.physiology.states import (
    BMD_FN,
    BMD_LS,
    BMD_TH,
    BP,
    DEN,
    FRAC_OB_FAST,
    OB0,
    OB_FAST,
    OB_FAST0,
    OB_SLOW,
    OC,
    OC0,
    OPG,
    OPG0,
    OPG_RANKL,
    PIC0,
    PTH,
    PTH_CONC0,
    RANK,
    RANK0,
    RANK_RANKL,
    RANK_RANKL0,
    RANKL,
    RANKL0,
    REMODEL_SPACE,
    ROB,
    ROB0,
    SCL,
    TGFB,
    TGFB0,
    TGFB_ACT,
    U_MALE,
    U_STIM,
    V1_L,
)

# Fixed Peterson & Riggs 2010 shape constants (BIOMD0000000613 parameter values).
FRAC_PIC_OC, EMAX_PIC_OC, GAM_PIC_OC = 0.878215, 1.9746, 1.0168
FRAC_PIC_ROB, EMAX_PIC_ROB, GAM_PIC_ROB = 0.883824, 3.9745, 1.80968
FRAC_PIC_OB, EMAX_PIC_OB, GAM_PIC_OB = 0.000244818, 0.251636, 0.122313
MULT_PIC_OBKB, FRAC_PIC0_KB, GAM_PIC_OBKB = 3.11842, 0.764028, 2.92375
E0_MEFF, EMAX_MEFF, GAM_MEFF = 0.388267, 3.15667, 8.53065
E0_RANKL, EMAX_L, GAM_LSURV = 3.80338, 0.469779, 3.09023
FRAC_KB = 0.313186
OB_TGF_GAM, OC_TGF_GAM, RNK_TGF_GAM = 0.0111319, 0.593891, 0.151825
OSTEO_EFFECT_GAM, EMAX_LPTH = 0.173833, 1.30721
RUNX2_KB_FACT = 1.01  # E0RUNX2kbEffFACT; the RUNX2 term equals 0.01·kb at baseline BCL2

_KB, _DA, _KTGF = _I["kb_d"], _I["da_d"], _I["k_tgfb_d"]
_KL, _KRNK, _KO, _KON, _KOFF = (_I["rankl_kout_d"], _I["rank_kout_d"], _I["opg_kout_d"],
                                _I["k_bind_pm_d"], _I["k_unbind_d"])
_ROB_G, _TGFB_G, _TGFBA_G, _OBAP_G = (_I["rob_est_gamma"], _I["tgfb_est_gamma"],
                                      _I["tgfb_act_est_gamma"], _I["ob_apoptosis_est_gamma"])
_BP_EMAX, _BP_EC50 = _I["bp_emax"], _I["bp_ec50_mg"]
_DEN_KON = _I["denosumab_rankl_kon"]
_SCL_GAIN, _SCL_T, _SCL_ROB, _SCL_L = (_I["mech_sclerostin_gain"], _I["sclerostin_half_life_d"],
                                       _I["sclerostin_rob_gamma"], _I["sclerostin_rankl_gamma"])
_KOUT_LS, _KOUT_TH, _KOUT_FN = _I["bmd_ls_kout_d"], _I["bmd_th_kout_d"], _I["bmd_fn_kout_d"]
_GOC_LS, _GOC_TH, _GOC_FN = _I["bmd_ls_gamma_oc"], _I["bmd_th_gamma_oc"], _I["bmd_fn_gamma_oc"]
_GOB, _MECH_LS, _MECH_HIP = _I["bmd_gamma_ob"], _I["bmd_ls_mech_gain"], _I["bmd_hip_mech_gain"]
_AGE_LOSS, _T_GAM = _I["age_bmd_loss_pct_y"], _I["testosterone_bone_gamma"]
_AGE_LOSS_F = _I["age_bmd_loss_female_pct_y"]
_PTH_BONE_G = _I["pth_bone_gamma"]
_RS_TF, _RS_LS, _RS_HIP = (_I["remodel_space_formation_period_d"], _I["remodel_space_ls"],
                           _I["remodel_space_hip"])
_M_TURN = _I["bmd_matrix_turnover_power"]

DENOSUMAB_KDA = 150_000.0  # g/mol → 1 ng/mL = 6.67 pM


@njit(cache=True)
def hill_up(x_ratio: float, e0: float, emax: float, gam: float) -> float:
    """E0 + Emax·r^γ/(r^γ + K^γ) with r = x/x0 and K chosen so the value is Pic0 at r = 1."""
    kg = emax / (PIC0 - e0) - 1.0
    rg = max(x_ratio, 1e-12) ** gam
    return float(e0 + emax * rg / (rg + kg))


@njit(cache=True)
def pic_ob_kb(x_ratio: float) -> float:
    e0 = MULT_PIC_OBKB * PIC0
    emax = FRAC_PIC0_KB * PIC0
    frac = (e0 - PIC0) / (e0 - emax)
    kg = 1.0 / frac - 1.0
    rg = max(x_ratio, 1e-12) ** GAM_PIC_OBKB
    return float(e0 - (e0 - emax) * rg / (rg + kg))


@njit(cache=True)
def age_formation_factor(age_y: float, female: float, p: NDArray[np.float64]) -> float:
    """Age-related background loss as a factor on BMD formation, by sex (x = softplus(age − 50)).

    Men: the loss rate ramps linearly from 0 at 50 y to ``age_bmd_loss_pct_y`` at 75 y
    (MrOS: ~0.2 %/y at 65, ~0.6 %/y at 85), factor exp(−rate·x²/50). Women (``female`` = 1): it
    accelerates with age, rate_f·(x/25)² with rate_f = ``age_bmd_loss_female_pct_y`` at 75 y
    (SOF: total hip −0.3 %/y at 67-69 y, −1.6 %/y at ≥ 85 y), factor exp(−rate_f·x³/1875).
    """
    x = age_y - 50.0
    xs = 0.5 * (x + math.sqrt(x * x + 1.0))
    male_loss = p[_AGE_LOSS] / 100.0 * xs * xs / 50.0
    female_loss = p[_AGE_LOSS_F] / 100.0 * xs * xs * xs / 1875.0
    return math.exp(-(1.0 - female) * male_loss - female * female_loss)


@njit(cache=True)
def bmd_formation_drive(y: NDArray[np.float64], p: NDArray[np.float64], age_y: float,
                        female: float, testosterone: float) -> float:
    ob_ratio = max(y[OB_FAST] + y[OB_SLOW], 1e-15) / OB0
    return float(ob_ratio ** p[_GOB] * age_formation_factor(age_y, female, p)
            * ((max(testosterone, 0.0) + 20.0) / 500.0) ** p[_T_GAM])


@njit(cache=True)
def sclerostin_target(stimulus: float, p: NDArray[np.float64]) -> float:
    return float(1.0 / (1.0 + p[_SCL_GAIN] * max(stimulus, 0.0)))


@njit(cache=True)
def site_bmd_rate(bmd: float, formation: float, resorption: float, kout: float, space: float,
                  rs: float, drs: float) -> float:
    """d(total site BMD)/dt (1/d): matrix balance kout·(formation − resorption·M) with
    M = BMD + space·(RS − 1), minus the change of the remodelling space space·dRS/dt."""
    matrix = bmd + space * (rs - 1.0)
    return float(kout * (formation - resorption * matrix) - space * drs)


@njit(cache=True)
def bone_rhs(y: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
             est: float, age_y: float, testosterone: float, dy: NDArray[np.float64]) -> None:
    """Write d/dt of bone-cell, sclerostin and BMD states into ``dy``."""
    kb = p[_KB]
    da = p[_DA]
    ktgf = p[_KTGF]
    est = max(est, 1e-6)
    ta = max(y[TGFB_ACT], 1e-15)
    ta_ratio = ta / PIC0
    ob = max(y[OB_FAST] + y[OB_SLOW], 1e-15)
    ob_ratio = ob / OB0
    oc = max(y[OC], 1e-15)
    scl = max(y[SCL], 1e-6)
    pthc = PTH_CONC0 * (max(y[PTH], 1e-12) / V1_L / PTH_CONC0) ** p[_PTH_BONE_G]
    # osteoblast lineage
    pic_rob = hill_up(ta_ratio, FRAC_PIC_ROB * PIC0, EMAX_PIC_ROB, GAM_PIC_ROB)
    pic_ob = hill_up(ta_ratio, FRAC_PIC_OB * PIC0, EMAX_PIC_OB, GAM_PIC_OB)
    dr = kb * OB0 / PIC0
    big_db = kb * OB0 * PIC0 / ROB0
    rob_in = dr * pic_rob * (1.0 / est) ** p[_ROB_G] * scl ** (-p[_SCL_ROB])
    kpt = big_db / pic_ob
    dy[ROB] = rob_in - kpt * y[ROB]
    kb_prime = kb * (RUNX2_KB_FACT * pic_ob_kb(ta_ratio) / PIC0 * est ** (-p[_OBAP_G])
                     - (RUNX2_KB_FACT - 1.0))
    kb_slow = kb_prime * FRAC_KB
    ob_fast0 = OB_FAST0
    kb_fast = (kb * OB0 + kb_slow * ob_fast0 - kb_slow * OB0) / ob_fast0
    dy[OB_FAST] = kpt * y[ROB] * FRAC_OB_FAST * kb_fast / kb_prime - kb_fast * y[OB_FAST]
    dy[OB_SLOW] = kpt * y[ROB] * (1.0 - FRAC_OB_FAST) * FRAC_KB - kb_slow * y[OB_SLOW]
    # osteoclasts
    m_ratio = max(y[RANK_RANKL], 1e-18) / RANK_RANKL0
    kg_meff = EMAX_MEFF / (1.0 - E0_MEFF) - 1.0
    mg = m_ratio**GAM_MEFF
    meff = E0_MEFF + EMAX_MEFF * mg / (mg + kg_meff)
    kin_oc = da * PIC0 * meff * OC0
    pic_oc = hill_up(ta_ratio, FRAC_PIC_OC * PIC0, EMAX_PIC_OC, GAM_PIC_OC)
    frac_surv = (E0_RANKL - 1.0) / (E0_RANKL - EMAX_L)
    kg_surv = 1.0 / frac_surv - 1.0
    lg = m_ratio**GAM_LSURV
    lsurv = E0_RANKL - (E0_RANKL - EMAX_L) * lg / (lg + kg_surv)
    bp = max(y[BP], 0.0)
    bp_effect = 1.0 + p[_BP_EMAX] * bp / (bp + p[_BP_EC50])
    dy[OC] = kin_oc - da * pic_oc * lsurv * bp_effect * y[OC]
    # TGF-β: produced with osteoblasts (↑ when EST falls), activated by resorption
    kin_tgf = ktgf * TGFB0
    activation = ktgf * max(y[TGFB], 0.0) * (oc / OC0) ** OC_TGF_GAM * est ** p[_TGFBA_G]
    dy[TGFB] = kin_tgf * ob_ratio**OB_TGF_GAM * (1.0 / est) ** p[_TGFB_G] - activation
    dy[TGFB_ACT] = activation - 1000.0 * ktgf * y[TGFB_ACT]
    # RANKL / RANK / OPG (explicit binding); PTH raises RANKL, lowers OPG; denosumab binds RANKL
    osteo_effect = ob_ratio**OSTEO_EFFECT_GAM
    pth50 = EMAX_LPTH * PTH_CONC0 - PTH_CONC0
    lpth = EMAX_LPTH * pthc / (pth50 * osteo_effect + pthc)
    kin_l = p[_KL] * RANKL0 * osteo_effect * lpth * scl ** p[_SCL_L]
    k_on = p[_KON]
    k_off = p[_KOFF]
    rankl = max(y[RANKL], 0.0)
    bind_rank = k_on * y[RANK] * rankl - k_off * y[RANK_RANKL]
    bind_opg = k_on * y[OPG] * rankl - k_off * y[OPG_RANKL]
    den_pm = max(y[DEN], 0.0) / DENOSUMAB_KDA * 1e6
    dy[RANKL] = kin_l - p[_KL] * rankl - bind_rank - bind_opg - p[_DEN_KON] * den_pm * rankl
    kin_rnk = p[_KRNK] * RANK0 / PIC0**RNK_TGF_GAM
    dy[RANK] = kin_rnk * ta**RNK_TGF_GAM - p[_KRNK] * y[RANK] - bind_rank
    dy[RANK_RANKL] = bind_rank
    dy[OPG_RANKL] = bind_opg
    rob_ratio = max(y[ROB], 1e-18) / ROB0
    p_opg = p[_KO] * OPG0 * rob_ratio * ((pthc + PTH_CONC0 * rob_ratio) / (2.0 * pthc))
    dy[OPG] = p_opg - bind_opg - p[_KO] * y[OPG]
    # sclerostin follows the mechanical stimulus
    dy[SCL] = math.log(2.0) / p[_SCL_T] * (sclerostin_target(u[U_STIM], p) - y[SCL])
    # remodelling space (reversible) and matrix balance (P&R 2012) by site; states hold the total
    oc_ratio = oc / OC0
    rs = y[REMODEL_SPACE]
    drs = (oc_ratio - rs) / p[_RS_TF]
    dy[REMODEL_SPACE] = drs
    drive = bmd_formation_drive(y, p, age_y, 1.0 - u[U_MALE], testosterone)
    s_ls = p[_RS_LS]
    s_hip = p[_RS_HIP]
    # the balance accrues per remodelling cycle: its rate scales with activation (Parfitt 1983)
    pace = oc_ratio ** p[_M_TURN]
    dy[BMD_LS] = site_bmd_rate(y[BMD_LS], drive * scl ** (-p[_MECH_LS]),
                               oc_ratio ** p[_GOC_LS], p[_KOUT_LS] * pace, s_ls, rs, drs)
    dy[BMD_TH] = site_bmd_rate(y[BMD_TH], drive * scl ** (-p[_MECH_HIP]),
                               oc_ratio ** p[_GOC_TH], p[_KOUT_TH] * pace, s_hip, rs, drs)
    dy[BMD_FN] = site_bmd_rate(y[BMD_FN], drive * scl ** (-p[_MECH_HIP]),
                               oc_ratio ** p[_GOC_FN], p[_KOUT_FN] * pace, s_hip, rs, drs)

__all__ = ["DENOSUMAB_KDA", "RANK_RANKL0", "bone_rhs", "sclerostin_target"]
