"""BMD layer: remodelling space (fast, reversible) plus matrix balance (slow) per site."""

from __future__ import annotations

import math

import numpy as np
import pytest

from osteotwin.physiology import states as S
from osteotwin.physiology.bone import (
    modeled_site_bmd_rate,
    saturating_turnover_balance,
    site_bmd_rate,
)
from osteotwin.physiology.model import rhs
from osteotwin.physiology.parameters import ModelParameters, current_parameters
from osteotwin.simulate import Regimen, Scenario, Subject, simulate

P = current_parameters()
WOMAN = Subject(sex="female", age_y=63.0, weight_kg=70.0, years_since_menopause=12.0)
YEAR = 365.25


def test_site_rate_is_zero_at_balance_and_splits_matrix_from_space() -> None:
    # matrix at its steady state and the space not moving: no change
    assert site_bmd_rate(0.97, 1.0, 1.0 / 0.97, 1e-3, 0.04, 1.0, 0.0) == pytest.approx(0.0)
    # the space growing by 0.01/d with nothing else moving: BMD falls by s·dRS/dt (the space
    # enters the matrix balance only through M = BMD + s·(RS − 1), here held at balance)
    m = 0.97
    rs = 1.5
    bmd = m - 0.04 * (rs - 1.0)
    assert site_bmd_rate(bmd, 1.0, 1.0 / m, 1e-3, 0.04, rs, 0.01) == pytest.approx(-0.04 * 0.01)


def test_modeling_factor_scales_the_remodelling_part_and_adds_its_own_change() -> None:
    # BMD = exp(κ·w)·B: with w still, the rate is the factor times the remodelling part's rate
    kappa, w = 0.05, -1.2
    factor = math.exp(kappa * w)
    bmd = 0.9
    inner = site_bmd_rate(bmd / factor, 1.0, 1.1, 1e-3, 0.04, 1.2, 0.002)
    assert modeled_site_bmd_rate(bmd, 1.0, 1.1, 1e-3, 0.04, 1.2, 0.002, kappa, w, 0.0) == \
        pytest.approx(factor * inner)
    # with the remodelling part at balance and still, only d(ln BMD)/dt = κ·dw/dt is left
    balanced = factor * 0.97
    assert modeled_site_bmd_rate(balanced, 1.0, 1.0 / 0.97, 1e-3, 0.04, 1.0, 0.0, kappa, w,
                                 -0.01) == pytest.approx(balanced * kappa * -0.01)


@pytest.mark.parametrize(("subject", "full", "none"), [
    (Subject(sex="male", age_y=75.0, weight_kg=85.0),
     {"lumbar_spine_age_gain_male_pct_y": -float(P["age_bmd_loss_pct_y"])},
     {"lumbar_spine_age_gain_male_pct_y": 0.0}),
    (Subject(sex="female", age_y=75.0, weight_kg=70.0, years_since_menopause=25.0),
     {"lumbar_spine_age_loss_share": 1.0}, {"lumbar_spine_age_loss_share": 0.0}),
])
def test_spine_shows_only_its_share_of_the_background_age_loss(
        subject: Subject, full: dict[str, float], none: dict[str, float]) -> None:
    """Greenspan 1994 (women >= 65 y: hip −0.95 %/y, PA spine not falling): the spine's bone
    loses with age as the hip does, and what PA DXA adds (osteophytes, calcification) offsets it:
    at a women's share of 1 (men: a net drift equal to minus the hips' loss) the spine falls, at 0
    it stays flat, while the hip is unchanged."""
    times = np.array([0.0, 3.0]) * YEAR

    def change(params: ModelParameters, site: str) -> float:
        trajectory = simulate(Scenario(subject, (), 3.0), params=params, times_d=times)
        return float(trajectory.series[f"{site}_bmd_change_pct"][-1])

    falls, flat = P.replace(**full), P.replace(**none)
    assert change(falls, "femoral_neck") < -0.5
    assert change(falls, "lumbar_spine") < -0.3
    assert abs(change(flat, "lumbar_spine")) < 0.2 * abs(change(falls, "lumbar_spine"))
    # the hip is the same up to the fast path's tolerance: the sites share one adaptive solve,
    # whose steps also follow the spine
    assert change(flat, "femoral_neck") == pytest.approx(change(falls, "femoral_neck"), abs=1e-3)


