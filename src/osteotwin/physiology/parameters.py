"""Every model parameter in one table: value, unit, source, population distribution, bounds.

Time unit of the model is the **day** (Peterson & Riggs 2010 rates, given per hour, are × 24).
``ModelParameters`` holds the values as one numpy vector (order = ``PARAMETER_TABLE``) so that the
right-hand side can be compiled (numba) or vectorised (NumPy/JAX).

Population variability: each parameter has a log-normal coefficient of variation ``cv`` (0 = fixed);
``sample_parameters(n, rng)`` draws ``n`` virtual people (values clipped to ``[lower, upper]``).

Calibratable parameters (``calibratable=True``; CALIBRATE fits a handful of these within the bounds
given, which stay inside their sources' ranges):

- ``est_ec50_frac`` (0.08-0.30), ``est_hill`` (1.5-3.0), ``est_floor`` (0.003-0.15): E2 → bone
  estrogen signal map (Riggs 2012 eq. 6) and its residual floor under full aromatase blockade.
- ``rob_est_gamma`` (0.08-0.40), ``tgfb_est_gamma`` (0.02-0.15): estrogen effects on responding
  osteoblasts and latent TGF-β (Riggs 2012; OpenBoneMin vs paper values bracket them).
- ``bmd_ls_gamma_oc`` / ``bmd_th_gamma_oc`` / ``bmd_fn_gamma_oc`` and the ``bmd_*_kout_d``: site
  matrix-balance sensitivity to osteoclasts and its (slow) turnover rate (Peterson & Riggs 2012;
  Eudy 2015 hip sets; renewal rates of Parfitt 1983).
- ``remodel_space_ls`` / ``remodel_space_hip`` and ``remodel_space_formation_period_d``: size and
  refill time of the reversible remodelling space (Heaney 1994).
- ``bmd_ls_turnover_gain_max`` / ``bmd_hip_turnover_gain_max`` (0.02-0.12): ceiling of the matrix
  gain when turnover is suppressed (secondary mineralisation; Boivin et al. 2000, Roschger 2010).
- ``bmd_matrix_low_turnover_power`` (0.5-1): below reference activation the matrix balance accrues
  in proportion to activation frequency (Parfitt 1983), so antiresorptives slow it down.
- ``bmd_ls_estrogen_modeling_gain`` / ``bmd_hip_estrogen_modeling_gain`` (0-0.08) and
  ``estrogen_modeling_half_life_d``: size and pace of the estrogen-dependent, remodelling-independent
  (modeling-based) part of BMD, which antiresorptives do not block (0 = remodelling-only model).
- ``age_bmd_loss_pct_y`` (men, MrOS) and ``age_bmd_loss_female_pct_y`` (women, SOF): age-related
  background loss after 50; ``lumbar_spine_age_loss_share`` (women, -1 to 1): the share of it
  that PA lumbar-spine DXA shows (Greenspan 1994: the spine stops falling, even rises, after
  ~65 y; default -0.5); ``lumbar_spine_age_gain_male_pct_y`` (men, 0.75-1.40 %/y at 75 y): the
  net rise of men's PA spine with age (Zmuda 2000: +0.73 %/y at 51-81 y). What PA DXA shows
  beyond the vertebral bone's own loss is not remodelled (osteophytes, calcification);
  ``lumbar_spine_androgen_share`` (0-0.6): the share of the direct androgen term that PA
  lumbar-spine formation carries (Finkelstein 2016: the spine's trabecular bone followed
  estradiol, not testosterone; PA-spine DXA also holds cortical bone).
- ``menopause_midpoint_y`` (-1 to 0.5 y) and ``menopause_transition_width_y`` (0.5-1.2 y): timing
  and spread of the loss of ovarian activity around the final menstrual period (SWAN, Randolph
  2011; Michigan, Sowers 2008); ``ovarian_intermittency`` (0-1): the part of that loss that comes
  as hypo-estrogenic spells, which bone feels before mean E2 has fallen much.
- ``ai_ki_anastrozole_ng_ml``: anastrozole potency (letrozole's Ki and exemestane's inactivation rate
  are fixed at their source values, Geisler 1998/2002: fitted freely they drift to their bounds,
  where bone no longer responds to the estradiol difference); ``aromatase_uninhibited_share``
  (0.02-0.15): the share of peripheral E2 production no inhibitor reaches (plasma E2 falls less
  than tracer-measured aromatization, Geisler 1996); ``estrogen_reservoir_share``: the part of
  peripheral E2 that reaches plasma through the estrone-sulfate pool, which delays the first
  day's fall on an inhibitor.
- ``testicular_estradiol_fraction`` (share of male E2 secreted by the testes) is fitted inside its
  sources' range, 15-25 % (Longcope 1969, de Ronde 2003); ``lh_feedback_e2_pg_ml`` (estradiol
  feedback on LH in men) is fixed at its source value (T'Sjoen 2005, Veldhuis 2005). Fitted freely
  before the castration trial's men were castrated (its castrating agent is not in the file; see
  ``osteotwin.trials.background``), that trial pulled both outside their sources' ranges.
- ``mech_sclerostin_gain``, ``bmd_ls_mech_gain``, ``bmd_hip_mech_gain``: exercise → sclerostin → bone.
- ``bp_emax``, ``bp_ec50_mg``, ``bp_surface_half_life_d``: bisphosphonate effect on osteoclasts;
  ``denosumab_rankl_kon``: denosumab's RANKL removal.
- ``tamoxifen_bone_efficacy``: partial-agonist efficacy of tamoxifen on bone (0 = pure antagonist).
- ``pth_bone_gamma`` (0.2-1): sensitivity of bone (RANKL/OPG) to PTH, i.e. of BMD to calcium and
  vitamin D; ``pth_calcitriol_gamma`` (0-0.6): calcitriol suppression of PTH (PTH response to
  calcium and vitamin D; anchors Chapuy 1992, B-ABLE 25(OH)D association BA12-02). The 25(OH)D
  rise per IU of vitamin D3 (``vitd_slope_ng_ml_per_iu``) is fixed at its sourced value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.errors import UserInputError

FITTED_PARAMETERS_PATH = Path(__file__).resolve().parents[1] / "data" / "model" / "fitted_parameters.yaml"
#: Environment variable naming a fitted set to use instead of the packaged one (e.g. one written by
#: ``osteotwin calibrate -o FILE``).
PARAMETERS_ENV = "OSTEOTWIN_PARAMETERS"

PR10 = "Peterson & Riggs 2010, Bone 46:49-63 (BIOMD0000000613)"
R12 = "Riggs et al. 2012, CPT:PSP 1:e11 (estrogen extension)"
PR12 = "Peterson & Riggs 2012, CPT:PSP 1:e14 (BMD layer)"
CF = "clinical_facts.csv"
HEANEY94 = "Heaney 1994, JBMR 9:1515 (bone-remodelling transient)"
BOIVIN00 = ("Boivin et al. 2000 Bone 27:687 (alendronate vs placebo, mean degree of mineralisation of "
            "iliac bone)")


@dataclass(frozen=True)
class Parameter:
    """One model parameter with its provenance and population spread."""

    name: str
    value: float
    unit: str
    source: str
    description: str
    cv: float = 0.0
    lower: float = 0.0
    upper: float = float("inf")
    calibratable: bool = False


def _p(name: str, value: float, unit: str, source: str, description: str, cv: float = 0.0,
       bounds: tuple[float, float] | None = None, calibratable: bool = False) -> Parameter:
    lower, upper = bounds if bounds is not None else (
        (value * 0.2, value * 5.0) if value > 0 else (value * 5.0, value * 0.2 + 1e-12))
    if value == 0 and bounds is None:
        lower, upper = 0.0, 1.0
    return Parameter(name, value, unit, source, description, cv, lower, upper, calibratable)


PARAMETER_TABLE: tuple[Parameter, ...] = (
    # --- Pharmacokinetics -------------------------------------------------------------------
    _p("anastrozole_half_life_d", 50.0 / 24, "d", f"Arimidex label ~50 h in postmenopausal women ({CF} PK-01); "
       "Mauras 2009 46.8 h in boys (PK-10)",
       "anastrozole elimination half-life", 0.20, (1.5, 2.6)),
    _p("anastrozole_vd_l", 104.0, "L", f"{CF} PK-10: CL/F 1.54 L/h × t½ 46.8 h / ln 2",
       "anastrozole apparent volume (oral)", 0.20, (50.0, 200.0)),
    _p("letrozole_half_life_d", 3.0, "d", "Femara label (t½ ~2-4 d; brief)", "letrozole half-life",
       0.25, (2.0, 4.5)),
    _p("letrozole_vd_l", 130.0, "L", "Femara label (Vss ~1.9 L/kg)", "letrozole volume", 0.20,
       (70.0, 200.0)),
    _p("exemestane_half_life_d", 1.0, "d", "Aromasin label (terminal t½ ~24 h)", "exemestane half-life",
       0.25, (0.5, 2.0)),
    _p("exemestane_vd_l", 2000.0, "L", "Aromasin label (extensive distribution)", "exemestane volume",
       0.25, (1000.0, 4000.0)),
    _p("exemestane_kinact", 0.9, "mL/ng/d",
       "set to reproduce Geisler 1998 (97.9 % in vivo aromatase inactivation at 25 mg/d)",
       "aromatase inactivation rate per exemestane concentration", 0.3, (0.1, 3.0)),
    _p("aromatase_resynthesis_half_life_d", 2.0, "d", "assumption (enzyme turnover; effect recovers within days)",
       "aromatase resynthesis half-life after irreversible inactivation", 0.3, (0.5, 5.0)),
    _p("ai_ki_anastrozole_ng_ml", 0.93, "ng/mL",
       f"{CF} PK-11/PK-12: 96.7 % inhibition at 1 mg/d (Geisler 1996), Css ~27 ng/mL (PK-10)",
       "anastrozole competitive inhibition constant", 0.35, (0.3, 3.0), True),
    _p("ai_ki_letrozole_ng_ml", 0.93, "ng/mL", "Geisler 2002: 98.9 % inhibition at 2.5 mg/d (Css ~83 ng/mL)",
       "letrozole competitive inhibition constant", 0.35, (0.3, 3.0)),
    _p("aromatase_uninhibited_share", 0.10, "1",
       f"{CF} PK-11: Geisler 1996, plasma E2 suppressed by ≥83.5 % while whole-body aromatization "
       "fell 96.7 % (1 mg/d) and 98.1 % (10 mg/d): up to ~0.14 of E2 production escapes the inhibitor "
       "at any dose; the lower bound assumes a few percent (plasma E2 falls less than tracer-measured "
       "aromatization in every such study)",
       "share of peripheral estradiol production no aromatase inhibitor reaches (tissue aromatization "
       "of intracellular substrate)", 0.3, (0.02, 0.15), True),
    _p("estrogen_reservoir_share", 0.3, "1",
       "estrone sulfate, the most abundant circulating estrogen, is a reservoir from which more "
       "active estrogens form (estradiol labels, e.g. Estrace, clinical pharmacology; Kuhl 2005 "
       "Climacteric 8 Suppl 1:3); assumption: this share of peripheral E2 reaches plasma through "
       "that pool and so lags a change in aromatization; calibrated on the Arimidex label's E2 "
       "fall within 24 h of the first dose (~70 %, ~80 % by 14 days; clinical_facts PK-06/07)",
       "share of peripheral estradiol that reaches plasma through the estrone-sulfate pool", 0.3,
       (0.05, 0.6), True),
    _p("estrogen_reservoir_half_life_d", 0.5, "d",
       "assumption: the estrone-sulfate pool turns over in about half a day (unconjugated E2 and "
       "E1 in hours; Kuhl 2005)", "half-life of the estrone-sulfate pool", 0.2, (0.25, 1.0)),
    _p("tamoxifen_half_life_d", 7.0, "d", "Nolvadex label (t½ 5-7 d)", "tamoxifen half-life", 0.25,
       (5.0, 14.0)),
    _p("tamoxifen_vd_l", 1700.0, "L", "Nolvadex label (Css ~120 ng/mL at 20 mg/d)", "tamoxifen volume",
       0.25, (800.0, 3000.0)),
    _p("tamoxifen_kd_ng_ml", 40.0, "ng/mL", "anchor: Powles 1996 JCO 14:78 (premenopausal LS −1.4 %/y on "
       "20 mg/d) with E2 competing for the receptor; ~75 % occupancy at Css ~120 ng/mL without E2",
       "tamoxifen bone estrogen-receptor half-occupancy (competitive with E2)", 0.3, (3.0, 50.0)),
    _p("tamoxifen_bone_efficacy", 0.45, "1", "Riggs 2012 EST scale; tamoxifen preserves BMD in postmenopausal "
       "women and lowers it in premenopausal (Powles 1996)", "bone estrogen signal at full tamoxifen "
       "receptor occupancy (partial agonist)", 0.2, (0.1, 0.8), True),
    _p("testosterone_cypionate_absorption_half_life_d", 8.0, "d", f"{CF} PK-16 (label t½ ~8 d, flip-flop)",
       "IM cypionate depot absorption half-life", 0.25, (4.0, 12.0)),
    _p("testosterone_enanthate_absorption_half_life_d", 4.5, "d", "assumption (enanthate t½ not found; shorter than cypionate)",
       "IM enanthate depot absorption half-life", 0.25, (3.0, 8.0)),
    _p("testosterone_undecanoate_absorption_half_life_d", 30.0, "d", "Aveed/Nebido labels (long-acting IM)",
       "IM undecanoate depot absorption half-life", 0.25, (18.0, 45.0)),
    _p("testosterone_undecanoate_oral_bioavailability", 0.03, "1",
       "Bagchus et al. 2003 Pharmacotherapy 23:319 (Andriol 80 mg with a normal meal: absolute "
       "bioavailability of testosterone 6.8 %; 0.4 % fasting); Jatenzo (self-emulsifying capsule, "
       "label starting dose 237 mg twice daily, titrated to 400-700 ng/dL 6 h after the morning "
       "dose; 434 ng/dL at 3 months in 41 men, single-centre phase IV study of patient satisfaction "
       "with Jatenzo, conference abstract, https://discovery.researcher.life/article/"
       "dbf236d6671d3f34aa233f592e49aa81) implies ~2 % with this model's testosterone clearance; "
       "value between the two. Oral TU is absorbed "
       "through the lymph and its testosterone is short-lived, so it enters as a daily average",
       "fraction of oral testosterone undecanoate's testosterone reaching the circulation (with "
       "food)", 0.3, (0.015, 0.08)),
    _p("testosterone_gel_bioavailability", 0.12, "1",
       f"{CF} PC18-05: 81 mg/d gel gives ~720 ng/dL in castrated men (with MCR below); AndroGel "
       "label: ~10 % of the applied testosterone is absorbed",
       "fraction of gel testosterone absorbed at 81 mg/d", 0.35, (0.05, 0.15)),
    _p("testosterone_gel_half_saturation_mg_d", 80.0, "mg/d",
       "Swerdloff et al. 2000 JCEM 85:4500 (AndroGel 1 %, hypogonadal men: Cavg at 100 mg/d 1.4 "
       "times that at 50 mg/d; 9-14 % of the applied dose bioavailable): a saturable uptake "
       "D/(1 + D/K) gives 1.4 at K = 67 mg/d, ~96 mg/d once the residual endogenous testosterone "
       "under the gel is taken out of both Cavg values; value between the two. Uptake through a "
       "fixed application area is dose-proportional at low doses and saturates at high ones",
       "gel dose at which skin uptake is half of dose-proportional: absorbed = "
       "F·D·(1 + 81/K)/(1 + D/K), F the absorbed fraction at 81 mg/d", 0.0, (40.0, 200.0)),
    _p("testosterone_mcr_l_d", 1350.0, "L/d", "Longcope 1969 (MCR of testosterone ~1000 L/d in men "
       "at physiological levels); Bhasin et al. 2001 Am J Physiol Endocrinol Metab 281:E1172 "
       "(GnRH-agonist-suppressed men, testosterone enanthate 125/300/600 mg weekly: mean nadirs 542, "
       "1345, 2370 ng/dL, which this PK reproduces at ~1350 L/d; 1000 L/d overshoots them by 30-45 %)",
       "metabolic clearance of testosterone", 0.2, (600.0, 1500.0)),
    _p("estradiol_mcr_l_d", 1250.0, "L/d", "Estradot/Climara labels (50 µg/d patch → ~40 pg/mL)",
       "metabolic clearance of estradiol", 0.2, (800.0, 2000.0)),
    _p("estradiol_oral_bioavailability", 0.05, "1", "Estrace label (oral E2 F ~5 %)",
       "oral estradiol bioavailability", 0.3, (0.02, 0.1)),
    _p("alendronate_oral_bioavailability", 0.0064, "1", "Fosamax label (0.64 %)",
       "oral bisphosphonate bioavailability (alendronate; risedronate 0.63 % by label)", 0.3, (0.003, 0.012)),
    _p("bp_bone_uptake_fraction", 0.5, "1", "Fosamax/Reclast labels (~50 % of absorbed dose to bone)",
       "fraction of systemic bisphosphonate retained in bone", 0.2, (0.3, 0.7)),
    _p("zoledronic_relative_potency", 4.0, "1",
       "assumption: ZA 5 mg/y ≈ alendronate 70 mg/wk in BMD effect (HORIZON vs FIT)",
       "bone-bound potency of zoledronic acid relative to alendronate", 0.3, (2.0, 10.0)),
    _p("risedronate_relative_potency", 0.6, "1",
       "head-to-head trials in postmenopausal women: weekly risedronate 35 mg gave 55-65 % of weekly "
       "alendronate 70 mg's 12-month BMD gain (FACT, Rosen et al. 2005 J Bone Miner Res 20:141: "
       "trochanter +2.1 vs +3.4 %; daily risedronate 5 mg, Sebba et al. 2004 Curr Med Res Opin "
       "20:2031: spine +2.8 vs +4.8 %) and the gap widened at 24 months (Bonnick et al. 2006 J Clin "
       "Endocrinol Metab 91:2631); with the saturable bone effect, 0.6 puts the model's 12-month "
       "spine ratio at 0.60 (was 2: equal effect assumed)",
       "bone-bound potency of risedronate relative to alendronate", 0.3, (0.3, 2.0)),
    _p("bp_surface_half_life_d", 800.0, "d", "Grey et al. 2010 JBMR 25:2251, doi:10.1002/jbmr.103 "
       "(one 5 mg zoledronate infusion: CTX −44 %, P1NP −40 %, spine +6.8 % vs placebo at 3 y, "
       "differences stable from 12 to 36 months) and 2009 JCEM 94:538 (stable at 12 and 24 months): "
       "the surface-active drug outlasts 2 y, so the lower bound is 600 d (with 200 d, 72 % of a dose "
       "is gone by 1 y)",
       "half-life of surface-active bone-bound bisphosphonate", 0.3, (600.0, 1500.0), True),
    _p("bp_emax", 0.45, "1", "anchor: CTX −50..−70 % on bisphosphonates (Z-FAST NTX −15 vs +20 %)",
       "maximal fractional increase in osteoclast apoptosis", 0.3, (0.1, 6.0), True),
    _p("bp_ec50_mg", 5.0, "mg alendronate-eq", "assumption; calibration anchor Z-FAST",
       "bone-bound amount for half-maximal effect", 0.3, (1.0, 30.0), True),
    _p("denosumab_bioavailability", 0.62, "1", "Prolia label (62 %)", "SC denosumab bioavailability",
       0.15, (0.4, 0.8)),
    _p("denosumab_ka_d", 0.17, "1/d", "Martínez-Reina & Pivonka 2019", "SC absorption rate", 0.25,
       (0.08, 0.4)),
    _p("denosumab_vc_ml_kg", 77.9, "mL/kg", "Martínez-Reina & Pivonka 2019", "central volume", 0.2,
       (40.0, 120.0)),
    _p("denosumab_ke_d", 0.0115, "1/d", "Martínez-Reina & Pivonka 2019", "linear elimination", 0.25,
       (0.005, 0.03)),
    _p("denosumab_vmax_ng_kg_d", 2672.0, "ng/kg/d", "Martínez-Reina & Pivonka 2019",
       "target-mediated (saturable) elimination capacity", 0.3, (1000.0, 6000.0)),
    _p("denosumab_km_ng_ml", 411.0, "ng/mL", "Martínez-Reina & Pivonka 2019", "saturable elimination Km",
       0.3, (150.0, 1000.0)),
    _p("denosumab_rankl_kon", 3.0e-5, "1/pM/d", "OpenBoneMin kdenosl 2e-6 /pM/h × 24 = 4.8e-5; "
       "bounds: FREEDOM CTX (−86 % at 1 mo, still about −50..−70 % before the next dose; Cummings "
       "2009 NEJM 361:756; Eastell 2011 JBMR 26:530) needs 1e-5 to 1e-4 with this PK (below "
       "1e-5 CTX escapes before each dose); antibody association 1e5-1e6 /M/s (0.009-0.09 /pM/d; "
       "Kd 3 pM, Kostenuik 2009 JBMR 24:182) is the physical ceiling",
       "RANKL removal by denosumab", 0.3, (1e-5, 1e-4), True),
    _p("hcg_half_life_d", 1.2, "d", "Ovidrel (choriogonadotropin alfa) label: terminal half-life "
       "29 ± 6 h after SC injection", "hCG elimination half-life", 0.2, (0.8, 1.8)),
    _p("hcg_bioavailability", 0.4, "1", "Ovidrel label: absolute bioavailability ~40 % SC",
       "SC/IM hCG bioavailability", 0.2, (0.25, 0.6)),
    _p("hcg_vd_l", 5.9, "L", "Ovidrel label: volume of distribution 5.9 ± 1.0 L",
       "hCG volume of distribution", 0.2, (4.0, 9.0)),
    _p("hcg_lh_equivalence", 0.23, "IU/L LH per IU/L hCG", "Coviello et al. 2005 J Clin Endocrinol "
       "Metab 90:2595: on testosterone enanthate 200 mg/wk (LH suppressed to 5 % of "
       "baseline), hCG 500 IU SC every other day raised intratesticular testosterone to 126 % of "
       "baseline (250 IU: 93 %, 125 IU: 75 %); value: the Leydig drive that gives 126 % with this "
       "PK (assumption-derived; no training trial constrains it)",
       "LH-equivalent Leydig-cell drive of serum hCG (men)", 0.3, (0.1, 0.6)),
    _p("goserelin_depot_half_life_d", 10.0, "d", "Zoladex label (3.6 mg implant releases over 28 d)",
       "goserelin depot release half-life", 0.2, (5.0, 20.0)),
    _p("goserelin_ec50_mg", 0.008, "mg", "Zoladex label (castrate testosterone throughout the 28-d "
       "interval); set so men on goserelin settle near the castrate mean of 20 ng/dL (0.2 ± 0.2 "
       "ng/mL at 4 wk, castration trial PC18-01) with the adrenal share; the suppression acts on "
       "pituitary LH secretion (desensitisation after the initial flare, Zoladex label) and on the "
       "gonads' output",
       "depot amount for half-maximal gonadal suppression", 0.3, (0.005, 0.1)),
    # --- Endocrine ---------------------------------------------------------------------------
    _p("aromatase_km_nm", 1.83, "nM", f"{CF} LK10-01 (Lakshman 2010, in vivo aromatase Km)",
       "aromatase Michaelis constant for androgen substrate", 0.2, (1.0, 3.0)),
    _p("androstenedione_nm", 3.0, "nM", "typical adult androstenedione (~0.9 ng/mL)",
       "adrenal androstenedione substrate (both sexes)", 0.3, (1.5, 6.0)),
    _p("testosterone_free_fraction", 0.02, "1", "Vermeulen 1999 (free T ~2 % of total)",
       "free (aromatase-available) fraction of testosterone", 0.2, (0.01, 0.04)),
    _p("androstenedione_free_fraction", 0.1, "1", "assumption (weak albumin binding)",
       "free fraction of androstenedione", 0.0, (0.05, 0.3)),
    _p("androstenedione_route_weight", 0.26, "1",
       f"{CF} PC18-02: castrated men keep ~5 pg/mL E2 (vs ~25 intact)",
       "relative E2 yield of androstenedione vs testosterone aromatization", 0.3, (0.1, 1.0)),
    _p("testicular_estradiol_fraction", 0.22, "1", "Longcope 1969; de Ronde 2003 (~15-25 % of "
       "circulating E2 in men is secreted by the testes); T'Sjoen 2005 JCEM 90:5717 (letrozole "
       "2.5 mg lowers E2 in older men by only 62 % while T doubles: ~0.2 of E2 follows Leydig "
       "output)", "share of untreated male E2 secreted by the testes (intratesticular substrate "
       "~100× serum: AIs barely compete there)", 0.3, (0.15, 0.25), True),
    _p("male_estradiol_pg_ml", 22.0, "pg/mL", "typical older-man E2 (LC-MS ~20-25; clinical_facts §5)",
       "default untreated male estradiol", 0.35, (8.0, 50.0)),
    _p("male_testosterone_ng_dl", 420.0, "ng/dL", "typical older-man total T (Burnett-Bowie/Leder 319-397)",
       "default untreated male testosterone", 0.3, (150.0, 900.0)),
    _p("adrenal_testosterone_ng_dl", 16.0, "ng/dL", "castrate (non-testicular, adrenal-precursor) "
       "testosterone at 65 y, on the age line through Oefelein 2000 J Urol 164:726 (mean after "
       "bilateral orchiectomy in older men 15 ng/dL) and Finkelstein 2013 NEJM 369:1011 (men 20-50 y "
       "on goserelin with placebo gel: 44 ± 13 ng/dL, which includes ~5 ng/dL of residual testicular "
       "output under goserelin); castration trial 0.2 ± 0.2 ng/mL at 4 wk (PC18-01)",
       "men: testosterone not made by the testes at 65 y (capped at half the man's own untreated "
       "level)", 0.3, (8.0, 35.0)),
    _p("adrenal_testosterone_age_slope_per_y", 0.029, "1/y", "ln(44/15)/37 y between the two sources "
       "above (mean ages ~35 and ~72); adrenal androgen precursors (DHEA-S) fall ~2-3 %/y with age",
       "log-linear fall of the castrate testosterone with age", 0.3, (0.01, 0.05)),
    _p("female_testosterone_ng_dl", 25.0, "ng/dL", "typical adult female total T",
       "female testosterone (adrenal + ovarian stroma)", 0.3, (8.0, 60.0)),
    _p("postmenopausal_estradiol_pg_ml", 8.0, "pg/mL", f"{CF} PK-14: most women on AI below LLOQ; untreated ~5-15",
       "default postmenopausal (peripheral aromatization) estradiol", 0.4, (2.0, 25.0)),
    _p("premenopausal_ovarian_estradiol_pg_ml", 90.0, "pg/mL", f"{R12} (EST = 1 at ~100 pg/mL)",
       "cycle-average ovarian estradiol before menopause", 0.3, (40.0, 200.0)),
    _p("menopause_transition_width_y", 0.7, "y", "Randolph 2011 JCEM 96:746 (SWAN): E2 starts to fall "
       "2.03 y before the FMP and is stable 2.17 y after (5-95 % of a logistic over +-2 y); Sowers "
       "2008 JCEM 93:3847 (Michigan): -67 % from FMP-2 to FMP+2 y and a second, smaller fall 6-8 y "
       "after the FMP (a longer tail: up to ~1.2 y)",
       "logistic width of the decline of mean ovarian E2 around the final menstrual period", 0.2,
       (0.5, 1.2), True),
    _p("menopause_midpoint_y", 0.0, "y", "Randolph 2011 JCEM 96:746 (SWAN): E2 falls fastest at the "
       "FMP on the log scale they modelled, which puts half of the linear decline up to ~0.9 y "
       "before it (peripheral E2 stays); Sowers 2008 JCEM 93:3847: decline begins ~2 y before",
       "years since FMP at which mean ovarian E2 is half its premenopausal output", 0.0,
       (-1.0, 0.5), True),
    _p("ovarian_intermittency", 0.5, "1", "Santoro 1996 JCEM 81:1495 and Burger 2002 Recent Prog "
       "Horm Res 57:257 (late-transition cycles alternate between ovulatory or high-E2 cycles and "
       "hypo-estrogenic spells); STRAW+10, Harlow 2012 JCEM 97:1159 (late transition: amenorrhoea "
       ">= 60 d); how the fall of mean E2 splits between spells and lower output is not measured "
       "(0-1; default the midpoint)", "share of the fall of mean ovarian E2 across the menopause "
       "transition that comes as hypo-estrogenic spells rather than lower E2 in active cycles", 0.0,
       (0.0, 1.0), True),
    _p("fat_aromatization_exponent", 1.0, "1", "Longcope 1969; aromatization scales with adipose mass",
       "exponent of weight/75 kg scaling of peripheral aromatization", 0.2, (0.3, 1.5)),
    _p("male_lh_iu_l", 5.0, "IU/L", "typical adult male LH (reference range ~1.5-9 IU/L)",
       "untreated male LH: sets each man's LH_max so his baseline LH is typical", 0.3, (2.0, 12.0)),
    _p("lh_max_female_iu_l", 35.0, "IU/L", "postmenopausal LH range", "LH with no feedback (women)",
       0.3, (15.0, 70.0)),
    _p("lh_feedback_e2_female_pg_ml", 35.0, "pg/mL", "assumption set to adult reference ranges: "
       "LH ~2-10 IU/L at premenopausal mean E2 (~100 pg/mL) and ~15-60 IU/L after menopause; with "
       "the Hill exponent below, ~6 IU/L at 100 pg/mL and ~31 IU/L at 8 pg/mL",
       "women: E2 of unit LH-feedback strength (cycle-averaged)", 0.3, (20.0, 60.0)),
    _p("lh_feedback_hill_female", 1.5, "1", "assumption (as above); an AI then raises a "
       "postmenopausal woman's LH by ~10 %", "women: Hill exponent of LH feedback", 0.0, (1.0, 3.0)),
    _p("lh_feedback_e2_pg_ml", 12.0, "pg/mL", "T'Sjoen 2005 JCEM 90:5717 (letrozole in older men: "
       "E2 −62 %, LH +323 %, T +99 %); Veldhuis 2005 JCEM 90:211 (anastrozole: E2 −50 %, LH ×2.1); "
       "E2 carries most male LH feedback (Hayes 2000; PMC2266963)",
       "E2 concentration of unit LH-feedback strength", 0.3, (4.0, 40.0)),
    _p("lh_feedback_t_ng_dl", 800.0, "ng/dL", "PMC2266963 (Pitteloud 2008: T add-back halves LH "
       "under aromatase blockade, an independent hypothalamic effect); with K_E above E2 carries "
       "~80 % of the feedback at baseline, as the AI responses (T'Sjoen 2005) require",
       "testosterone concentration of unit LH-feedback strength", 0.3, (150.0, 1200.0)),
    _p("lh_feedback_hill", 3.0, "1", "published LH rises in men on an aromatase inhibitor span "
       "×1.55 (Leder et al. 2004, anastrozole 1 mg) and ×2.1 (Veldhuis et al. 2005 JCEM 90:211, "
       "anastrozole) to ×4.2 (T'Sjoen et al. 2005 JCEM 90:5717, letrozole 2.5 mg, E2 −62 %); 3 "
       "gives anastrozole ×2.4 and letrozole ×2.5 in a man of 50 (4: ×2.8 and ×2.9); TRT "
       "suppresses LH by ~80-90 % (testosterone gel labels; cypionate 100 mg weekly, 17 weeks in: "
       "−63 % at 3, −70 % at 4); bounds: the span of those responses",
       "Hill exponent of LH feedback", 0.0, (2.5, 4.0), True),
    _p("lh_half_life_d", 1.0, "d", "assumption (LH pulsatility averaged; axis adapts over ~days)",
       "time constant of LH response", 0.3, (0.3, 5.0)),
    _p("testis_lh50_iu_l", 8.0, "IU/L", "T'Sjoen 2005 JCEM 90:5717: LH ×4.2 raises T ×2 in older "
       "men, i.e. half-maximal Leydig output at ~1.6× typical LH (5 IU/L)",
       "LH for half-maximal testicular T output", 0.3, (2.0, 15.0)),
    # --- Estrogen → bone (Riggs 2012) ---------------------------------------------------------
    _p("est_ref_pg_ml", 100.0, "pg/mL", R12, "E2 at which the EST map is normalised (x = E2/100)", 0.0,
       (100.0, 100.0)),
    _p("est_ec50_frac", 0.15, "1", f"{R12} eq. 6", "E2 fraction for half-maximal bone estrogen signal",
       0.25, (0.08, 0.30), True),
    _p("est_hill", 2.1, "1", f"{R12} eq. 6", "Hill exponent of the E2 → EST map", 0.15, (1.5, 3.0), True),
    _p("est_floor", 0.05, "1", "assumption: residual estrogenic signal at AI-suppressed E2 (tissue "
       "E2, other ER ligands); also keeps (1/EST)^γ finite", "minimal bone estrogen signal EST", 0.3,
       (0.003, 0.15), True),
    _p("rob_est_gamma", 0.16, "1", f"{R12} robGAM", "EST effect on responding-osteoblast production", 0.25,
       (0.08, 0.40), True),
    _p("tgfb_est_gamma", 0.0374, "1", f"{R12} tgfbGAM (OpenBoneMin 0.0374, paper 0.075)",
       "EST effect on latent TGF-β production", 0.25, (0.02, 0.15), True),
    _p("tgfb_act_est_gamma", 0.045273, "1", f"{R12} tgfbactGAM", "EST effect on TGF-β activation", 0.0,
       (0.02, 0.1)),
    _p("ob_apoptosis_est_gamma", 1.2e-5, "1", f"{R12} E2scalePicB1", "EST effect on osteoblast apoptosis",
       0.0, (0.0, 1e-4)),
    _p("kidney_est_frac", 0.0847, "1", f"{R12} tmEST: (1-0.923737)/0.9", "EST effect on renal Ca reabsorption",
       0.0, (0.0, 0.2)),
    _p("testosterone_bone_gamma", 0.05, "1", "DESIGN.md: modest direct (AR) androgen effect; "
       "Finkelstein 2013 NEJM 369:1011 (E2 dominates male bone, T adds); anchor Burnett-Bowie 2009 "
       "(LS −1.7 %/y on anastrozole while T rises ~60 % and E2 falls)",
       "power of ((T + offset)/500 ng/dL) on BMD formation", 0.0, (0.0, 0.1)),
    _p("lumbar_spine_androgen_share", 0.35, "1", "Finkelstein et al. 2016 JCI 126:1114 (400 men on "
       "goserelin with graded testosterone gel, half with anastrozole: the fall in spine trabecular "
       "vBMD followed estradiol and did not depend on the testosterone dose, while testosterone "
       "and estradiol both mattered for cortical bone); assumption: PA-spine DXA also measures "
       "the vertebral cortical shell and posterior elements (value: about a third; bounds: "
       "trabecular only to mostly cortical)",
       "share of the direct androgen term ((T + offset)/500)^γ_T that lumbar-spine formation "
       "carries (hips: all of it)", 0.0, (0.0, 0.6), True),
    _p("testosterone_bone_offset_ng_dl", 200.0, "ng/dL", "Finkelstein 2016 JCI 126:1114 (goserelin "
       "with graded testosterone gel ± anastrozole, 400 men: testosterone above ~200 ng/dL, with E2 "
       "above 10 pg/mL, generally prevented rises in resorption and falls in BMD; spine QCT loss under "
       "anastrozole did not depend on the testosterone dose); first-year loss on ADT, LS −2.3 to "
       "−4.8 %, hip −1.4 to −3.8 % (Greenspan 2005 JCEM 90:6410; review table PMC5508230)",
       "offset of the androgen term ((T + offset)/500)^γ_T: changes well below it matter little, so "
       "castrate testosterone lowers formation far less than a pure power law", 0.0, (20.0, 400.0)),
    # --- Bone cells (Peterson & Riggs 2010, day units) -----------------------------------------
    _p("kb_d", 0.000605516 * 24, "1/d", f"{PR10} kb", "osteoblast elimination rate", 0.0, (0.005, 0.03)),
    _p("da_d", 0.7, "1/d", f"{PR10} Da = 0.7/24 /h", "osteoclast turnover rate constant", 0.0, (0.3, 1.5)),
    _p("k_tgfb_d", 2.98449e-5 * 24, "1/d", f"{PR10} koutTGF0", "latent TGF-β turnover", 0.0,
       (2e-4, 2e-3)),
    _p("latent_tgfb_capacity", 1.15, "1", "latent TGF-β is laid down in the matrix by osteoblasts and "
       "released by resorption (Bonewald & Mundy 1990 Clin Orthop 250:261; Tang et al. 2009 Nat Med "
       "15:757), so under an antiresorptive, which lowers formation with resorption, the store cannot "
       "grow as Peterson & Riggs's formation-independent production lets it (×1.55 after 2 years of "
       "denosumab, and on for years); value set so that stopping denosumab gives back about what it "
       "gained, as published (BMD back to about its pre-treatment level within a year or so of the "
       "missed dose after 2 years of treatment, Cummings et al. 2018 J Bone Miner Res 33:190; −6.7 % "
       "at the spine in the year off it after 8 years, McClung et al. 2017 Osteoporos Int 28:1723), "
       "where without a capacity the model lost 2-3 times as much; shape (Hill 8): assumption; "
       "bounds: osteotwin's probe range (1.05: the store hardly grows; 3: as without a capacity "
       "over 8 years of denosumab, spine loss in the year off 19.9 against 20.0 %)",
       "latent TGF-β the matrix can hold, as a ratio to the reference store: production falls as "
       "the store nears it", 0.0, (1.05, 3.0)),
    _p("rankl_kout_d", 0.00293273 * 24, "1/d", f"{PR10} koutL", "RANKL elimination", 0.0, (0.02, 0.2)),
    _p("rank_kout_d", 0.00323667 * 24, "1/d", f"{PR10} koutRNK", "RANK elimination", 0.0, (0.02, 0.2)),
    _p("opg_kout_d", 15.8885 * 24, "1/d", f"{PR10} kO", "OPG elimination", 0.0, (100.0, 800.0)),
    _p("k_bind_pm_d", 6.24e-6 * 24, "1/pM/d", f"{PR10} k1 = k3", "RANKL–RANK/OPG association", 0.0,
       (5e-5, 5e-4)),
    _p("k_unbind_d", 0.112013 * 24, "1/d", f"{PR10} k2 = k4", "complex dissociation", 0.0, (1.0, 6.0)),
    _p("pth_bone_gamma", 1.0, "1", f"{PR10} (1 = as published); lowered if calcium/vitamin D "
       "effects on BMD are too strong (B-ABLE: AI + Ca/D still loses 1.7 % LS, BA12-01)",
       "sensitivity of RANKL/OPG to PTH: PTH enters bone as 3.85·(PTH/3.85)^γ pM", 0.0,
       (0.2, 1.0), True),
    _p("age_bmd_loss_pct_y", 0.35, "%/y", f"{CF} CW09-01 (MrOS FN ~0.37 %/y at ~74 y; 0.008 vs "
       "0.021 g/cm2 over 4.6 y at 65 vs 85 y)",
       "men: background BMD loss at age 75 (ramps linearly from 0 at 50), every site's bone (the "
       "PA spine adds its own drift)", 0.5,
       (0.0, 1.2), True),
    _p("age_bmd_loss_female_pct_y", 0.65, "%/y", "Ensrud 1995 JBMR 10:1778 (SOF, 5,698 women >= 65 y: "
       "total hip -2.5 mg/cm2/y at 67-69 y to -10.4 at >= 85 y, i.e. ~0.3 to ~1.6 %/y); "
       f"{CF} ML00-01 (Melton 2000: women FN ~-1.0 %/y)",
       "women: background BMD loss at age 75 (rises with the square of age - 50), every site's "
       "bone (the PA spine adds its own drift)",
       0.5, (0.2, 1.2), True),
    _p("lumbar_spine_age_loss_share", -0.5, "1", "Greenspan 1994 JBMR 9:1959 (women >= 65 y, "
       "mean 77, DXA over 1 y: total hip -0.95 %/y, lumbar spine +0.94 %/y, i.e. about -1; the "
       "earlier longitudinal studies it cites: spine loss ceases after 65, i.e. 0; value: the "
       "midpoint); Orwoll 1990 JCEM "
       "70:1202 (men: osteophytes and aortic calcification raise PA-spine BMD); Riggs 2004 JBMR "
       "19:1945 (vertebral periosteal apposition with age); Melton 2000 JBMR 15:24 (femoral neck "
       "-1.0 %/y in women, not slowing with age). 1 = as the hip (P&R 2012 single age term)",
       "women: share of the age-related background loss that PA lumbar-spine BMD shows (< 1: "
       "degenerative gain and vertebral periosteal apposition offset it; < 0: net gain)",
       0.0, (-1.0, 1.0), True),
    _p("lumbar_spine_age_gain_male_pct_y", 1.07, "%/y",
       "Zmuda et al. 2000 J Bone Miner Res 15:1417 (102 community-dwelling men aged 51-81, mean "
       "67, DXA 4 y apart: PA lumbar spine +0.73 ± 1.11 %/y while the lateral spine and the hip "
       "fell): 1.07 at 75 y is +0.73 %/y at 67 on the men's age shape; bounds from the mean's 95 % "
       "interval (0.51-0.95 %/y at 67); Orwoll 1990 JCEM 70:1202 (osteophytes and aortic "
       "calcification raise men's PA-spine BMD)",
       "men: net age drift of PA lumbar-spine BMD at 75 y (rises with age on the same shape as "
       "the background loss; the vertebral bone itself loses as the hip)",
       0.0, (0.75, 1.40), True),
    # --- BMD layer (Peterson & Riggs 2012; Eudy 2015 hip) -------------------------------------
    # Matrix balance M (P&R 2012 indirect response). With the remodelling space split off (below),
    # kout is the slow per-cycle balance: about the fraction of the site's bone renewed per year
    # (trabecular ~25 %/y, cortical ~3-5 %/y; Parfitt 1983; Manolagas 2000 Endocr Rev 21:115).
    _p("bmd_ls_kout_d", 0.0015, "1/d", f"{PR12} structure; rate: spine ~2/3 trabecular, ~25 %/y renewed "
       "(Parfitt 1983; Manolagas 2000) ≈ 0.0007/d", "LS matrix (balance) turnover", 0.25,
       (0.0002, 0.003), True),
    _p("bmd_ls_gamma_oc", 0.18, "1", f"{R12} LS γOC (0.14); Eudy 2015 sets up to ~0.3",
       "LS matrix sensitivity to osteoclasts", 0.25, (0.05, 0.35), True),
    _p("bmd_gamma_ob", 0.0793, "1", f"{PR12} γOB", "BMD sensitivity to osteoblasts", 0.2,
       (0.03, 0.3)),
    _p("bmd_th_kout_d", 0.0004, "1/d", "Eudy 2015 total hip structure; rate: hip mostly cortical, "
       "~5-15 %/y renewed (Parfitt 1983; Manolagas 2000)", "total hip matrix (balance) turnover", 0.25,
       (0.0001, 0.002), True),
    _p("bmd_th_gamma_oc", 0.30, "1", "Eudy 2015 hip sets 0.055-0.13 (with their faster kout); "
       "calibration anchor ATAC TH 5 y", "total hip matrix sensitivity to osteoclasts", 0.25,
       (0.04, 0.35), True),
    _p("bmd_fn_kout_d", 0.0005, "1/d", "assumption: as total hip (P&R FN set t½ 14 y; hip renewal rates above)",
       "femoral neck matrix (balance) turnover", 0.25, (0.0001, 0.002), True),
    _p("bmd_fn_gamma_oc", 0.22, "1", "assumption; calibration anchors Lønning, LIFTMOR FN",
       "femoral neck matrix sensitivity to osteoclasts", 0.25, (0.03, 0.35), True),
    _p("bmd_matrix_turnover_power", 0.0, "1", "Parfitt 1983; Heaney 1994: the focal balance accrues per "
       "remodelling cycle, so the matrix changes at a pace set by activation frequency (0 = constant "
       "kout as in P&R 2012; steady states do not depend on it)",
       "power of OC/OC0 on the matrix-balance rate kout", 0.0, (0.0, 1.0), True),
    _p("bmd_matrix_low_turnover_power", 1.0, "1", "Parfitt 1983 (net bone change = activation frequency "
       "× focal balance); Heaney 1994: below reference activation the focal balance accrues only "
       "as fast as new remodelling units form, so suppressed turnover (antiresorptives) freezes it "
       "(1 = in proportion); at or above reference, bmd_matrix_turnover_power alone",
       "extra power of OC/OC0 on the matrix-balance rate below reference turnover", 0.0,
       (0.5, 1.0), True),
    # Remodelling space (reversible "remodelling transient"; Heaney 1994 JBMR 9:1515; Heaney, Yates &
    # Santora 1997 JBMR 12:1143; Hernandez et al. 2001 Bone 29:511): bone resorbed but not yet
    # refilled grows with osteoclast number and is refilled over one formation period, so a change
    # in turnover moves BMD within months, and antiresorptives give most of it back.
    _p("remodel_space_formation_period_d", 120.0, "d", f"{HEANEY94}: formation phase ~3-4 mo; "
       "Eriksen 1986 Endocr Rev 7:379 (trabecular formation period ~3-5 mo); upper bound 150 d, "
       "the source's 5 months (a 250-day bound let the fit go to 8 months; at 150 d the re-fitted "
       "set passes as many training endpoints)",
       "time to refill a resorption cavity (remodelling-space time constant)", 0.2, (60.0, 150.0),
       True),
    _p("remodel_space_ls", 0.03, "1", f"{HEANEY94}; Heaney, Yates & Santora 1997 (alendronate LS gain "
       "in year 1 mostly the transient); lower bound 0.02: a first-year antiresorptive spine gain of "
       "~4-5 % is mostly the transient (Heaney 1994), which the space must be able to hold at "
       "postmenopausal turnover", "LS BMD fraction held in the remodelling space at reference "
       "turnover (trabecular: large surface)", 0.25, (0.02, 0.08), True),
    _p("remodel_space_hip", 0.025, "1", f"{HEANEY94}; hip mostly cortical: smaller surface/volume, "
       "smaller transient (alendronate/denosumab hip gains about half the LS gains, so the lower "
       "bound is about half the spine's, 0.012)",
       "total hip and femoral neck BMD fraction held in the remodelling space at reference turnover",
       0.25, (0.012, 0.05), True),
    # Ceiling of the matrix gain from low turnover (secondary mineralisation; Boivin & Meunier 2002
    # Calcif Tissue Int 70:503): an antiresorptive freezes old bone, which goes on mineralising
    # towards full mineralisation, so the gain saturates instead of following (OC/OC0)^-γOC.
    # The ceiling is relative to the premenopausal reference (OC = OC0); the untreated
    # postmenopausal matrix sits ~5-15 % below it, so the ~7-12 % mineralisation gain measured from
    # the postmenopausal state bounds it above.
    _p("bmd_ls_turnover_gain_max", 0.05, "1", f"{BOIVIN00}: cancellous +7.3 % at 2 y, +11.4 % at 3 y; "
       "Roschger 2010 JBMR 25:48 (FLEX: no further rise from 5 to 10 y of alendronate)",
       "LS ceiling of the matrix gain from suppressed turnover, above the premenopausal reference "
       "(fraction of reference BMD)", 0.25, (0.02, 0.12), True),
    _p("bmd_hip_turnover_gain_max", 0.05, "1", f"{BOIVIN00}: compact bone +9.3 % at 2 y, +11.6 % at 3 y",
       "total hip and femoral neck ceiling of the matrix gain from suppressed turnover, above the "
       "premenopausal reference", 0.25, (0.02, 0.12), True),
    # Estrogen-dependent modeling-based formation, not gated by remodelling: estrogen lowers
    # osteocyte sclerostin (Mödder et al. 2011 J Bone Miner Res 26:27: transdermal estradiol
    # −27 % in postmenopausal women; Mirza et al. 2010 J Clin Endocrinol Metab 95:1991: higher
    # after menopause, inversely related to estradiol), and sclerostin restrains bone formation on
    # quiescent surfaces that needs no prior resorption (Ominsky et al. 2014 J Bone Miner Res
    # 29:1424), which antiresorptives therefore do not block: published antiresorptive effects add
    # to an aromatase inhibitor's loss instead of cancelling it (denosumab on an AI +10 points over
    # placebo at 3 y, ABCSG-18 training file; in women not on one 9.2, FREEDOM, Cummings et al. 2009
    # N Engl J Med 361:756).
    _p("estrogen_modeling_half_life_d", 365.0, "d", "assumption: modeling-based formation follows a "
       "change in estrogen over months to years (AI losses accrue over 2-5 y; ATAC bone substudy)",
       "half-life of the modeling-based formation's response to the bone estrogen signal", 0.3,
       (90.0, 1500.0), True),
    _p("estrogen_modeling_floor", 0.02, "1", "assumption: residual signal of the route when "
       "estrogen-receptor activation is nil (keeps its logarithm finite). Under the fitted E2 map "
       "an untreated postmenopausal woman's activation is ~0.01 (5 pg/mL), below it, so it damps the "
       "route's answer to falls under her level; fitting it gave no gain (docs/model.md)",
       "residual added to the bone estrogen-receptor activation (EST above its floor) that the "
       "modeling route follows", 0.0,
       (0.005, 0.1)),
    _p("bmd_ls_estrogen_modeling_gain", 0.0, "1", "Mödder et al. 2011; Ominsky et al. 2014 (see "
       "above); 0 = remodelling-only model", "LS BMD exponent of the lagged bone estrogen signal "
       "(modeling-based formation)", 0.3, (0.0, 0.08), True),
    _p("bmd_hip_estrogen_modeling_gain", 0.0, "1", "as the spine's", "total hip and femoral neck "
       "BMD exponent of the lagged bone estrogen signal", 0.3, (0.0, 0.08), True),
    # --- Mechanical loading (Scheiner 2013 idea; magnitude from LIFTMOR) ----------------------
    _p("mech_weight_light", 0.3, "1/session", "assumption (ACSM/ESSA: light loads barely osteogenic)",
       "stimulus per light resistance session/week", 0.0, (0.0, 0.6)),
    _p("mech_weight_moderate", 0.6, "1/session", "assumption", "stimulus per moderate session/week", 0.0,
       (0.3, 1.0)),
    _p("mech_weight_high", 1.0, "1/session", f"{CF} LF18-01 (LIFTMOR HiRIT)", "stimulus per high-intensity session/week",
       0.0, (1.0, 1.0)),
    _p("mech_weight_impact", 0.5, "1/session", "assumption (ESSA Beck 2017)", "stimulus per impact session/week",
       0.0, (0.2, 1.0)),
    _p("mech_weight_aerobic_150min", 0.3, "1", "assumption (Kohrt 2004: walking modestly osteogenic)",
       "stimulus per 150 min/week weight-bearing aerobic", 0.0, (0.0, 0.6)),
    _p("mech_sclerostin_gain", 0.25, "1", "assumption; calibration anchor LIFTMOR (+4 pts LS vs control, 8 mo; LF18-01)",
       "fractional sclerostin fall per stimulus unit (1/(1+g·s))", 0.4, (0.05, 0.8), True),
    _p("sclerostin_half_life_d", 21.0, "d", "assumption (osteocyte adaptation over weeks)",
       "sclerostin adaptation time constant", 0.3, (7.0, 60.0)),
    _p("mech_accommodation_half_life_d", 180.0, "d",
       "Turner 1998 Bone 23:399 (rule 3: bone cells accommodate to customary loading); Schriefer "
       "et al. 2005 J Biomech 38:1838 (the osteogenic response to a constant loading regimen "
       "wanes); in women and men, supervised high-load and impact programmes give most of their "
       "spine and hip gain within the first year (ACSM Kohrt 2004; ESSA Beck 2017). Value: "
       "assumption; half-life of the osteocytes' accommodation to a new loading",
       "half-life of accommodation to a new loading", 0.3, (60.0, 540.0)),
    _p("mech_unaccommodated_share", 0.2, "1",
       "assumption (Turner 1998: accommodation is partial; habitually loaded bone stays denser, "
       "e.g. the playing arm of tennis players): share of a customary loading the osteocytes keep "
       "responding to",
       "share of a sustained loading not accommodated", 0.3, (0.0, 0.5)),
    _p("sclerostin_rob_gamma", 0.1, "1", "Martin 2019 structure (sclerostin inhibits OB lineage)",
       "power of sclerostin on responding-osteoblast production", 0.3, (0.0, 1.0)),
    _p("sclerostin_rankl_gamma", 0.02, "1", "Scheiner 2013 (disuse raises RANKL)",
       "power of sclerostin on RANKL production (small: exercise barely moves CTX)", 0.3, (0.0, 0.3)),
    _p("bmd_ls_mech_gain", 0.1, "1", "assumption; calibration anchor LIFTMOR LS", "direct sclerostin effect on LS formation",
       0.4, (0.0, 2.0), True),
    _p("bmd_hip_mech_gain", 0.12, "1", "assumption; calibration anchor LIFTMOR FN", "direct sclerostin effect on hip formation",
       0.4, (0.0, 2.0), True),
    # --- Calcium, PTH, vitamin D (Peterson & Riggs 2010, reduced) -----------------------------
    _p("ca_day_mmol_d", 88.0, "mmol/d", f"{PR10} CaDay", "bone ↔ plasma calcium turnover", 0.0,
       (60.0, 120.0)),
    _p("frac_j14", 0.107763, "1", f"{PR10} FracJ14", "osteoclast-dependent share of bone Ca release",
       0.0, (0.05, 0.3)),
    _p("j14_oc_max", 0.543488, "1", f"{PR10} J14OCmax", "max of osteoclast Ca release Hill", 0.0,
       (0.3, 1.0)),
    _p("j14_oc_gamma", 1.6971, "1", f"{PR10} J14OCgam", "Hill exponent of osteoclast Ca release", 0.0,
       (1.0, 3.0)),
    _p("j14_moc_gamma", 0.603, "1", f"{PR10} MOCratioGam", "RANK-RANKL per osteoclast effect", 0.0,
       (0.3, 1.0)),
    _p("frac_j15", 0.114376, "1", f"{PR10} FracJ15", "osteoblast-dependent share of bone Ca uptake",
       0.0, (0.05, 0.3)),
    _p("reference_calcium_intake_mmol_d", 24.055, "mmol/d", f"{PR10} OralCa", "reference oral calcium",
       0.0, (24.055, 24.055)),
    _p("gut_transit_d", 4.0, "1/d", "assumption (small-intestinal transit ~6 h)",
       "rate of unabsorbed calcium leaving the gut pool", 0.0, (2.0, 8.0)),
    _p("gut_passive_frac_of_absorbed", 0.4, "1", "assumption (paracellular share at usual intakes)",
       "passive share of calcium absorption at reference", 0.0, (0.2, 0.6)),
    _p("gut_absorbed_ref_mmol_d", 6.0, "mmol/d", "~25 % fractional absorption at ~960 mg/d (IOM 2011)",
       "absorbed calcium at reference intake", 0.15, (4.0, 8.0)),
    _p("gut_r_rate_d", 0.5, "1/d", f"{PR10} (T36/T37, reduced)", "adaptation rate of active absorption",
       0.0, (0.1, 2.0)),
    _p("gfr_l_d", 144.0, "L/d", f"{PR10} GFR 100 mL/min", "glomerular filtration rate", 0.15, (60.0, 200.0)),
    _p("reabs50_mm", 1.573, "mM", f"{PR10} Reabs50", "half-saturation of tubular Ca reabsorption", 0.0,
       (1.0, 2.5)),
    _p("kidney_pth_emax", 1.06147, "1", f"{PR10} T16", "PTH effect on tubular reabsorption: "
       "Emax·PTH/(PTH50 + PTH), PTH50 = 3.85·(Emax − 1)", 0.0, (1.0, 1.5)),
    _p("pth_kout_d", 100.0 / 14 * 24, "1/d", f"{PR10} kout (t½ ~6 min)", "PTH elimination", 0.0,
       (50.0, 400.0)),
    _p("pth_ca_gamma", 11.74, "1", f"{PR10} T59", "calcium-sensing Hill exponent", 0.0, (6.0, 15.0)),
    _p("pth_max_ratio", 6249.0 / 96.25, "1", f"{PR10} T58/T61", "max/min PTH secretion", 0.0,
       (20.0, 100.0)),
    _p("pth_calcitriol_gamma", 0.5, "1", "reduced from P&R 2010 gland pool (calcitriol suppresses PTH); "
       "set so that calcium 1 g + vitamin D3 lower PTH by ~15 % vs none (Chapuy 1992 NEJM "
       "327:1637: -44 % in deficient elderly women; Tang 2007 Lancet 370:657) and 25(OH)D "
       "protects BMD on an AI (B-ABLE, BA12-02/BA12-03)",
       "power of calcitriol on PTH secretion", 0.0, (0.0, 0.6), True),
    _p("calcitriol_kout_d", 2.4, "1/d", f"{PR10} 0.1 /h", "calcitriol elimination", 0.0, (1.0, 5.0)),
    _p("hydroxylase_kout_d", 1.2, "1/d", f"{PR10} 0.05 /h", "1α-hydroxylase turnover", 0.0, (0.5, 3.0)),
    _p("hydroxylase_pth_gamma", 0.4, "1", "reduced from P&R 2010 T68", "power of PTH on 1α-hydroxylase", 0.0,
       (0.1, 1.0)),
    _p("vitd_km_ng_ml", 20.0, "ng/mL", "assumption (substrate limitation in deficiency; IOM 2011)",
       "25(OH)D half-saturation of calcitriol synthesis", 0.2, (8.0, 40.0)),
    _p("vitd_half_life_d", 15.0, "d", "25(OH)D t½ ~2-3 weeks", "25(OH)D half-life", 0.2, (10.0, 30.0)),
    _p("vitd_slope_ng_ml_per_iu", 0.02, "ng/mL per IU/d", f"{CF} NG10-02 (B-ABLE, deficient women: "
       "+32.6 ng/mL (28.1-37.0) at 3 mo on 800 IU/d + 16,000 IU/2 wk; this value gives +32.5 from a "
       "mean of 17 ng/mL; replete people respond less, Heaney 2003 ~0.01 per IU/d). Fixed, not "
       "fitted: fitted to the BMD endpoints it went to its lower bound, a third of this rise",
       "initial rise of steady-state 25(OH)D per IU/d", 0.35, (0.005, 0.03)),
    _p("vitd_saturation_iu", 8000.0, "IU/d", "Heaney 2003 AJCN 77:204 (25(OH)D rise near-linear up "
       "to 10,000 IU/d); Gallagher 2012 Ann Intern Med 156:425 (flattens at high doses); "
       f"{CF} NG10-02 (+32.6 ng/mL at 3 mo on ~1,900 IU/d-equivalent)",
       "intake for half of linear response", 0.3, (2000.0, 12000.0)),
    _p("vitd_endogenous_ng_ml", 22.0, "ng/mL", "NHANES adult mean 25(OH)D without supplements",
       "25(OH)D from sun and diet without supplements", 0.35, (5.0, 45.0)),
)

NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETER_TABLE)
INDEX: dict[str, int] = {name: i for i, name in enumerate(NAMES)}
_BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETER_TABLE}


@dataclass(frozen=True)
class ModelParameters:
    """A parameter vector (order of ``PARAMETER_TABLE``) with its provenance label."""

    values: NDArray[np.float64]
    names: tuple[str, ...] = NAMES
    provenance: str = "defaults (parameters.py)"

    def __getitem__(self, name: str) -> float:
        return float(self.values[INDEX[name]])

    def replace(self, **changes: float) -> ModelParameters:
        """A copy with some values changed (unknown names raise UserInputError)."""
        values = self.values.copy()
        for name, value in changes.items():
            if name not in INDEX:
                raise UserInputError("parameter", name, "a name in PARAMETER_TABLE")
            values[INDEX[name]] = value
        return ModelParameters(values, self.names, self.provenance + " (modified)")


def parameter(name: str) -> Parameter:
    return _BY_NAME[name]


def default_parameters() -> ModelParameters:
    """The table's literature values."""
    return ModelParameters(np.array([p.value for p in PARAMETER_TABLE], dtype=np.float64))


