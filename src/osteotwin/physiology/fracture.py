"""Clinical fracture incidence from simulated BMD, bone turnover, age, sex and prior fracture.

The hazard of a first clinical (any-site) fracture at time t is

    h(t) = h65[sex] · exp(k_age · (age(t) − 65)) · RR_bmd^(−ΔZ(t)) · RR_ctx^(ΔZ_ctx(t))
           · RR_est^(−ΔEST(t)/0.1) · RR_prior^(prior fracture)

* ``h65``: incidence of clinical fracture at age 65 (per year), by sex. Anchored to published cohort
  incidences: 20.9 per 1000 person-years in Swedish men aged 69-80, mean 75 (MrOS Sweden, Mellström
  2008 JBMR 23:1552; clinical_facts ME08-01), and about 2 per 100 person-years in postmenopausal women
  in adjuvant breast-cancer and prevention trials (ATAC tamoxifen arm 1.90/100 py, BCR-02; MAP.3
  placebo 6.4 % over 35 months, MP11-02). The central values are fitted in calibration within the
  bounds below (``FRACTURE_BOUNDS``).
* ``k_age``: log-linear rise of fracture incidence with age. Any-fracture incidence roughly doubles
  from 55 to 75 (k ≈ 0.035/y) and osteoporotic fracture incidence roughly doubles per decade
  (k ≈ 0.07/y) in population registers (Kanis et al. 2000 Osteoporos Int 11:669, Malmö); the bounds
  span these.
* ``RR_bmd``: relative risk of any fracture per 1 SD decrease in BMD, 1.5 (95 % CI 1.4-1.6; Marshall,
  Johnell & Wedel 1996 BMJ 312:1254, meta-analysis of prospective cohorts). ΔZ is the simulated change
  in total-hip BMD since study start in SD units: ΔZ = (ΔBMD % / 100) · BMD_ref / SD_ref, with the
  young-adult SD of total-hip BMD 0.12 g/cm² and a typical older-adult total-hip BMD 0.85 g/cm² (NHANES
  III reference, Looker et al. 1998 Osteoporos Int 8:468) when the person's own baseline is unknown.
* ``RR_ctx``: relative risk of fracture per 1 SD increase in serum CTX, the IOF-IFCC reference
  resorption marker (Vasikaran et al. 2011 Osteoporos Int 22:391): gradient of risk 1.18 (95 % CI
  1.05-1.34) per SD in the meta-analysis of prospective cohorts of Johansson et al. 2014 Calcif Tissue
  Int 94:560; 1.20 (1.05-1.37) adjusted for BMD and clinical risk factors in Tian et al. 2019 (J Orthop
  Surg Res, doi:10.1186/s13018-019-1100-6); CTX above the premenopausal range doubled hip-fracture
  risk independently of BMD in EPIDOS (Garnero et al. 1996 J Bone Miner Res 11:1531). ΔZ_ctx is the
  simulated change in ln CTX since study start in SD units of ln CTX, ΔZ_ctx = ln(1 + ΔCTX % / 100)
  / SD_ln, with SD_ln = 0.5 from the width of published CTX reference intervals (2.5-97.5th
  percentile 0.111-0.791 ng/mL in premenopausal European women, Bone 2012,
  doi:10.1016/j.bone.2012.02.003 → 0.50; 0.124-1.020 ng/mL in postmenopausal Korean women, Cho et al.
  2020 J Bone Metab 27(1) → 0.54). Why turnover beyond BMD: antiresorptives and SERMs reduce fracture
  more than their BMD gain predicts and in step with the fall in resorption markers (Bjarnason et al.
  2001 Osteoporos Int 12:922; Sarkar et al. 2002 J Bone Miner Res 17:1; Eastell et al. 2003 J Bone
  Miner Res 18:1051); tamoxifen, which lowers turnover markers, cut osteoporotic fractures by 32 %
  (RR 0.68, 0.51-0.92; NSABP P-1, Fisher et al. 2005 J Natl Cancer Inst 97:1652) with a BMD gain of
  1-2 %. ``RR_ctx`` = 1 gives the BMD-only model.
* ``RR_est``: relative risk per 0.1 fall of the bone estrogen signal EST (the model's 0-1 estrogen
  receptor activation in bone, ``osteotwin.physiology.endocrine``) since study start, for the
  estrogenic protection that neither BMD nor a resorption marker carries: estrogen plus progestin
  cut total fractures by 24 % (HR 0.76, 0.69-0.85) with a hip BMD gain of 3.7 % (WHI, Cauley et
  al. 2003 JAMA 290:1729), tamoxifen osteoporotic fractures by 32 % (NSABP P-1) and raloxifene
  vertebral fractures by 30-50 % (MORE, Ettinger et al. 1999 JAMA 282:637) with BMD gains of
  1-3 %, which the BMD gradient alone puts at 0.85-0.95. The map is asymmetric where women already
  are: after menopause EST sits near its floor, so an AI lowers it little while tamoxifen or
  estradiol raise it much (the fracture excess on an AI in MAP.3, 6.7 vs 6.4 %, is small beside
  tamoxifen's benefit). The protection saturates: EST enters as min(EST, 0.3) (smoothly), the
  activity tamoxifen reaches in postmenopausal bone (``tamoxifen_bone_efficacy``), because the
  beyond-BMD benefit of hormone therapy (WHI, larger EST rise) is no larger than tamoxifen's
  (P-1) or raloxifene's. ``RR_est`` = 1 switches the term off; the bounds allow up to 1.5 per 0.1.
* ``RR_prior``: relative risk of any fracture after a prior fracture, 1.86 (1.75-1.98; Kanis et al.
  2004 Bone 35:375, meta-analysis).

Cumulative incidence by t is the proportion of people who have had a fracture by t, with death
as a competing event (Fine & Gray 1999 J Am Stat Assoc 94:496; FRAX counts it the same way, Kanis
et al. 2008 Osteoporos Int 19:385): CIF(t) = ∫₀ᵗ h(s) · S(s) ds with S the probability of being
alive and fracture-free, S = exp(−∫(h + μ)). Without competing death this is 1 − exp(−∫₀ᵗ h)
(μ = 0 recovers it exactly), which overstates the share of a cohort that fractures as follow-up
lengthens and people age: at 75 about 1 man in 25 dies each year. Background mortality follows
Gompertz's law, μ(age) = μ65[sex] · exp(g · (age − 65)):

* ``μ65``: all-cause mortality at 65 per year, women 0.011, men 0.017 (US life tables 2017,
  Arias & Xu 2019 Natl Vital Stat Rep 68(7), Table B/C: q(65) 0.0112 women, 0.0171 men; Swedish
  and other Western European life tables (Human Mortality Database) lie about 30 % lower).
* ``g``: Gompertz slope of adult mortality, 0.09 per year (mortality doubles about every 8 years
  between 40 and 90; 0.085-0.10 in the life tables of developed countries, Olshansky & Carnes
  1997 Demography 34:1; the US 2017 tables give ln(q75/q65)/10 = 0.090 women, 0.086 men).

Excess mortality from breast cancer itself is not included (5-year overall survival of early
hormone-receptor-positive disease is within a few percent of the general population's). The
numerical integration treats each hazard as constant between grid points (exact for piecewise
constant hazards). All functions are pure and vectorised over people (rows) and time (columns).

What the training fracture endpoints can and cannot constrain (populations given only as
"postmenopausal women", so every such arm draws the same ages): the tamoxifen arms (ATAC, BIG 1-98)
need tamoxifen to lower the hazard about 0.65-fold against untreated women, as NSABP P-1 found,
while MAP.3 (exemestane 6.7 vs placebo 6.4 % at 35 months) allows an AI only a small excess. The
turnover term cannot give both (CTX moves about as much down on tamoxifen as up on an AI, and a
gradient strong enough for tamoxifen makes denosumab's CTX fall implausibly protective); the
estrogen-signal term can, because after menopause EST sits near its floor. With it, ATAC's
tamoxifen arm at 40 and 60 months passes and MAP.3's placebo arm (about 5 vs 6.4 %) fails: MAP.3's
women (no breast cancer) fracture more than ATAC's implied untreated rate. BIG 1-98 (8.6 %
letrozole at "60 months") and ATAC (11.0 % anastrozole at 60 months) cannot both hold for drugs of
equal or greater potency (the BIG proportions are crude, from an earlier cut than the 60.3-month
median follow-up of Rabaglio et al. 2009 Ann Oncol 20:1489, which gave 9.3 % vs 6.5 %);
ABCSG-18's placebo-on-AI arm (9.6 % at 36 months, 26.2 % at 84) runs at 1.5-2 times the ATAC
anastrozole rate and is not reproduced.

The fracture trial files give sex, menopausal status, ``breast_cancer`` and the regimens (age only
for MrOS): no age, BMI, T-score, prior fracture, fracture definition (clinical, all including
vertebral, non-vertebral) or follow-up definition (Kaplan-Meier vs crude proportion), which are in
free-text notes only. So FRAX-type risk factors (age-dependent BMD gradient; BMI, De Laet et al.
2005 Osteoporos Int 16:1330; prior fracture, Kanis et al. 2004) cannot separate the arms. The BMD
gradient is kept independent of age: it falls with age for hip fracture only; for any osteoporotic
fracture it is 1.38 per SD in women and 1.41 in men at 65 (95 % CI 1.28-1.51) and rises slightly
with age (Johnell et al. 2005 J Bone Miner Res 20:1185), inside the bounds of ``RR_bmd``. And
``breast_cancer`` points the wrong way (survivors
fracture more, HR 1.15, Chen et al. 2005 Arch Intern Med 165:552, yet the one trial without cancer,
MAP.3, has the higher untreated rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class FractureParameters:
    """Parameters of the fracture hazard model (units in the names; sources in the module doc)."""

    women_rate_at_65_per_y: float = 0.020
    men_rate_at_65_per_y: float = 0.012
    age_log_slope_per_y: float = 0.05
    rr_per_sd_bmd_decrease: float = 1.5
    rr_prior_fracture: float = 1.86
    bmd_sd_g_cm2: float = 0.12
    reference_total_hip_bmd_g_cm2: float = 0.85
    rr_per_sd_ctx_increase: float = 1.18
    ctx_log_sd: float = 0.5
    rr_per_estrogen_signal_fall: float = 1.0
    estrogen_signal_saturation: float = 0.3
    women_mortality_at_65_per_y: float = 0.011
    men_mortality_at_65_per_y: float = 0.017
    mortality_log_slope_per_y: float = 0.09


#: Bounds for calibration: (low, high) of each calibratable fracture parameter, from the sources above
#: (rates span the published cohort incidences, the BMD RR its 95 % CI widened to 1.3-1.7, the CTX RR
#: the union of the two meta-analyses' 95 % CIs, 1.05-1.37, the estrogen-signal RR none to 1.5).
FRACTURE_BOUNDS: dict[str, tuple[float, float]] = {
    "women_rate_at_65_per_y": (0.010, 0.035),
    "men_rate_at_65_per_y": (0.006, 0.025),
    "age_log_slope_per_y": (0.03, 0.08),
    "rr_per_sd_bmd_decrease": (1.3, 1.7),
    "rr_per_sd_ctx_increase": (1.05, 1.37),
    "rr_per_estrogen_signal_fall": (1.0, 1.5),
}


def bmd_change_z(
    bmd_change_pct: NDArray[np.float64],
    baseline_bmd_g_cm2: NDArray[np.float64] | None,
    params: FractureParameters,
) -> NDArray[np.float64]:
    """Change in BMD since baseline in SD units (negative = loss)."""
    baseline = (
        np.full(bmd_change_pct.shape[0], params.reference_total_hip_bmd_g_cm2)
        if baseline_bmd_g_cm2 is None
        else baseline_bmd_g_cm2
    )
    result: NDArray[np.float64] = (bmd_change_pct / 100.0) * baseline[:, None] / params.bmd_sd_g_cm2
    return result


def ctx_change_z(
    ctx_change_pct: NDArray[np.float64], params: FractureParameters
) -> NDArray[np.float64]:
    """Change in ln CTX since baseline in SD units of ln CTX (positive = higher resorption)."""
    ratio = np.maximum(1.0 + ctx_change_pct / 100.0, 1e-6)
    result: NDArray[np.float64] = np.log(ratio) / params.ctx_log_sd
    return result


def saturated_estrogen_signal(
    estrogen_signal: NDArray[np.float64], params: FractureParameters
) -> NDArray[np.float64]:
    """Smooth min(EST, saturation) (width 0.02): the part of the bone estrogen signal that protects
    against fracture beyond BMD and turnover."""
    width = 0.02
    cap = params.estrogen_signal_saturation
    result: NDArray[np.float64] = cap - width * np.logaddexp(0.0, (cap - estrogen_signal) / width)
    return result


def hazard_per_y(
    ages_y: NDArray[np.float64],
    sex: str,
    delta_z: NDArray[np.float64],
    prior_fracture: NDArray[np.bool_],
    params: FractureParameters,
    ctx_z: NDArray[np.float64] | None = None,
    est_change: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Fracture hazard per year; ``ages_y``, ``delta_z``, ``ctx_z`` and ``est_change`` (change of the
    bone estrogen signal since study start) are (people, times)."""
    rate65 = params.women_rate_at_65_per_y if sex == "female" else params.men_rate_at_65_per_y
    prior = np.where(prior_fracture, params.rr_prior_fracture, 1.0)[:, None]
    turnover = 1.0 if ctx_z is None else params.rr_per_sd_ctx_increase**ctx_z
    estrogenic = 1.0 if est_change is None else params.rr_per_estrogen_signal_fall ** (
        -est_change / 0.1)
    result: NDArray[np.float64] = (
        rate65
        * np.exp(params.age_log_slope_per_y * (ages_y - 65.0))
        * params.rr_per_sd_bmd_decrease ** (-delta_z)
        * turnover
        * estrogenic
        * prior
    )
    return result