def test_an_older_mans_pa_spine_rises_while_his_hip_falls() -> None:
    """Zmuda et al. 2000 (men 51-81, mean 67, 4 y): PA lumbar spine +0.73 %/y (95 % interval of
    the mean about 0.5-0.95), hip falling."""
    man = Subject(sex="male", age_y=67.0, weight_kg=85.0)
    trajectory = simulate(Scenario(man, (), 4.0), params=P, times_d=np.array([0.0, 4.0]) * YEAR)
    spine_per_year = float(trajectory.series["lumbar_spine_bmd_change_pct"][-1]) / 4.0
    assert 0.5 < spine_per_year < 0.95
    assert trajectory.series["total_hip_bmd_change_pct"][-1] < 0.0


def test_denosumab_does_not_stop_the_pa_spines_age_drift() -> None:
    """The PA spine's rise with age in older men is osteophytes and calcification, not remodelled
    bone (Zmuda et al. 2000: PA up, lateral spine down): suppressing turnover does not stop it, so
    from year 1 to 5 on denosumab the spine gains at least what an untreated man's drifts."""
    man = Subject(sex="male", age_y=70.0, weight_kg=85.0)
    denosumab = (Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6),)
    times = np.array([1.0, 5.0]) * YEAR

    def spine_gain(regimens: tuple[Regimen, ...]) -> float:
        series = simulate(Scenario(man, regimens, 5.0), params=P,
                          times_d=np.concatenate([[0.0], times])).series
        return float(np.diff(series["lumbar_spine_bmd_change_pct"][1:])[0])

    untreated = spine_gain(())
    assert untreated > 1.0
    assert spine_gain(denosumab) > untreated


def test_castration_costs_the_spine_only_its_share_of_the_direct_androgen_term() -> None:
    """Finkelstein et al. 2016: with estradiol held, the spine's trabecular loss on goserelin did
    not depend on testosterone; cortical (hip) bone did. A stronger direct androgen term deepens
    the hip's loss after castration, and the spine's only through its share."""
    man = Subject(sex="male", age_y=60.0, weight_kg=85.0)
    castration = (Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0),)
    times = np.array([0.0, 2.0]) * YEAR

    def change(params: ModelParameters, site: str) -> float:
        trajectory = simulate(Scenario(man, castration, 2.0), params=params, times_d=times)
        return float(trajectory.series[f"{site}_bmd_change_pct"][-1])

    weak = P.replace(testosterone_bone_gamma=0.02, lumbar_spine_androgen_share=0.0)
    strong = P.replace(testosterone_bone_gamma=0.08, lumbar_spine_androgen_share=0.0)
    hip_cost = change(weak, "total_hip") - change(strong, "total_hip")
    assert hip_cost > 0.5
    assert change(strong, "lumbar_spine") == pytest.approx(change(weak, "lumbar_spine"), abs=0.05)
    spine = change(strong, "lumbar_spine")
    full_share = spine - change(strong.replace(lumbar_spine_androgen_share=0.6), "lumbar_spine")
    half_share = spine - change(strong.replace(lumbar_spine_androgen_share=0.3), "lumbar_spine")
    assert full_share > 0.5
    assert 0.35 * full_share < half_share < 0.65 * full_share


def test_matrix_gain_from_suppressed_turnover_saturates_and_losses_keep_the_power_law() -> None:
    """Boivin et al. 2000: secondary mineralisation stops at full mineralisation, so the gain
    from low turnover has a ceiling; high turnover (net loss) is left as the power law."""
    assert saturating_turnover_balance(-0.3, 0.08) == -0.3
    # at reference: same value and slope as the power law
    eps = 1e-6
    assert saturating_turnover_balance(eps, 0.08) == pytest.approx(eps, rel=1e-6)
    # deep suppression: at most the ceiling (ln(1 + 0.08)), monotone on the way
    values = [saturating_turnover_balance(b, 0.08) for b in (0.05, 0.2, 0.5, 2.0)]
    assert values == sorted(values)
    assert values[-1] == pytest.approx(math.log1p(0.08), rel=1e-3)
    assert all(v <= math.log1p(0.08) + 1e-12 for v in values)


def test_remodelling_space_follows_osteoclasts() -> None:
    u = np.zeros(S.N_INPUTS)
    u[S.U_CA] = P["reference_calcium_intake_mmol_d"]
    u[S.U_VITD_ENDO] = S.VITD_REF
    u[S.U_WEIGHT] = 70.0
    u[S.U_AGE0] = 60.0
    y = S.reference_state()
    y[S.OC] = 2.0 * S.OC0
    dy = rhs(0.0, y, P.values, u)
    assert dy[S.REMODEL_SPACE] == pytest.approx(1.0 / P["remodel_space_formation_period_d"])
    # the fresh cavities lower BMD at once, more at the trabecular spine than at the hip
    assert dy[S.BMD_LS] < dy[S.BMD_TH] < 0.0


