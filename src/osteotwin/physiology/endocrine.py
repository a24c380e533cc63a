"""Sex steroids: aromatization → estradiol, AI inhibition, HPG feedback (LH → testosterone).

Estradiol (pg/mL) is quasi-steady (t½ ~12 h ≪ the model's slowest scales):

    E2 = scale · [(1 − f_u) · arom · D / (Km·(1 + C_ana/Ki_ana + C_let/Ki_let) + f_T·T + f_A·A4)
                 + f_u · D / (Km + f_T·T + f_A·A4)]
         + ovarian E2 (premenopausal women; goserelin suppresses it) + exogenous E2,
    D = f_T·T + w_A·f_A·A4

- competitive aromatase inhibition (Michaelis–Menten in free substrate, Km 1.83 nM, Lakshman 2010),
  exemestane as irreversible loss of active enzyme ``arom``; a share f_u
  (``aromatase_uninhibited_share``) of peripheral E2 production is out of every inhibitor's reach
  (plasma E2 fell by ≥83.5 % while whole-body aromatization fell 96.7-98.1 %, Geisler 1996);
- a share f_R (``estrogen_reservoir_share``) of peripheral E2 reaches plasma through the
  estrone-sulfate pool, a state relaxing to the peripheral E2 made now with a half-life of about
  half a day, so a change in aromatization shows in plasma E2 over a day or two (the Arimidex
  label: E2 −70 % within 24 h of the first dose, −80 % by 14 days); E2 is otherwise quasi-steady;
- the individual ``scale`` is set so the untreated E2 equals the person's own baseline;
- ovarian E2 follows the menopause clock: logistic in years since the final menstrual period
  (SWAN); AIs do not lower ovarian E2 (ovarian feedback compensates; why AIs need ovarian
  suppression before menopause). The logistic f is mean ovarian E2 as a share of its
  premenopausal output. Across the late transition, cycles alternate with hypo-estrogenic spells
  of amenorrhoea (>= 60 d; STRAW+10, Harlow 2012 JCEM 97:1159; Santoro 1996 JCEM 81:1495; Burger
  2002 Recent Prog Horm Res 57:257): a share q = a·(1 − f) of the time has extra-ovarian E2 only
  (a = ``ovarian_intermittency``, the part of the fall that comes as such spells), and active
  spells carry ovarian E2 f/(1 − q) of the full output, so mean E2 is unchanged. Bone sees the time
  average (1 − q)·EST(E2_active) + q·EST(E2_extra-ovarian), not the signal of the mean E2: with
  a > 0 the bone signal falls earlier in the transition (bone loss starts ~1-2 y before the FMP:
  Greendale 2012 JBMR 27:111; Sowers 2010 JCEM 95:2155; Recker 2004 JBMR 19:1628). a = 0 is a
  smooth fall of E2 in every cycle;
- women: LH relaxes to LH_max,f / (1 + (E2/K_E,f)^h_f) (an output only);
- men: LH relaxes to LH_max / (1 + (E2/K_E + T/K_T)^h); testicular T = T_max·LH/(LH + LH50);
  a non-testicular (adrenal-precursor) share, ~45 ng/dL at 35 y falling to ~15 at 75 y, is what
  castration leaves (Finkelstein 2013; Oefelein 2000);
  exogenous testosterone adds to T (depots, gel) and suppresses LH; hCG stimulates the Leydig
  cells' LH receptor directly (LH-equivalent drive, Coviello 2005), so it restores testicular T and
  E2 on TRT; a GnRH-agonist depot suppresses pituitary LH secretion and gonadal output (women:
  ovarian E2) by the same factor;
  a share of male E2 is secreted by the testes in proportion to Leydig output and is not
  inhibited by AIs (intratesticular androgen ~100× serum outcompetes them), so AIs lower male E2
  less than female.
- Bone estrogen signal EST = x^n/(x^n + c^n) + floor with x = E2/100 pg/mL (Riggs 2012 eq. 6);
  tamoxifen is a partial agonist competing with E2 for the receptor (odds h = (x/c)^n and
  τ = tam/Kd): EST_bone = floor + (h + τ·(efficacy − floor))/(1 + h + τ). At postmenopausal E2 it
  raises the signal towards ``efficacy`` (resorption and formation both fall: Kenny 1995 JCEM
  80:3287, Love 1992 NEJM 326:852); at premenopausal E2 it displaces E2 only partly, so bone loss is
  modest (Powles 1996 JCO 14:78: LS −1.4 %/y, vs ~−5 %/y after ovarian suppression).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.parameters import INDEX as _I
from osteotwin.physiology.pk import testosterone_input_mg_d
from osteotwin.physiology.states import (
    ANA,
    AROM,
    E2_RESERVOIR,
    GOS,
    HCG,
    LET,
    LH,
    TAM,
    U_AGE0,
    U_AROM_SCALE,
    U_CLOCK_FROZEN,
    U_CLOCK_T,
    U_E2_OV,
    U_E2OR,
    U_E2TD,
    U_LHMAX,
    U_MALE,
    U_TGEL,
    U_TMAX,
    U_TORAL,
    U_YSM0,
)

NG_DL_PER_NMOL_L_T = 28.842  # testosterone 288.42 g/mol

_KM, _A4 = _I["aromatase_km_nm"], _I["androstenedione_nm"]
_FT, _FA, _WA = (_I["testosterone_free_fraction"], _I["androstenedione_free_fraction"],
                 _I["androstenedione_route_weight"])
_KI_ANA, _KI_LET = _I["ai_ki_anastrozole_ng_ml"], _I["ai_ki_letrozole_ng_ml"]
_ESCAPE = _I["aromatase_uninhibited_share"]
_RES_SHARE, _RES_T = _I["estrogen_reservoir_share"], _I["estrogen_reservoir_half_life_d"]
_T_F = _I["female_testosterone_ng_dl"]
_MCR_T, _GEL_F = _I["testosterone_mcr_l_d"], _I["testosterone_gel_bioavailability"]
_GEL_K50 = _I["testosterone_gel_half_saturation_mg_d"]
#: Gel dose at which ``testosterone_gel_bioavailability`` is the absorbed fraction (5 g of 1.62 %).
GEL_REFERENCE_DOSE_MG_D = 81.0
_MCR_E2, _E2_ORAL_F = _I["estradiol_mcr_l_d"], _I["estradiol_oral_bioavailability"]
_MENO_W, _MENO_MID = _I["menopause_transition_width_y"], _I["menopause_midpoint_y"]
_OV_INTERMITTENT = _I["ovarian_intermittency"]
_K_E, _K_T, _LH_H = _I["lh_feedback_e2_pg_ml"], _I["lh_feedback_t_ng_dl"], _I["lh_feedback_hill"]
_LH_T, _LH50 = _I["lh_half_life_d"], _I["testis_lh50_iu_l"]
_LH_MALE, _T_ADRENAL = _I["male_lh_iu_l"], _I["adrenal_testosterone_ng_dl"]
_T_ADRENAL_AGE = _I["adrenal_testosterone_age_slope_per_y"]
_HCG_LH = _I["hcg_lh_equivalence"]
_K_E_F, _LH_H_F = _I["lh_feedback_e2_female_pg_ml"], _I["lh_feedback_hill_female"]
_GOS_EC50 = _I["goserelin_ec50_mg"]
_EST_REF, _EST_C, _EST_N, _EST_FLOOR = (_I["est_ref_pg_ml"], _I["est_ec50_frac"], _I["est_hill"],
                                        _I["est_floor"])
_TAM_KD, _TAM_EFF = _I["tamoxifen_kd_ng_ml"], _I["tamoxifen_bone_efficacy"]


@njit(cache=True, error_model="numpy")
def clock_d(t: float, u: NDArray[np.float64]) -> float:
    """Model time used by the age and menopause clocks (frozen while equilibrating)."""
    return u[U_CLOCK_T] if u[U_CLOCK_FROZEN] > 0.5 else t


@njit(cache=True, error_model="numpy")
def ovarian_fraction(years_since_menopause: float, p: NDArray[np.float64]) -> float:
    """Share of premenopausal ovarian E2 output left at a given time from the FMP."""
    z = (years_since_menopause - p[_MENO_MID]) / p[_MENO_W]
    z = min(max(z, -50.0), 50.0)
    return 1.0 / (1.0 + math.exp(z))


@njit(cache=True, error_model="numpy")
def gonadal_suppression(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    g = max(y[GOS], 0.0)
    return float(g / (g + p[_GOS_EC50]))


@njit(cache=True, error_model="numpy")
def gel_absorbed_mg_d(dose_mg_d: float, p: NDArray[np.float64]) -> float:
    """Testosterone absorbed from a daily gel dose D (mg/d): F·D·(1 + D_ref/K)/(1 + D/K), D_ref =
    81 mg/d, so F is the absorbed fraction at D_ref; uptake is dose-proportional at low doses and
    saturates at high ones (K = ``testosterone_gel_half_saturation_mg_d``, Swerdloff et al. 2000)."""
    dose = max(dose_mg_d, 0.0)
    k = p[_GEL_K50]
    return float(p[_GEL_F] * dose * (1.0 + GEL_REFERENCE_DOSE_MG_D / k) / (1.0 + dose / k))


@njit(cache=True, error_model="numpy")
def aromatase_yield(testosterone_ng_dl: float, y: NDArray[np.float64],
                    p: NDArray[np.float64]) -> float:
    """Relative aromatization rate (multiplied by the individual scale gives E2 in pg/mL); the share
    ``aromatase_uninhibited_share`` of it follows the substrate but no inhibitor."""
    s_t = p[_FT] * testosterone_ng_dl / NG_DL_PER_NMOL_L_T
    s_a = p[_FA] * p[_A4]
    load = max(y[ANA], 0.0) / p[_KI_ANA] + max(y[LET], 0.0) / p[_KI_LET]
    drive = s_t + p[_WA] * s_a
    reached = max(y[AROM], 0.0) * drive / (p[_KM] * (1.0 + load) + s_t + s_a)
    escaped = drive / (p[_KM] + s_t + s_a)
    return float((1.0 - p[_ESCAPE]) * reached + p[_ESCAPE] * escaped)


@njit(cache=True, error_model="numpy")
def testicular_testosterone(lh: float, t_max: float, p: NDArray[np.float64]) -> float:
    lh = max(lh, 0.0)
    return float(t_max * lh / (lh + p[_LH50]))


@njit(cache=True, error_model="numpy")
def castrate_testosterone(age0_y: float, p: NDArray[np.float64]) -> float:
    """Non-testicular testosterone (ng/dL) of a man of ``age0_y`` at scenario start:
    ``adrenal_testosterone_ng_dl``·exp(−slope·(age − 65))."""
    return float(p[_T_ADRENAL] * math.exp(-p[_T_ADRENAL_AGE] * (age0_y - 65.0)))


@njit(cache=True, error_model="numpy")
def adrenal_testosterone(t_max: float, age0_y: float, p: NDArray[np.float64]) -> float:
    """A man's non-testicular testosterone (ng/dL): ``castrate_testosterone``, capped at his
    untreated testicular output T_max·LH0/(LH0 + LH50) (``simulate.single.subject_inputs`` caps it
    at half his own level the same way)."""
    leydig = p[_LH_MALE] / (p[_LH_MALE] + p[_LH50])
    return float(min(castrate_testosterone(age0_y, p), t_max * leydig))


@njit(cache=True, error_model="numpy")
def lh_feedback(e2: float, testosterone: float, p: NDArray[np.float64]) -> float:
    """1 + (E2/K_E + T/K_T)^h: the factor by which sex steroids lower LH."""
    f = max(e2, 0.0) / p[_K_E] + max(testosterone, 0.0) / p[_K_T]
    return float(1.0 + math.exp(p[_LH_H] * math.log(f)))  # f^h (f = 0: exp(−inf) = 0)


@njit(cache=True, error_model="numpy")
def lh_target(e2: float, testosterone: float, lh_max: float, p: NDArray[np.float64]) -> float:
    """LH (IU/L) the axis settles to for the given estradiol and testosterone."""
    return lh_max / lh_feedback(e2, testosterone, p)


@njit(cache=True, error_model="numpy")
def female_lh_target(e2: float, lh_max: float, p: NDArray[np.float64]) -> float:
    """Women's cycle-averaged LH (IU/L): LH_max,f / (1 + (E2/K_E,f)^h_f) (an output only)."""
    ratio = max(e2, 1e-9) / p[_K_E_F]
    return float(lh_max / (1.0 + math.exp(p[_LH_H_F] * math.log(ratio))))


