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
2013 disuse-RANKL idea) and enters site formation directly; it answers the loading above the
level the osteocytes have accommodated to (Turner 1998 Bone 23:399, rule 3), so a sustained
programme's gain levels off instead of growing for as long as it lasts.
BMD = M − s·(RS − 1) per site, two components (Heaney 1994; Seeman & Delmas 2006):
- M, the mineralised-matrix balance of Peterson & Riggs 2012:
  dM/dt = kout·(OB/OB0)^γOB·S^-λ·A(age)·((T + T_off)/500)^γT − kout·(OC/OC0)^γOC·M (slow;
  per-cycle balance accumulated over years); the spine's bone, like the hip's, takes A(age) in
  full; where turnover is suppressed (antiresorptives) the turnover part
  (OB/OB0)^γOB·(OC/OC0)^−γOC of the steady state saturates at 1 + a site ceiling instead of
  growing without bound: the gain is secondary mineralisation of bone no longer renewed, which
  stops at full mineralisation (Boivin et al. 2000 Bone 27:687: +11 % at 3 y of alendronate;
  Boivin & Meunier 2002; Roschger 2010: no further rise from 5 to 10 y). The matrix rate kout
  is scaled by (OC/OC0)^m and, below reference activation, by a further (OC/OC0)^m_low: the
  focal balance accrues per remodelling cycle (Parfitt 1983), so suppressed turnover slows it;
- RS, the remodelling space (1 = reference): resorbed volume not yet refilled, made in proportion
  to osteoclasts and refilled over one formation period, dRS/dt = (OC/OC0 − RS)/T_f; s is the site's
  BMD fraction held in it at reference turnover (trabecular spine > cortical hip). This reversible
  transient is fast (months) and is given back when turnover falls (antiresorptives, tamoxifen).
A third part follows estrogen without needing remodelling: estrogen lowers osteocyte sclerostin
(Mödder et al. 2011 J Bone Miner Res 26:27), which restrains formation on quiescent surfaces
(modeling-based; Ominsky et al. 2014 J Bone Miner Res 29:1424), so antiresorptives do not block it
and their effects add to an aromatase inhibitor's loss, as the trials show (ABCSG-18 vs FREEDOM).
Its state w is the lagged ln of estrogen-receptor activation above the EST floor, and each site's
BMD carries the factor exp(κ_s·w): BMD = exp(κ_s·w)·(M − s·(RS − 1)).
PA-spine DXA also shows a fourth part that no remodelling makes: with age, osteophytes, facet
sclerosis and aortic calcification raise it while the vertebral bodies lose bone (men: PA spine
+0.73 %/y, lateral spine and hip falling, Zmuda et al. 2000 J Bone Miner Res 15:1417; women
≥ 65 y: spine no longer falling, Greenspan 1994 JBMR 9:1959; Orwoll 1990 JCEM 70:1202). The spine
carries a factor exp(g) on the shape of the background loss, set so that an untreated PA spine
drifts at its published rate (women: as A^a, a the share of the background loss PA DXA shows;
men: +0.73 %/y at 67 y), and antiresorptives do not slow that part.
The BMD states hold the total; M is recovered as BMD·exp(−κ_s·w − g) + s·(RS − 1), g the log of
that factor (0 at the hips).
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
    EST_MODELING,
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
    STIM_ACCOM,
    TGFB,
    TGFB0,
    TGFB_ACT,
    U_CLOCK_FROZEN,
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
_TGF_CAP = _I["latent_tgfb_capacity"]
TGF_CAP_HILL = 8.0  # steepness of the capacity (assumption: near 1 until the store approaches it)
_KL, _KRNK, _KO, _KON, _KOFF = (_I["rankl_kout_d"], _I["rank_kout_d"], _I["opg_kout_d"],
                                _I["k_bind_pm_d"], _I["k_unbind_d"])
_ROB_G, _TGFB_G, _TGFBA_G, _OBAP_G = (_I["rob_est_gamma"], _I["tgfb_est_gamma"],
                                      _I["tgfb_act_est_gamma"], _I["ob_apoptosis_est_gamma"])