def mortality_per_y(
    ages_y: NDArray[np.float64], sex: str, params: FractureParameters
) -> NDArray[np.float64]:
    """All-cause background mortality per year at ``ages_y`` (Gompertz law; any shape)."""
    rate65 = (
        params.women_mortality_at_65_per_y if sex == "female" else params.men_mortality_at_65_per_y
    )
    result: NDArray[np.float64] = rate65 * np.exp(params.mortality_log_slope_per_y * (ages_y - 65.0))
    return result


def competing_risk_incidence(
    years: NDArray[np.float64], hazard: NDArray[np.float64], mortality: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Cumulative incidence (probability, 0-1) of the event with hazard ``hazard`` (per year) by
    each of ``years`` (T,), death at rate ``mortality`` competing; both (n, T), taken constant at
    their interval means between grid points. With zero mortality: 1 − exp(−∫ hazard)."""
    dt = np.diff(years)[None, :]
    event = 0.5 * (hazard[:, 1:] + hazard[:, :-1])
    death = 0.5 * (mortality[:, 1:] + mortality[:, :-1])
    total = event + death
    survival = np.exp(-np.cumsum(total * dt, axis=1))
    before = np.concatenate([np.ones((hazard.shape[0], 1)), survival[:, :-1]], axis=1)
    share = np.divide(event, total, out=np.zeros_like(event), where=total > 0.0)
    steps = share * before * -np.expm1(-total * dt)
    result: NDArray[np.float64] = np.concatenate(
        [np.zeros((hazard.shape[0], 1)), np.cumsum(steps, axis=1)], axis=1
    )
    return result


def cumulative_incidence_pct(
    times_d: NDArray[np.float64],
    age0_y: NDArray[np.float64],
    sex: str,
    hip_bmd_change_pct: NDArray[np.float64],
    params: FractureParameters | None = None,
    *,
    baseline_hip_bmd_g_cm2: NDArray[np.float64] | None = None,
    prior_fracture: NDArray[np.bool_] | None = None,
    ctx_change_pct: NDArray[np.float64] | None = None,
    estrogen_signal: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Cumulative incidence (%) of a first clinical fracture from times_d[0] to each time.

    ``times_d`` (T,), ``age0_y`` (n,) age at times_d[0], ``hip_bmd_change_pct`` (n, T) total-hip
    BMD change since study start, ``ctx_change_pct`` (n, T) serum CTX change since study start
    (None: turnover unchanged), ``estrogen_signal`` (n, T) the bone estrogen signal EST (None: no
    estrogenic term). Returns (n, T): each person's probability of fracture, in %, with death as a
    competing event.
    """
    params = params or FractureParameters()
    n = age0_y.shape[0]
    prior = np.zeros(n, dtype=bool) if prior_fracture is None else prior_fracture
    years = (times_d - times_d[0]) / DAYS_PER_YEAR
    ages = age0_y[:, None] + years[None, :]
    delta_z = bmd_change_z(hip_bmd_change_pct, baseline_hip_bmd_g_cm2, params)
    ctx_z = None if ctx_change_pct is None else ctx_change_z(ctx_change_pct, params)
    est_change = None
    if estrogen_signal is not None:
        protective = saturated_estrogen_signal(estrogen_signal, params)
        est_change = protective - protective[:, :1]
    hazard = hazard_per_y(ages, sex, delta_z, prior, params, ctx_z, est_change)
    result: NDArray[np.float64] = 100.0 * competing_risk_incidence(
        years, hazard, mortality_per_y(ages, sex, params)
    )
    return result