@njit(cache=True, error_model="numpy")
def hormone_levels(t: float, y: NDArray[np.float64], p: NDArray[np.float64],
                   u: NDArray[np.float64]) -> tuple[float, float, float, float, float]:
    """(estradiol pg/mL, total testosterone ng/dL, LH target IU/L, bone estrogen signal EST,
    peripheral E2 made now, pg/mL: what the estrone-sulfate reservoir relaxes to)."""
    male = u[U_MALE] > 0.5
    supp = gonadal_suppression(y, p)
    exo_t_mg_d = (testosterone_input_mg_d(y, p) + gel_absorbed_mg_d(u[U_TGEL], p)
                  + u[U_TORAL])
    exo_t = exo_t_mg_d * 1e5 / p[_MCR_T]  # mg/d → ng/dL
    if male:
        # hCG drives the Leydig cells' LH receptor directly (not suppressed by exogenous T)
        leydig_drive = y[LH] + p[_HCG_LH] * max(y[HCG], 0.0)
        testis = testicular_testosterone(leydig_drive, u[U_TMAX], p) * (1.0 - supp)
        testosterone = testis + adrenal_testosterone(u[U_TMAX], u[U_AGE0], p) + exo_t
    else:
        testosterone = p[_T_F] + exo_t
    peripheral = u[U_AROM_SCALE] * aromatase_yield(testosterone, y, p)
    e2 = (1.0 - p[_RES_SHARE]) * peripheral + p[_RES_SHARE] * max(y[E2_RESERVOIR], 0.0)
    e2 += (u[U_E2TD] + u[U_E2OR] * p[_E2_ORAL_F]) * 1e9 / (p[_MCR_E2] * 1000.0)
    tam_odds = max(y[TAM], 0.0) / p[_TAM_KD]
    if male:
        # testicular E2 secretion follows Leydig-cell output (U_E2_OV holds its maximum in men)
        e2 += u[U_E2_OV] * testis / max(u[U_TMAX], 1e-9)
        est_bone = bone_estrogen_signal(e2, tam_odds, p)
    else:
        # mean ovarian E2 is ``ovarian_fraction`` of its premenopausal output; the share
        # ``ovarian_intermittency`` of that fall comes as hypo-estrogenic spells (time ``off``
        # with extra-ovarian E2 only), the rest as lower output while the ovary is active. Bone
        # sees the time average of its signal over both phases, not the signal of the mean E2.
        ysm = u[U_YSM0] + clock_d(t, u) / 365.25
        left = ovarian_fraction(ysm, p)
        ovary = u[U_E2_OV] * (1.0 - supp)
        off = p[_OV_INTERMITTENT] * (1.0 - left)
        active_e2 = e2 + ovary * left / max(1.0 - off, 1e-12)
        est_bone = ((1.0 - off) * bone_estrogen_signal(active_e2, tam_odds, p)
                    + off * bone_estrogen_signal(e2, tam_odds, p))
        e2 += ovary * left
    if male:
        target = lh_target(e2, testosterone, u[U_LHMAX], p)
    else:
        target = female_lh_target(e2, u[U_LHMAX], p)
    # a GnRH-agonist depot desensitises the pituitary: LH secretion falls with the same factor
    target *= 1.0 - supp
    return e2, testosterone, target, est_bone, peripheral