_BP_EMAX, _BP_EC50 = _I["bp_emax"], _I["bp_ec50_mg"]
_DEN_KON = _I["denosumab_rankl_kon"]
_SCL_GAIN, _SCL_T, _SCL_ROB, _SCL_L = (_I["mech_sclerostin_gain"], _I["sclerostin_half_life_d"],
                                       _I["sclerostin_rob_gamma"], _I["sclerostin_rankl_gamma"])
_ACC_T, _ACC_KEEP = _I["mech_accommodation_half_life_d"], _I["mech_unaccommodated_share"]
_KOUT_LS, _KOUT_TH, _KOUT_FN = _I["bmd_ls_kout_d"], _I["bmd_th_kout_d"], _I["bmd_fn_kout_d"]
_GOC_LS, _GOC_TH, _GOC_FN = _I["bmd_ls_gamma_oc"], _I["bmd_th_gamma_oc"], _I["bmd_fn_gamma_oc"]
_GOB, _MECH_LS, _MECH_HIP = _I["bmd_gamma_ob"], _I["bmd_ls_mech_gain"], _I["bmd_hip_mech_gain"]
_AGE_LOSS, _T_GAM = _I["age_bmd_loss_pct_y"], _I["testosterone_bone_gamma"]
_T_OFFSET = _I["testosterone_bone_offset_ng_dl"]
_AGE_LOSS_F = _I["age_bmd_loss_female_pct_y"]
_PTH_BONE_G = _I["pth_bone_gamma"]
_RS_TF, _RS_LS, _RS_HIP = (_I["remodel_space_formation_period_d"], _I["remodel_space_ls"],
                           _I["remodel_space_hip"])
_M_TURN, _M_LOW = _I["bmd_matrix_turnover_power"], _I["bmd_matrix_low_turnover_power"]
_GAIN_LS, _GAIN_HIP = _I["bmd_ls_turnover_gain_max"], _I["bmd_hip_turnover_gain_max"]
_EMOD_T, _EMOD_LS, _EMOD_HIP, _EMOD_FLOOR = (_I["estrogen_modeling_half_life_d"],
                                             _I["bmd_ls_estrogen_modeling_gain"],
                                             _I["bmd_hip_estrogen_modeling_gain"],
                                             _I["estrogen_modeling_floor"])
_EST_FLOOR = _I["est_floor"]
_AGE_LS, _AGE_GAIN_LS_M = _I["lumbar_spine_age_loss_share"], _I["lumbar_spine_age_gain_male_pct_y"]
_T_LS = _I["lumbar_spine_androgen_share"]

DENOSUMAB_KDA = 150_000.0  # g/mol → 1 ng/mL = 6.67 pM
#: Oldest age in the cohort men's PA-spine drift is measured in (Zmuda et al. 2000 J Bone Miner Res
#: 15:1417: men aged 51-81); beyond it the drift keeps the rate it has there.
PA_DRIFT_MALE_MAX_AGE_Y = 81.0
LOW_TURNOVER_WIDTH = 0.03  # smoothing width (ln units) of ``low_turnover_log``
_LN_HILL_FLOOR = math.log(1e-12)  # the 1e-12 floor of the TGF-β ratio in the Hill terms


@njit(cache=True, error_model="numpy")
def hill_up(x_ratio: float, e0: float, emax: float, gam: float) -> float:
    """E0 + Emax·r^γ/(r^γ + K^γ) with r = x/x0 and K chosen so the value is Pic0 at r = 1."""
    kg = emax / (PIC0 - e0) - 1.0
    rg = max(x_ratio, 1e-12) ** gam
    return float(e0 + emax * rg / (rg + kg))


@njit(cache=True, error_model="numpy")
def hill_up_of(rg: float, e0: float, emax: float) -> float:
    """``hill_up`` given rg = max(r, 1e-12)^γ (the RHS computes the power from a shared logarithm)."""
    kg = emax / (PIC0 - e0) - 1.0
    return float(e0 + emax * rg / (rg + kg))


