"""State and input layout of the model (one place; the order is part of the RHS contract).

Time is in days. State vector ``y`` (amounts/concentrations as named):

====  =============  ==============================================================================
 idx  name           meaning (unit)
====  =============  ==============================================================================
   0  ana            anastrozole plasma concentration (ng/mL)
   1  let            letrozole plasma concentration (ng/mL)
   2  exe            exemestane plasma concentration (ng/mL)
   3  arom           active aromatase fraction (1 = untouched; exemestane inactivates it)
   4  tam            tamoxifen plasma concentration (ng/mL)
   5  t_cyp          testosterone cypionate IM depot (mg testosterone)
   6  t_ena          testosterone enanthate IM depot (mg testosterone)
   7  t_und          testosterone undecanoate IM depot (mg testosterone)
   8  bp             surface-active bone-bound bisphosphonate (mg alendronate-equivalent)
   9  den_sc         denosumab SC depot (ng, bioavailable)
  10  den            denosumab serum concentration (ng/mL)
  11  gos            goserelin depot (mg)
  12  hcg            hCG serum concentration (IU/L)
  13  lh             luteinising hormone (IU/L)
  14  rob            responding (precursor) osteoblasts (pM)           Peterson & Riggs 2010
  15  ob_fast        active osteoblasts, fast-apoptosis pool (pM)       idem
  16  ob_slow        active osteoblasts, slow-apoptosis pool (pM)       idem
  17  oc             active osteoclasts (pM)                            idem
  18  tgfb           latent TGF-β (pM)                                  idem
  19  tgfb_act       active TGF-β (pM)                                  idem
  20  rankl          free RANKL (pM)                                    idem
  21  rank           free RANK (pM)                                     idem
  22  rank_rankl     RANK–RANKL complex (pM)                            idem
  23  opg_rankl      OPG–RANKL complex (pM)                             idem
  24  opg            free OPG (pM)                                      idem
  25  sclerostin     osteocyte sclerostin signal (1 = no training)
  26  ca_plasma      extracellular calcium (mmol; /14 L = mM)
  27  pth            circulating PTH (pmol; /14 L = pM)
  28  calcitriol     circulating calcitriol (pmol; /14 L = pM)
  29  hydroxylase    renal 1α-hydroxylase activity (1 = reference)
  30  gut_r          calcitriol-dependent active absorption capacity (0-1; 0.5 reference)
  31  gut_ca         calcium in the intestinal lumen (mmol)
  32  vitd25         serum 25(OH)D (ng/mL)
  33  ca_bone        bone calcium (mmol)
  34  ca_urine       cumulative urinary calcium (mmol)
  35  ca_feces       cumulative faecal calcium (mmol)
  36  ca_intake      cumulative oral calcium intake (mmol)
  37  bmd_ls         lumbar spine BMD (ratio to the model's reference)
  38  bmd_th         total hip BMD (ratio)
  39  bmd_fn         femoral neck BMD (ratio)
  40  remodel_space  remodelling space: resorbed, not yet refilled (1 = reference)  Heaney 1994
  41  stim_accom     loading stimulus the osteocytes have accommodated to (stimulus units)
  42  est_modeling   lagged ln of bone estrogen-receptor activation, which modeling-based formation follows
  43  e2_reservoir   peripheral E2 held in the estrone-sulfate pool (pg/mL E2 equivalent)
====  =============  ==============================================================================

Input vector ``u`` (constant within a dosing segment): continuous dosing rates, the subject's
individual constants and the clock. ``ovarian_e2_pg_ml`` holds the gonadal E2 maximum: ovarian in
women, testicular (at full Leydig output) in men. ``lh_max_iu_l`` is the person's LH without
sex-steroid feedback, set so that their untreated LH is typical (men: 5 IU/L).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

STATE_NAMES: tuple[str, ...] = (
    "ana", "let", "exe", "arom", "tam", "t_cyp", "t_ena", "t_und", "bp", "den_sc", "den", "gos",
    "hcg", "lh", "rob", "ob_fast", "ob_slow", "oc", "tgfb", "tgfb_act", "rankl", "rank",
    "rank_rankl", "opg_rankl", "opg", "sclerostin", "ca_plasma", "pth", "calcitriol", "hydroxylase",
    "gut_r", "gut_ca", "vitd25", "ca_bone", "ca_urine", "ca_feces", "ca_intake", "bmd_ls", "bmd_th",
    "bmd_fn", "remodel_space", "stim_accom", "est_modeling", "e2_reservoir",
)
N_STATES = len(STATE_NAMES)

(ANA, LET, EXE, AROM, TAM, T_CYP, T_ENA, T_UND, BP, DEN_SC, DEN, GOS, HCG, LH, ROB, OB_FAST,
 OB_SLOW, OC, TGFB, TGFB_ACT, RANKL, RANK, RANK_RANKL, OPG_RANKL, OPG, SCL, CA_P, PTH, CALCITRIOL,
 HYDROX, GUT_R, GUT_CA, VITD25, CA_BONE, CA_URINE, CA_FECES, CA_INTAKE, BMD_LS, BMD_TH, BMD_FN,
 REMODEL_SPACE, STIM_ACCOM, EST_MODELING, E2_RESERVOIR) = range(N_STATES)

INPUT_NAMES: tuple[str, ...] = (
    "ana_rate_mg_d", "let_rate_mg_d", "exe_rate_mg_d", "tam_rate_mg_d", "t_gel_rate_mg_d",
    "e2_transdermal_rate_mg_d", "e2_oral_rate_mg_d", "bp_bound_rate_mg_d", "calcium_intake_mmol_d",
    "vitamin_d_iu_d", "mech_stimulus", "male", "weight_kg", "years_since_menopause_t0", "age_t0",
    "aromatization_scale_pg_ml", "testis_t_max_ng_dl", "ovarian_e2_pg_ml", "vitd_endogenous_ng_ml",
    "clock_frozen", "clock_t_d", "lh_max_iu_l", "t_oral_absorbed_mg_d",
)
N_INPUTS = len(INPUT_NAMES)
(U_ANA, U_LET, U_EXE, U_TAM, U_TGEL, U_E2TD, U_E2OR, U_BP, U_CA, U_VITD, U_STIM, U_MALE, U_WEIGHT,
 U_YSM0, U_AGE0, U_AROM_SCALE, U_TMAX, U_E2_OV, U_VITD_ENDO, U_CLOCK_FROZEN, U_CLOCK_T,
 U_LHMAX, U_TORAL) = range(N_INPUTS)

# --- Peterson & Riggs 2010 reference (premenopausal, EST = 1) steady state (BIOMD0000000613) ---
PIC0 = 0.228142            # active TGF-β at baseline (pM)
OC0 = 0.00115398           # osteoclasts (pM)
ROB0 = 0.00104122          # responding osteoblasts (pM)
OB0 = 0.00501324           # active osteoblasts, total (pM)
FRAC_OB_FAST = 0.797629    # fast-apoptosis share of osteoblasts
OB_FAST0 = OB0 * FRAC_OB_FAST
OB_SLOW0 = OB0 * (1.0 - FRAC_OB_FAST)
RANKL0 = 0.4               # pM
RANK0 = 10.0               # pM
OPG0 = 4.0                 # pM
K_BIND_H = 6.24e-6         # /pM/h (k1 = k3)
K_UNBIND_H = 0.112013      # /h (k2 = k4)
RANK_RANKL0 = K_BIND_H * RANK0 * RANKL0 / K_UNBIND_H
OPG_RANKL0 = K_BIND_H * OPG0 * RANKL0 / K_UNBIND_H
TGFB0 = 1000.0 * PIC0
V1_L = 14.0                # extracellular volume for concentrations (L)
CA_CONC0 = 2.35            # mM
CA_P0 = CA_CONC0 * V1_L    # 32.9 mmol
PTH_CONC0 = 3.85           # pM
PTH0 = PTH_CONC0 * V1_L    # 53.9 pmol
CALCITRIOL_CONC0 = 90.0    # pM
CALCITRIOL0 = CALCITRIOL_CONC0 * V1_L
CA_BONE0 = 25000.0         # mmol (Q + Qbone of P&R 2010: 100 + 24900)
VITD_REF = 30.0            # ng/mL, 25(OH)D at which 1α-hydroxylase substrate effect is 1


def reference_state() -> NDArray[np.float64]:
    """The P&R 2010 reference steady state (no drugs, EST = 1, reference calcium intake)."""
    y = np.zeros(N_STATES)
    y[AROM] = 1.0
    y[LH] = 5.0
    y[ROB], y[OB_FAST], y[OB_SLOW], y[OC] = ROB0, OB_FAST0, OB_SLOW0, OC0
    y[TGFB], y[TGFB_ACT] = TGFB0, PIC0
    y[RANKL], y[RANK], y[RANK_RANKL], y[OPG_RANKL], y[OPG] = (RANKL0, RANK0, RANK_RANKL0,
                                                               OPG_RANKL0, OPG0)
    y[SCL] = 1.0
    y[CA_P], y[PTH], y[CALCITRIOL], y[HYDROX], y[GUT_R] = CA_P0, PTH0, CALCITRIOL0, 1.0, 0.5
    y[GUT_CA] = 4.5
    y[VITD25] = VITD_REF
    y[CA_BONE] = CA_BONE0
    y[BMD_LS] = y[BMD_TH] = y[BMD_FN] = 1.0
    y[REMODEL_SPACE] = 1.0
    y[E2_RESERVOIR] = 5.0
    return y


def error_scale() -> NDArray[np.float64]:
    """Typical magnitude of each state (floor for the solvers' error weights)."""
    s = np.abs(reference_state())
    s[ANA] = s[LET] = 1.0
    s[EXE] = 1.0
    s[TAM] = 10.0
    s[T_CYP] = s[T_ENA] = s[T_UND] = 10.0
    s[BP] = 1.0
    s[DEN_SC] = 1e6
    s[DEN] = 100.0
    s[GOS] = 0.1
    s[HCG] = 1.0
    s[STIM_ACCOM] = 1.0
    s[EST_MODELING] = 1.0
    s[E2_RESERVOIR] = 20.0  # pg/mL: typical E2; its error weight then sits well below assay precision
    s[CA_URINE] = s[CA_FECES] = s[CA_INTAKE] = 1e3
    return np.maximum(s, 1e-12)