@njit(cache=True, error_model="numpy")
def hormones(t: float, y: NDArray[np.float64], p: NDArray[np.float64],
             u: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """(estradiol pg/mL, total testosterone ng/dL, LH target IU/L, bone estrogen signal EST)."""
    e2, testosterone, target, est_bone, _ = hormone_levels(t, y, p, u)
    return e2, testosterone, target, est_bone


@njit(cache=True, error_model="numpy")
def reservoir_rhs(peripheral: float, y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    """d/dt of the estrone-sulfate reservoir's E2 equivalent: it relaxes to the peripheral E2
    made now with the pool's half-life."""
    return float(math.log(2.0) / p[_RES_T] * (peripheral - y[E2_RESERVOIR]))


@njit(cache=True, error_model="numpy")
def bone_estrogen_signal(e2: float, tam_odds: float, p: NDArray[np.float64]) -> float:
    """Bone estrogen signal EST for estradiol ``e2`` (pg/mL) and tamoxifen receptor odds
    ``tam_odds`` (tamoxifen concentration / Kd): tamoxifen competes with E2 for the receptor
    (odds tam/Kd vs (x/c)^n); the floor stays."""
    x = e2 / p[_EST_REF]
    e2_odds = math.exp(p[_EST_N] * math.log(x / p[_EST_C]))  # (x/c)^n in exp-log form
    return float(p[_EST_FLOOR] + (e2_odds + tam_odds * (p[_TAM_EFF] - p[_EST_FLOOR]))
                 / (1.0 + e2_odds + tam_odds))


@njit(cache=True, error_model="numpy")
def lh_rhs(lh_goal: float, y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    return float(math.log(2.0) / p[_LH_T] * (lh_goal - y[LH]))


def age_at(t_d: float, age_t0: float) -> float:
    """Age in years at model time ``t_d`` days."""
    return age_t0 + t_d / 365.25


__all__ = ["NG_DL_PER_NMOL_L_T", "U_AGE0", "adrenal_testosterone", "age_at", "aromatase_yield",
           "castrate_testosterone", "female_lh_target", "hormone_levels", "hormones", "lh_rhs",
           "lh_target", "ovarian_fraction", "reservoir_rhs", "testicular_testosterone"]