@njit(cache=True, error_model="numpy")
def pic_ob_kb(x_ratio: float) -> float:
    return pic_ob_kb_of(max(x_ratio, 1e-12) ** GAM_PIC_OBKB)


@njit(cache=True, error_model="numpy")
def pic_ob_kb_of(rg: float) -> float:
    """``pic_ob_kb`` given rg = max(r, 1e-12)^γ."""
    e0 = MULT_PIC_OBKB * PIC0
    emax = FRAC_PIC0_KB * PIC0
    frac = (e0 - PIC0) / (e0 - emax)
    kg = 1.0 / frac - 1.0
    return float(e0 - (e0 - emax) * rg / (rg + kg))


@njit(cache=True, error_model="numpy")
def age_loss_shape(age_y: float, female: float) -> tuple[float, float]:
    """Shape of the background loss with age and its slope d/d(age) (1/y), x = softplus(age − 50):
    men x²/50, women x³/1875 (both 12.5 at 75 y, so a rate in %/y at 75 times the shape /100 is
    the log loss)."""
    x = age_y - 50.0
    root = math.sqrt(x * x + 1.0)
    xs = 0.5 * (x + root)
    dxs = 0.5 * (1.0 + x / root)
    shape = (1.0 - female) * xs * xs / 50.0 + female * xs * xs * xs / 1875.0
    slope = ((1.0 - female) * 2.0 * xs / 50.0 + female * 3.0 * xs * xs / 1875.0) * dxs
    return float(shape), float(slope)


@njit(cache=True, error_model="numpy")
def pa_spine_drift_shape(age_y: float, female: float) -> tuple[float, float]:
    """Shape of the PA spine's degenerative drift and its slope (1/y): ``age_loss_shape``, for men
    continued at its slope at ``PA_DRIFT_MALE_MAX_AGE_Y`` beyond that age (the oldest men of the
    cohort the drift is measured in), not steepening further with age."""
    capped = female * age_y + (1.0 - female) * min(age_y, PA_DRIFT_MALE_MAX_AGE_Y)
    shape, slope = age_loss_shape(capped, female)
    return float(shape + slope * (age_y - capped)), float(slope)


@njit(cache=True, error_model="numpy")
def age_loss_rate(female: float, p: NDArray[np.float64]) -> float:
    """Background loss rate at 75 y by sex, %/y; times ``age_loss_shape``/100 it is the log of the
    age factor on BMD formation, exp(−rate·shape/100).

    Men: the loss rate ramps linearly from 0 at 50 y to ``age_bmd_loss_pct_y`` at 75 y
    (MrOS: ~0.2 %/y at 65, ~0.6 %/y at 85). Women (``female`` = 1): it accelerates with age,
    rate_f·(x/25)² with rate_f = ``age_bmd_loss_female_pct_y`` at 75 y (SOF: total hip −0.3 %/y
    at 67-69 y, −1.6 %/y at ≥ 85 y)."""
    return float((1.0 - female) * p[_AGE_LOSS] + female * p[_AGE_LOSS_F])


@njit(cache=True, error_model="numpy")
def pa_spine_degenerative_rate(female: float, p: NDArray[np.float64]) -> float:
    """Rate (%/y at 75 y, on ``age_loss_shape``'s shape) of the PA spine's age drift that no remodelling
    makes: what PA DXA shows beyond the vertebral bone's own loss (which is the hip's). Men: the
    net PA drift ``lumbar_spine_age_gain_male_pct_y`` plus that loss; women: (1 − share)·loss."""
    male_rate = p[_AGE_GAIN_LS_M] + p[_AGE_LOSS]
    female_rate = (1.0 - p[_AGE_LS]) * p[_AGE_LOSS_F]
    return float((1.0 - female) * male_rate + female * female_rate)