def calibratable_parameters() -> tuple[Parameter, ...]:
    return tuple(p for p in PARAMETER_TABLE if p.calibratable)


#: Parsed fitted sets keyed by (resolved path, inode, modification time ns, size): ``simulate()`` asks for
#: the fitted set on every call and parsing the YAML costs ~25 ms.
_FITTED_CACHE: dict[tuple[str, int, int, int], ModelParameters] = {}


def load_fitted_parameters(path: Path | None = None) -> ModelParameters:
    """The fitted set written by calibration (YAML ``{parameters: {name: value}, provenance: ...}``).

    Falls back to the defaults when the file does not exist. Values outside a parameter's bounds
    are refused (they would leave the sources' ranges). A file is parsed once per modification
    (cache keyed by path, inode, mtime and size); each call returns its own copy of the values.
    """
    path = path or FITTED_PARAMETERS_PATH
    try:
        stat = path.stat()
    except FileNotFoundError:
        return default_parameters()
    key = (str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _FITTED_CACHE.get(key)
    if cached is None:
        cached = _parse_fitted_parameters(path)
        _FITTED_CACHE.clear()  # one version per process is enough; stale entries never return
        _FITTED_CACHE[key] = cached
    return ModelParameters(cached.values.copy(), cached.names, cached.provenance)


def _parse_fitted_parameters(path: Path) -> ModelParameters:
    """Read and check a fitted-parameter YAML file (see ``load_fitted_parameters``)."""
    from osteotwin.yamlio import safe_load

    document: Any = safe_load(path.read_text(encoding="utf-8")) or {}
    fitted = document.get("parameters", {}) if isinstance(document, dict) else {}
    values = default_parameters().values.copy()
    for name, value in dict(fitted).items():
        if name not in INDEX:
            raise UserInputError(f"{path.name}: parameters", name, "a name in PARAMETER_TABLE")
        spec = _BY_NAME[name]
        number = float(value)
        if not spec.lower <= number <= spec.upper:
            raise UserInputError(f"{path.name}: parameters.{name}", number,
                                 f"{spec.lower:g} to {spec.upper:g}", problem="outside bounds")
        values[INDEX[name]] = number
    raw = document.get("provenance", f"fitted ({path.name})")
    provenance = str(raw.get("label", path.name)) if isinstance(raw, dict) else str(raw)
    return ModelParameters(values, NAMES, provenance)


def current_parameters() -> ModelParameters:
    """The parameter set simulations use by default: the file named by ``OSTEOTWIN_PARAMETERS``
    when set (it must exist), else the packaged fitted set, else the literature defaults."""
    chosen = os.environ.get(PARAMETERS_ENV)
    if not chosen:
        return load_fitted_parameters()
    path = Path(chosen)
    if not path.is_file():
        raise UserInputError(PARAMETERS_ENV, chosen, "a fitted parameter file written by "
                             "osteotwin calibrate -o FILE.yaml, or unset for the packaged set",
                             problem="no such file")
    return load_fitted_parameters(path)


def sample_parameters(n: int, rng: np.random.Generator, base: ModelParameters | None = None,
                      *, stratified: bool = False) -> NDArray[np.float64]:
    """``n`` virtual people (persons 0 to n - 1 of a run keyed by one integer drawn from ``rng``):
    see ``parameters_for_people``. Returns an array of shape (n, number of parameters)."""
    key = int(rng.integers(0, 2**63))
    return parameters_for_people(np.arange(n, dtype=np.int64), key, base, stratified=stratified)


def band_parameter_sets(n: int, seed: int, base: ModelParameters | None = None
                        ) -> list[ModelParameters]:
    """``n`` parameter sets for an uncertainty band: virtual people drawn around ``base`` (default:
    the shipped set) as a Latin hypercube from a fixed ``seed``, so the same request gives the same
    band and a band from a few dozen people moves little with the seed."""
    base = base or current_parameters()
    if n <= 0:
        return []
    rows = sample_parameters(n, np.random.default_rng(seed), base, stratified=True)
    return [ModelParameters(row, base.names, f"{base.provenance} (draw)") for row in rows]


def parameters_for_people(people: NDArray[np.int64], key: int,
                          base: ModelParameters | None = None, *,
                          stratified: bool = False) -> NDArray[np.float64]:
    """Log-normal draws around ``base`` with each parameter's CV, clipped to bounds, for persons
    ``people`` of run ``key``. Each draw is keyed by the parameter's name (``draws.py``), so adding a
    parameter to the table leaves every other draw unchanged. ``stratified``: the people form a
    Latin hypercube over the parameters (``draws.stratify_by_rank``; a whole sample, not a chunk of
    one). Shape (len(people), parameters)."""
    from osteotwin.physiology.draws import named_standard_normals, stratify_by_rank

    base = base or current_parameters()
    cvs = np.array([p.cv for p in PARAMETER_TABLE])
    lower = np.array([p.lower for p in PARAMETER_TABLE])
    upper = np.array([p.upper for p in PARAMETER_TABLE])
    sigma = np.sqrt(np.log1p(cvs**2))
    z = named_standard_normals(NAMES, people, key)
    if stratified:
        z = stratify_by_rank(z)
    draws = base.values[None, :] * np.exp(sigma[None, :] * z - 0.5 * sigma[None, :] ** 2)
    draws = np.where(cvs[None, :] > 0, draws, base.values[None, :])
    return np.clip(draws, np.minimum(lower, base.values), np.maximum(upper, base.values))
