"""Bone turnover (CTX, P1NP) under tamoxifen and denosumab: the shipped (fitted) parameter set.

Published anchors: tamoxifen lowers resorption markers ~20-25 % and formation markers ~17-36 % in
postmenopausal women with a small BMD gain (Kenny 1995 JCEM 80:3287; ATAC bone substudy LS +2.2 %
at 2 y) and costs premenopausal women ~1.4 %/y at the spine (Powles 1996 JCO 14:78). Denosumab 60 mg every 6 months keeps CTX suppressed through the
dosing interval (FREEDOM, Cummings 2009 NEJM 361:756: −86 % at 1 month, −72 % at 6 months before
the next dose); stopping gives a rebound above baseline with BMD falling back (Bone 2011 JCEM
96:972; Miller 2008 Bone 43:222).
"""

from __future__ import annotations

import numpy as np

from osteotwin.physiology.parameters import current_parameters
from osteotwin.simulate import Regimen, Scenario, Subject, simulate

P = current_parameters()
WOMAN = Subject(sex="female", age_y=63.0, weight_kg=70.0, years_since_menopause=12.0)
MONTH_D = 365.25 / 12.0


def _series(
    regimens: tuple[Regimen, ...], years: float, months: list[float]
) -> dict[str, np.ndarray]:
    times = np.array([m * MONTH_D for m in months])
    trajectory = simulate(Scenario(WOMAN, regimens, years), params=P, times_d=times)
    return trajectory.series


def test_tamoxifen_lowers_both_resorption_and_formation_with_a_small_bmd_gain() -> None:
    s = _series((Regimen("tamoxifen", 20.0, every_d=1.0, start_d=0.0),), 2.0, [0.0, 12.0, 24.0])
    assert s["ctx_change_pct"][1] < -10.0
    assert s["p1np_change_pct"][1] < -10.0
    assert 0.0 < s["lumbar_spine_bmd_change_pct"][2] < 5.0
    assert 0.0 < s["total_hip_bmd_change_pct"][2] < 3.0


def test_tamoxifen_costs_premenopausal_women_little_bone() -> None:
    """E2 competes with tamoxifen: LS −1.4 %/y (Powles 1996), not a menopause-sized loss (the
    fitted model loses less, about −0.4 % in the first year: docs/model.md, known departures)."""
    premenopausal = Subject(sex="female", age_y=43.0, weight_kg=70.0)
    times = np.array([0.0, 365.25])
    regimen = Regimen("tamoxifen", 20.0, every_d=1.0, start_d=0.0)
    s = simulate(Scenario(premenopausal, (regimen,), 1.0), params=P, times_d=times).series
    assert -3.0 < s["lumbar_spine_bmd_change_pct"][1] < -0.2
    assert 0.0 < s["ctx_change_pct"][1] < 30.0


def test_stopping_denosumab_rebounds_turnover_above_baseline_and_bmd_falls_back() -> None:
    regimen = Regimen(
        "denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=0.0, stop_d=200.0
    )
    s = _series((regimen,), 3.0, [0.0, 1.0, 12.0, 24.0, 36.0])
    assert s["ctx_change_pct"][1] < -40.0
    assert s["ctx_change_pct"][3] > 5.0
    ls = s["lumbar_spine_bmd_change_pct"]
    # FREEDOM gains ~5.5 % in year 1; the shipped fit gives ~3.5 % (the remodelling transient is
    # small with the LS remodelling space fitted at its lower bound, 0.01): known gap
    assert ls[2] > 3.0
    assert ls[4] < ls[2] - 5.0


def test_denosumab_keeps_ctx_suppressed_through_the_dosing_interval() -> None:
    regimen = Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=0.0)
    s = _series((regimen,), 3.0, [0.0, 1.0, 5.9, 35.9])
    ctx = s["ctx_change_pct"]
    assert ctx[1] < -70.0
    assert ctx[2] < -50.0
    assert ctx[3] < -50.0


def test_stopping_two_years_of_denosumab_gives_back_about_what_it_gained() -> None:
    """After 2 years of denosumab, published BMD is back near its pre-treatment level within a
    year or so of the missed dose and then follows the untreated course (Cummings et al. 2018
    J Bone Miner Res 33:190). The matrix's capacity for latent TGF-β (``latent_tgfb_capacity``)
    bounds the rebound: without it the spine ended 8 points below the untreated course 30
    months after the last dose."""
    months = [0.0, 18.0, 48.0]
    regimen = Regimen(
        "denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=0.0, stop_d=700.0
    )
    treated = _series((regimen,), 4.0, months)["lumbar_spine_bmd_change_pct"]
    untreated = _series((), 4.0, months)["lumbar_spine_bmd_change_pct"]
    gain_at_last_dose = treated[1] - untreated[1]
    after_stop = treated[2] - untreated[2]
    assert gain_at_last_dose > 4.0
    assert -4.0 < after_stop < gain_at_last_dose - 3.0


def test_long_term_denosumab_keeps_formation_down_with_resorption() -> None:
    """Turnover markers stayed reduced through 10 years of denosumab (FREEDOM extension, Bone et
    al. 2017 Lancet Diabetes Endocrinol 5:513); in the model the osteoblasts follow active TGF-β,
    which a store growing without bound lets recover (P1NP −60 % at 2 years, −43 % at 8)."""
    regimen = Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=0.0)
    s = _series((regimen,), 8.0, [0.0, 24.0, 95.0])
    assert s["ctx_change_pct"][2] < -50.0
    assert s["p1np_change_pct"][1] < -40.0
    assert s["p1np_change_pct"][2] < s["p1np_change_pct"][1] + 10.0