@njit(cache=True, error_model="numpy")
def sclerostin_target(stimulus: float, accommodated: float, p: NDArray[np.float64]) -> float:
    """Sclerostin the osteocytes settle at: 1/(1 + g·x) for loading x above what they have
    accommodated to, 1 + g·|x| below it (detraining; symmetric in log to first order)."""
    above = max(stimulus - accommodated, 0.0)
    below = max(accommodated - stimulus, 0.0)
    return float((1.0 + p[_SCL_GAIN] * below) / (1.0 + p[_SCL_GAIN] * above))


@njit(cache=True, error_model="numpy")
def low_turnover_log(ln_ratio: float) -> float:
    """Smooth min(ln(OC/OC0), 0): 0 above reference turnover, ln(OC/OC0) below it (softplus of
    width w = ``LOW_TURNOVER_WIDTH``, −w·ln 2 at reference, within 0.001 of the kink beyond ±10 %),
    written −w·ln(1 + e^(−x/w)) = min(x, 0) − w·ln(1 + e^(−|x|/w)) so it cannot overflow."""
    w = LOW_TURNOVER_WIDTH
    return float(min(ln_ratio, 0.0) - w * math.log(1.0 + math.exp(-abs(ln_ratio) / w)))


@njit(cache=True, error_model="numpy")
def saturating_turnover_balance(ln_balance: float, gain_max: float) -> float:
    """ln of the matrix steady state set by turnover, (OB/OB0)^γOB·(OC/OC0)^−γOC, with its gain
    capped: unchanged where turnover is at or above reference (ln_balance ≤ 0, net loss); above
    it, ln(1 + gain_max)·tanh(ln_balance/ln(1 + gain_max)), which has the power law's value,
    slope and curvature at reference and tends to a gain of ``gain_max`` (fraction) when turnover
    is suppressed (secondary mineralisation of frozen bone saturates; Boivin & Meunier 2002)."""
    ceiling = math.log(1.0 + gain_max)
    return float(min(ln_balance, 0.0) + ceiling * math.tanh(max(ln_balance, 0.0) / ceiling))


@njit(cache=True, error_model="numpy")
def site_bmd_rate(bmd: float, formation: float, resorption: float, kout: float, space: float,
                  rs: float, drs: float) -> float:
    """d(total site BMD)/dt (1/d): matrix balance kout·(formation − resorption·M) with
    M = BMD + space·(RS − 1), minus the change of the remodelling space space·dRS/dt."""
    matrix = bmd + space * (rs - 1.0)
    return float(kout * (formation - resorption * matrix) - space * drs)


@njit(cache=True, error_model="numpy")
def modeled_site_bmd_rate(bmd: float, formation: float, resorption: float, kout: float,
                          space: float, rs: float, drs: float, kappa: float, w: float,
                          dw: float, ln_other: float = 0.0, dln_other: float = 0.0) -> float:
    """d(total site BMD)/dt when BMD = exp(κ·w + g)·(remodelling part): the remodelling part moves
    as ``site_bmd_rate`` says, the estrogen modeling factor exp(κ·w) with dw/dt, and a factor
    exp(g) that no remodelling makes (``ln_other`` g, ``dln_other`` dg/dt; the spine's
    degenerative drift) with its own rate."""
    factor = math.exp(kappa * w + ln_other)
    return float(factor * site_bmd_rate(bmd / factor, formation, resorption, kout, space, rs, drs)
                 + bmd * (kappa * dw + dln_other))