def _site_changes(regimens: tuple[Regimen, ...], years: float = 5.0) -> dict[str, np.ndarray]:
    times = np.array([0.0, 1.0, 2.0, 4.0, 5.0]) * YEAR
    trajectory = simulate(
        Scenario(WOMAN, regimens, years), params=P, times_d=times[times <= years * YEAR]
    )
    return {
        site: trajectory.series[f"{site}_bmd_change_pct"]
        for site in ("lumbar_spine", "total_hip", "femoral_neck")
    }


def test_ai_loss_is_front_loaded_at_the_spine_and_keeps_going_at_the_hip() -> None:
    """ATAC (Eastell 2008): LS −4.1 % at 2 y, −6.1 % at 5 y; TH −3.9 %, −7.2 %."""
    ai = _site_changes((Regimen("anastrozole", 1.0),))
    ls, th = ai["lumbar_spine"], ai["total_hip"]
    ls_first, ls_late = ls[1] - ls[0], ls[4] - ls[3]
    th_first, th_late = th[1] - th[0], th[4] - th[3]
    assert ls_first < -1.0 and th_first < -1.0
    # the spine's loss is front-loaded (remodelling space, fast trabecular balance); the hip,
    # mostly cortical with a slow balance, is still losing in year 5: in ATAC the hip's yearly
    # loss in years 3-5 is 0.57 of its first two years' and the spine's 0.32 (ratio 1.8)
    assert th_late < -0.2
    assert th_late / th_first > 1.5 * ls_late / ls_first
    assert th[4] < th[2] - 1.0


def test_denosumab_gain_is_fast_then_slower_and_reversible() -> None:
    on = _site_changes(
        (
            Regimen("anastrozole", 1.0),
            Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.625),
        ),
        2.0,
    )
    ai = _site_changes((Regimen("anastrozole", 1.0),), 2.0)
    gain = on["lumbar_spine"] - ai["lumbar_spine"]
    assert gain[1] > 2.0  # refilled remodelling space within a year
    assert gain[2] - gain[1] < gain[1]  # slower continued gain in year 2
    stopped = _site_changes(
        (
            Regimen("anastrozole", 1.0),
            Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.625, stop_d=YEAR),
        ),
        2.0,
    )
    assert stopped["lumbar_spine"][2] < on["lumbar_spine"][2] - 1.0  # given back off treatment


def test_estrogen_modeling_route_is_not_blocked_by_denosumab() -> None:
    """The estrogen-dependent modeling-based formation needs no remodelling (Ominsky et al. 2014),
    so an AI's loss through it goes on under denosumab and the two effects add; with the route
    off (gain 0) denosumab blocks the AI's loss entirely (remodelling-only model)."""
    times = np.array([0.0, 3.0]) * YEAR
    denosumab = Regimen("denosumab", 60.0, every_d=182.625, route="subcutaneous")
    anastrozole = Regimen("anastrozole", 1.0)

    def spine(params: ModelParameters, regimens: tuple[Regimen, ...]) -> float:
        woman = Subject(sex="female", age_y=64.0, weight_kg=70.0, years_since_menopause=13.0,
                        breast_cancer=True)
        trajectory = simulate(Scenario(woman, regimens, 3.0), params=params, times_d=times)
        return float(trajectory.series["lumbar_spine_bmd_change_pct"][-1])

    off = P.replace(bmd_ls_estrogen_modeling_gain=0.0, bmd_hip_estrogen_modeling_gain=0.0)
    on = P.replace(bmd_ls_estrogen_modeling_gain=0.04, bmd_hip_estrogen_modeling_gain=0.04)
    assert spine(off, (denosumab, anastrozole)) == pytest.approx(spine(off, (denosumab,)), abs=0.05)
    ai_cost_alone = spine(on, ()) - spine(on, (anastrozole,))
    ai_cost_on_denosumab = spine(on, (denosumab,)) - spine(on, (denosumab, anastrozole))
    assert ai_cost_on_denosumab > 0.5
    assert ai_cost_on_denosumab > 0.3 * ai_cost_alone
    # with estrogen steady (an untreated man) the route sits at its equilibrium and moves nothing
    man = Subject(sex="male", age_y=60.0, weight_kg=85.0)

    def untreated_man(params: ModelParameters) -> float:
        trajectory = simulate(Scenario(man, (), 3.0), params=params, times_d=times)
        return float(trajectory.series["lumbar_spine_bmd_change_pct"][-1])

    assert untreated_man(on) == pytest.approx(untreated_man(off), abs=0.02)