@njit(cache=True, error_model="numpy")
def bone_rhs(y: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
             est: float, age_y: float, testosterone: float, dy: NDArray[np.float64]) -> None:
    """Write d/dt of bone-cell, sclerostin and BMD states into ``dy``.

    Powers x^a are written exp(a·ln x) with one logarithm per base (est, TGF-β, OB, OC, RANK-RANKL,
    sclerostin): the same mathematics at about a third of the cost of ``**`` (results agree to
    rounding, ~1e-15 relative)."""
    kb = p[_KB]
    da = p[_DA]
    ktgf = p[_KTGF]
    est = max(est, 1e-6)
    ln_est = math.log(est)
    ta = max(y[TGFB_ACT], 1e-15)
    ta_ratio = ta / PIC0
    ln_ta = math.log(ta_ratio)
    ln_ta_hill = max(ln_ta, _LN_HILL_FLOOR)  # ln(max(ta/Pic0, 1e-12)) of ``hill_up``
    ob = max(y[OB_FAST] + y[OB_SLOW], 1e-15)
    ob_ratio = ob / OB0
    ln_ob = math.log(ob_ratio)
    oc = max(y[OC], 1e-15)
    oc_ratio = oc / OC0
    ln_oc = math.log(oc_ratio)
    scl = max(y[SCL], 1e-6)
    ln_scl = math.log(scl)
    pthc = PTH_CONC0 * math.exp(p[_PTH_BONE_G] * math.log(max(y[PTH], 1e-12) / V1_L / PTH_CONC0))
    # osteoblast lineage
    pic_rob = hill_up_of(math.exp(GAM_PIC_ROB * ln_ta_hill), FRAC_PIC_ROB * PIC0, EMAX_PIC_ROB)
    pic_ob = hill_up_of(math.exp(GAM_PIC_OB * ln_ta_hill), FRAC_PIC_OB * PIC0, EMAX_PIC_OB)
    dr = kb * OB0 / PIC0
    big_db = kb * OB0 * PIC0 / ROB0
    # (1/EST)^γ_rob · SCL^(−γ_scl)
    rob_in = dr * pic_rob * math.exp(-p[_ROB_G] * ln_est - p[_SCL_ROB] * ln_scl)
    kpt = big_db / pic_ob
    dy[ROB] = rob_in - kpt * y[ROB]
    kb_prime = kb * (RUNX2_KB_FACT * pic_ob_kb_of(math.exp(GAM_PIC_OBKB * ln_ta_hill)) / PIC0
                     * math.exp(-p[_OBAP_G] * ln_est) - (RUNX2_KB_FACT - 1.0))
    kb_slow = kb_prime * FRAC_KB
    ob_fast0 = OB_FAST0
    kb_fast = (kb * OB0 + kb_slow * ob_fast0 - kb_slow * OB0) / ob_fast0
    dy[OB_FAST] = kpt * y[ROB] * FRAC_OB_FAST * kb_fast / kb_prime - kb_fast * y[OB_FAST]
    dy[OB_SLOW] = kpt * y[ROB] * (1.0 - FRAC_OB_FAST) * FRAC_KB - kb_slow * y[OB_SLOW]
    # osteoclasts
    ln_m = math.log(max(y[RANK_RANKL], 1e-18) / RANK_RANKL0)
    kg_meff = EMAX_MEFF / (1.0 - E0_MEFF) - 1.0
    mg = math.exp(GAM_MEFF * ln_m)
    meff = E0_MEFF + EMAX_MEFF * mg / (mg + kg_meff)
    kin_oc = da * PIC0 * meff * OC0
    pic_oc = hill_up_of(math.exp(GAM_PIC_OC * ln_ta_hill), FRAC_PIC_OC * PIC0, EMAX_PIC_OC)
    frac_surv = (E0_RANKL - 1.0) / (E0_RANKL - EMAX_L)
    kg_surv = 1.0 / frac_surv - 1.0
    lg = math.exp(GAM_LSURV * ln_m)
    lsurv = E0_RANKL - (E0_RANKL - EMAX_L) * lg / (lg + kg_surv)
    bp = max(y[BP], 0.0)
    bp_effect = 1.0 + p[_BP_EMAX] * bp / (bp + p[_BP_EC50])
    dy[OC] = kin_oc - da * pic_oc * lsurv * bp_effect * y[OC]
    # TGF-β: produced with osteoblasts (↑ when EST falls), activated by resorption
    kin_tgf = ktgf * TGFB0
    # (OC/OC0)^γ · EST^γ_a and (OB/OB0)^γ · (1/EST)^γ_tgfb
    activation = ktgf * max(y[TGFB], 0.0) * math.exp(OC_TGF_GAM * ln_oc + p[_TGFBA_G] * ln_est)
    # the matrix holds latent TGF-β up to a capacity (ratio C to the reference store): production
    # falls as the store nears it, ×(1 + C^−n)/(1 + (TGFβ/(C·TGFβ₀))^n), 1 at the reference store
    cap = p[_TGF_CAP]
    stored = max(y[TGFB], 0.0) / TGFB0 / cap
    room = (1.0 + cap ** -TGF_CAP_HILL) / (1.0 + stored ** TGF_CAP_HILL)
    dy[TGFB] = kin_tgf * room * math.exp(OB_TGF_GAM * ln_ob - p[_TGFB_G] * ln_est) - activation
    dy[TGFB_ACT] = activation - 1000.0 * ktgf * y[TGFB_ACT]
    # RANKL / RANK / OPG (explicit binding); PTH raises RANKL, lowers OPG; denosumab binds RANKL
    osteo_effect = math.exp(OSTEO_EFFECT_GAM * ln_ob)
    pth50 = EMAX_LPTH * PTH_CONC0 - PTH_CONC0
    lpth = EMAX_LPTH * pthc / (pth50 * osteo_effect + pthc)
    kin_l = p[_KL] * RANKL0 * osteo_effect * lpth * math.exp(p[_SCL_L] * ln_scl)
    k_on = p[_KON]
    k_off = p[_KOFF]
    rankl = max(y[RANKL], 0.0)
    bind_rank = k_on * y[RANK] * rankl - k_off * y[RANK_RANKL]
    bind_opg = k_on * y[OPG] * rankl - k_off * y[OPG_RANKL]
    den_pm = max(y[DEN], 0.0) / DENOSUMAB_KDA * 1e6
    dy[RANKL] = kin_l - p[_KL] * rankl - bind_rank - bind_opg - p[_DEN_KON] * den_pm * rankl
    # RANK production ∝ (TGF-β_act/Pic0)^γ
    dy[RANK] = (p[_KRNK] * RANK0 * math.exp(RNK_TGF_GAM * ln_ta) - p[_KRNK] * y[RANK]
                - bind_rank)
    dy[RANK_RANKL] = bind_rank
    dy[OPG_RANKL] = bind_opg
    rob_ratio = max(y[ROB], 1e-18) / ROB0
    p_opg = p[_KO] * OPG0 * rob_ratio * ((pthc + PTH_CONC0 * rob_ratio) / (2.0 * pthc))
    dy[OPG] = p_opg - bind_opg - p[_KO] * y[OPG]
    # sclerostin follows the mechanical stimulus above the accommodated one; the osteocytes
    # accommodate to a customary loading, all but a share of it (Turner 1998; Schriefer 2005)
    stim = max(u[U_STIM], 0.0)
    dy[STIM_ACCOM] = math.log(2.0) / p[_ACC_T] * ((1.0 - p[_ACC_KEEP]) * stim - y[STIM_ACCOM])
    dy[SCL] = math.log(2.0) / p[_SCL_T] * (sclerostin_target(stim, y[STIM_ACCOM], p) - y[SCL])
    # remodelling space (reversible) and matrix balance (P&R 2012) by site; states hold the total
    rs = y[REMODEL_SPACE]
    drs = (oc_ratio - rs) / p[_RS_TF]
    dy[REMODEL_SPACE] = drs
    # BMD formation drive (OB/OB0)^γ_ob · age factor · ((T + T_off)/500)^γ_T (the spine: its shares
    # of the age and androgen terms), times the site's sclerostin term SCL^(−γ_mech), as one
    # exponential per site
    ln_androgen = p[_T_GAM] * math.log((max(testosterone, 0.0) + p[_T_OFFSET]) / 500.0)
    ln_drive = p[_GOB] * ln_ob + ln_androgen
    female = 1.0 - u[U_MALE]
    shape, _ = age_loss_shape(age_y, female)
    ln_age = -age_loss_rate(female, p) / 100.0 * shape  # ln of the age factor on formation
    # the spine's vertebral bone loses with age as the hip does (lateral DXA, Zmuda et al. 2000);
    # what PA DXA shows beyond that (osteophytes, facet and aortic calcification, Orwoll 1990) is
    # not remodelled bone: a factor on the spine that antiresorptives do not slow, moving with age
    # (not while the clocks are held to equilibrate)
    degenerative_rate = pa_spine_degenerative_rate(female, p) / 100.0
    drift_shape, drift_slope = pa_spine_drift_shape(age_y, female)
    ln_degenerative = degenerative_rate * drift_shape
    dln_degenerative = degenerative_rate * drift_slope * (1.0 - u[U_CLOCK_FROZEN]) / 365.25
    # the spine's matrix carries only a share of the direct androgen term (spine trabecular bone
    # follows estradiol)
    ln_drive_ls = p[_GOB] * ln_ob + p[_T_LS] * ln_androgen
    s_ls = p[_RS_LS]
    s_hip = p[_RS_HIP]
    # the balance accrues per remodelling cycle: its rate scales with activation (Parfitt 1983)
    # and below reference activation the balance can only accrue as fast as cavities are refilled
    pace = math.exp(p[_M_TURN] * ln_oc + p[_M_LOW] * low_turnover_log(ln_oc))
    # the turnover part of the balance, (OB/OB0)^γOB·(OC/OC0)^−γOC, saturates at low turnover
    ln_turn_ls = p[_GOB] * ln_ob - p[_GOC_LS] * ln_oc
    ln_turn_th = p[_GOB] * ln_ob - p[_GOC_TH] * ln_oc
    ln_turn_fn = p[_GOB] * ln_ob - p[_GOC_FN] * ln_oc
    cap_ls = saturating_turnover_balance(ln_turn_ls, p[_GAIN_LS]) - ln_turn_ls
    cap_th = saturating_turnover_balance(ln_turn_th, p[_GAIN_HIP]) - ln_turn_th
    cap_fn = saturating_turnover_balance(ln_turn_fn, p[_GAIN_HIP]) - ln_turn_fn
    drive_hip = math.exp(ln_age + ln_drive - p[_MECH_HIP] * ln_scl)
    drive_ls = math.exp(ln_age + ln_drive_ls - p[_MECH_LS] * ln_scl + cap_ls)
    # estrogen-dependent modeling-based formation (not gated by remodelling): BMD_s carries the
    # factor exp(κ_s·w), w the lagged ln of the receptor activation above the EST floor (plus the
    # route's own small residual); the remodelling part is BMD_s·exp(−κ_s·w)
    w = y[EST_MODELING]
    activation = max(est - p[_EST_FLOOR], 0.0) + p[_EMOD_FLOOR]
    dw = math.log(2.0) / p[_EMOD_T] * (math.log(activation / (1.0 + p[_EMOD_FLOOR])) - w)
    dy[EST_MODELING] = dw
    dy[BMD_LS] = modeled_site_bmd_rate(y[BMD_LS], drive_ls, math.exp(p[_GOC_LS] * ln_oc),
                                       p[_KOUT_LS] * pace, s_ls, rs, drs, p[_EMOD_LS], w, dw,
                                       ln_degenerative, dln_degenerative)
    dy[BMD_TH] = modeled_site_bmd_rate(y[BMD_TH], drive_hip * math.exp(cap_th),
                                       math.exp(p[_GOC_TH] * ln_oc), p[_KOUT_TH] * pace, s_hip,
                                       rs, drs, p[_EMOD_HIP], w, dw, 0.0, 0.0)
    dy[BMD_FN] = modeled_site_bmd_rate(y[BMD_FN], drive_hip * math.exp(cap_fn),
                                       math.exp(p[_GOC_FN] * ln_oc), p[_KOUT_FN] * pace, s_hip,
                                       rs, drs, p[_EMOD_HIP], w, dw, 0.0, 0.0)

__all__ = ["DENOSUMAB_KDA", "RANK_RANKL0", "bone_rhs", "saturating_turnover_balance",
           "sclerostin_target"]
