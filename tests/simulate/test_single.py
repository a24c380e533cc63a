"""One-person simulation: invariants, drug effects, fast vs reference agreement."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from osteotwin.errors import UserInputError
from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import (
    ModelParameters,
    current_parameters,
    default_parameters,
    sample_parameters,
)
from osteotwin.simulate import Lifestyle, Regimen, Scenario, Subject, simulate, single
from osteotwin.simulate.dosing import build_schedule
from osteotwin.simulate.single import (
    MALE_HISTORY_Y,
    _rebased_schedule,
    equilibrate,
    integrated_steady_state,
    scenario_schedule,
    start_time,
    steady_state,
    subject_inputs,
)
from osteotwin.simulate.solvers import rosenbrock_segments
from osteotwin.simulate.trajectory import REQUIRED_SERIES

P = default_parameters()
MAN = Subject(sex="male", age_y=45.0, weight_kg=80.0)
OLD_MAN = Subject(sex="male", age_y=68.0, weight_kg=85.0, total_testosterone_ng_dl=330.0,
                  estradiol_pg_ml=20.0)
WOMAN = Subject(sex="female", age_y=63.0, weight_kg=70.0, years_since_menopause=12.0)
ANASTROZOLE = Regimen("anastrozole", 1.0, every_d=1.0, start_d=0.0)


def _run(subject: Subject, regimens: tuple[Regimen, ...] = (), years: float = 1.0,
         **kwargs: object) -> dict[str, float]:
    trajectory = simulate(Scenario(subject, regimens, years), params=P, **kwargs)  # type: ignore[arg-type]
    end = years * 365.25
    return {name: trajectory.at(name, end) for name in trajectory.series}


def test_untreated_middle_aged_man_stays_flat() -> None:
    trajectory = simulate(Scenario(MAN, (), 5.0), params=P)
    for name in REQUIRED_SERIES:
        assert name in trajectory.series
        values = trajectory.series[name]
        span = np.max(values) - np.min(values)
        if name.endswith("_change_pct"):
            assert span < 0.05, name
        else:
            assert span < 1e-3 * max(abs(values[0]), 1.0), name


def test_an_older_mans_age_loss_runs_at_its_rate_from_the_start() -> None:
    """The age clock runs through men's untreated history (``MALE_HISTORY_Y``), so the slow matrix
    balance is already following a 75-year-old's age at t = 0: his hip loses about as much in the
    first year as in the fourth (it loses a little more each year as the loss accelerates)."""
    old_man = Subject(sex="male", age_y=75.0, weight_kg=85.0)
    assert start_time(Scenario(old_man, (), 4.0)) <= -MALE_HISTORY_Y * 365.25
    times = np.arange(5.0) * 365.25
    hip = simulate(Scenario(old_man, (), 4.0), params=P, times_d=times).series
    yearly = np.diff(hip["femoral_neck_bmd_change_pct"])
    assert np.all(yearly < 0.0)
    assert yearly[0] / yearly[-1] > 0.75


def test_calcium_mass_balance_holds_through_treatment() -> None:
    scenario = Scenario(WOMAN, (ANASTROZOLE, Regimen("calcium_carbonate", 1000.0),
                                Regimen("zoledronic_acid", 4.0, route="intravenous",
                                        every_d=182.6)), 2.0)
    t0 = start_time(scenario)
    baseline = steady_state(scenario.subject, P, t0)
    schedule = build_schedule(scenario.regimens, baseline.inputs, P, t0, scenario.horizon_d)
    times = np.linspace(0.0, scenario.horizon_d, 9)
    states, _, _, _, _ = rosenbrock_segments(baseline.state, P.values, schedule.times_d,
                                             schedule.inputs, schedule.boluses, times, 1e-6,
                                             S.error_scale(), 1.0)
    body = states[:, S.CA_P] + states[:, S.GUT_CA] + states[:, S.CA_BONE]
    out = states[:, S.CA_URINE] + states[:, S.CA_FECES]
    total = body + out - states[:, S.CA_INTAKE]
    assert body[0] > 0
    assert np.ptp(total) < 1e-6 * body[0]
    assert states[-1, S.CA_INTAKE] > 0


def test_anastrozole_lowers_estradiol_and_bone_in_postmenopausal_women() -> None:
    on = _run(WOMAN, (ANASTROZOLE,), years=2.0)
    off = _run(WOMAN, (), years=2.0)
    trajectory = simulate(Scenario(WOMAN, (ANASTROZOLE,), 1.0), params=P,
                          times_d=np.array([0.0, 14.0]))
    e2 = trajectory.series["estradiol_pg_ml"]
    assert e2[1] / e2[0] < 0.25  # label: ~80 % fall by 14 days
    assert on["lumbar_spine_bmd_change_pct"] < off["lumbar_spine_bmd_change_pct"] - 1.0
    assert on["total_hip_bmd_change_pct"] < off["total_hip_bmd_change_pct"]
    assert on["ctx_change_pct"] > 10.0 and on["p1np_change_pct"] > 10.0


def test_anastrozole_in_men_raises_lh_and_testosterone() -> None:
    trajectory = simulate(Scenario(OLD_MAN, (ANASTROZOLE,), 0.25), params=P)
    assert trajectory.series["estradiol_pg_ml"][0] == pytest.approx(20.0, rel=1e-3)
    assert trajectory.series["total_testosterone_ng_dl"][0] == pytest.approx(330.0, rel=1e-3)
    assert trajectory.series["lh_iu_l"][-1] > 1.5 * trajectory.series["lh_iu_l"][0]
    assert trajectory.series["total_testosterone_ng_dl"][-1] > 1.2 * 330.0
    assert trajectory.series["estradiol_pg_ml"][-1] < 0.5 * 20.0


def test_testosterone_cypionate_suppresses_lh() -> None:
    trt = Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0)
    trajectory = simulate(Scenario(OLD_MAN, (trt,), 0.5), params=P)
    lh = trajectory.series["lh_iu_l"]
    assert lh[-1] < 0.3 * lh[0]
    assert trajectory.series["total_testosterone_ng_dl"][-1] > 330.0


def test_stopping_the_ai_recovers_estradiol() -> None:
    stopped = Regimen("anastrozole", 1.0, every_d=1.0, start_d=0.0, stop_d=180.0)
    trajectory = simulate(Scenario(WOMAN, (stopped,), 1.0), params=P,
                          times_d=np.array([0.0, 170.0, 365.0]))
    e2 = trajectory.series["estradiol_pg_ml"]
    assert e2[1] < 0.3 * e2[0]
    assert e2[2] == pytest.approx(e2[0], rel=0.02)


def test_exemestane_recovery_is_slower_than_anastrozole_after_stopping() -> None:
    def e2_after_stop(drug: str, dose: float) -> float:
        regimen = Regimen(drug, dose, every_d=1.0, start_d=0.0, stop_d=60.0)
        trajectory = simulate(Scenario(WOMAN, (regimen,), 0.5), params=P,
                              times_d=np.array([0.0, 61.0]))
        e2 = trajectory.series["estradiol_pg_ml"]
        return float(e2[1] / e2[0])

    assert e2_after_stop("exemestane", 25.0) < 0.5
    assert e2_after_stop("exemestane", 25.0) < e2_after_stop("letrozole", 2.5) + 0.5


def test_antiresorptives_and_training_protect_bone_on_an_ai() -> None:
    ai_only = _run(WOMAN, (ANASTROZOLE,))
    zoledronic = _run(WOMAN, (ANASTROZOLE, Regimen("zoledronic_acid", 4.0, route="intravenous",
                                                   every_d=182.6)))
    denosumab = _run(WOMAN, (ANASTROZOLE, Regimen("denosumab", 60.0, route="subcutaneous",
                                                  every_d=182.6)))
    for name in ("lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct"):
        assert zoledronic[name] > ai_only[name] + 1.0, name
        assert denosumab[name] > ai_only[name] + 1.0, name
    assert zoledronic["ctx_change_pct"] < ai_only["ctx_change_pct"]
    assert denosumab["ctx_change_pct"] < 0.0


def test_one_zoledronate_infusion_keeps_acting_for_years() -> None:
    """Grey et al. 2010 JBMR 25:2251: after one 5 mg infusion the spine BMD and marker differences
    from placebo were as large at 36 months as at 12 (a 200-d surface half-life lost most of it)."""
    fitted = current_parameters()
    times = np.array([0.0, 365.25, 3 * 365.25])
    infusion = (Regimen("zoledronic_acid", 5.0, route="intravenous", every_d=400.0, start_d=0.0,
                        stop_d=1.0),)
    treated = simulate(Scenario(WOMAN, infusion, 3.0), params=fitted, times_d=times)
    untreated = simulate(Scenario(WOMAN, (), 3.0), params=fitted, times_d=times)

    def gap(name: str) -> np.ndarray:
        return np.asarray(treated.series[name] - untreated.series[name])

    spine = gap("lumbar_spine_bmd_change_pct")
    assert spine[2] > 3.0
    assert spine[2] > 0.7 * spine[1]
    assert gap("ctx_change_pct")[2] < -10.0


def test_weekly_risedronate_gains_less_than_weekly_alendronate() -> None:
    """Head-to-head (FACT, Rosen et al. 2005; Sebba et al. 2004): risedronate 35 mg weekly gave
    55-65 % of alendronate 70 mg weekly's 12-month BMD gain, with a smaller CTX fall."""
    fitted = current_parameters()
    end = 365.25
    weekly = {}
    for drug, dose in (("alendronate", 70.0), ("risedronate", 35.0)):
        trajectory = simulate(Scenario(WOMAN, (Regimen(drug, dose, every_d=7.0),), 1.0),
                              params=fitted)
        weekly[drug] = {name: trajectory.at(name, end) for name in trajectory.series}
    for name in ("lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct"):
        ratio = weekly["risedronate"][name] / weekly["alendronate"][name]
        assert 0.45 < ratio < 0.75, (name, ratio)
    assert weekly["alendronate"]["ctx_change_pct"] < weekly["risedronate"]["ctx_change_pct"] < 0.0


def test_starting_high_intensity_training_raises_bmd_and_lowers_sclerostin() -> None:
    training = Lifestyle(resistance_sessions_per_week=2.0, resistance_intensity="high",
                         impact_sessions_per_week=2.0)
    scenario = Scenario(WOMAN, (), 8 / 12, lifestyle_from_t0=training)
    trained = simulate(scenario, params=P)
    untrained = simulate(Scenario(WOMAN, (), 8 / 12), params=P)
    end = scenario.horizon_d
    for name in ("lumbar_spine_bmd_change_pct", "femoral_neck_bmd_change_pct"):
        assert trained.at(name, end) > untrained.at(name, end) + 0.5, name
    assert trained.at("sclerostin_relative", end) < 0.8 * trained.at("sclerostin_relative", 0.0)


def test_a_sustained_training_gain_levels_off_and_stopping_gives_it_back() -> None:
    """Bone cells accommodate to customary loading (Turner 1998, rule 3): most of a programme's
    spine gain comes in its first years, not a constant rate for as long as it lasts; a person
    who trains habitually sits at an accommodated sclerostin near 1; detraining loses the gain."""
    training = Lifestyle(resistance_sessions_per_week=2.0, resistance_intensity="high",
                         impact_sessions_per_week=2.0)
    trained = simulate(Scenario(WOMAN, (), 5.0, lifestyle_from_t0=training), params=P)
    untrained = simulate(Scenario(WOMAN, (), 5.0), params=P)

    def gain(t_y: float) -> float:
        name = "lumbar_spine_bmd_change_pct"
        return trained.at(name, t_y * 365.25) - untrained.at(name, t_y * 365.25)

    assert gain(1.0) > 1.0
    assert gain(5.0) - gain(2.0) < 0.5 * gain(1.0)  # the later years add far less than the first
    habitual = Subject(sex="female", age_y=62.0, weight_kg=70.0, years_since_menopause=10.0,
                       lifestyle=training)
    settled = simulate(Scenario(habitual, (), 1.0), params=P)
    new_trainee = trained.at("sclerostin_relative", 60.0)
    assert settled.at("sclerostin_relative", 0.0) > new_trainee + 0.2
    stopped = simulate(Scenario(habitual, (), 2.0, lifestyle_from_t0=Lifestyle()), params=P)
    assert stopped.at("sclerostin_relative", 60.0) > 1.0
    assert (stopped.at("lumbar_spine_bmd_change_pct", 730.0)
            < settled.at("lumbar_spine_bmd_change_pct", 365.0) - 0.5)


def test_more_calcium_and_vitamin_d_from_t0_raise_25ohd_and_lower_pth() -> None:
    low = Subject(sex="female", age_y=63.0, years_since_menopause=12.0,
                  vitamin_d_25oh_ng_ml=12.0,
                  lifestyle=Lifestyle(dietary_calcium_mg_d=400.0))
    better = Lifestyle(dietary_calcium_mg_d=400.0, supplemental_calcium_mg_d=600.0,
                       vitamin_d_iu_d=2000.0)
    trajectory = simulate(Scenario(low, (), 1.0, lifestyle_from_t0=better), params=P)
    assert trajectory.series["vitamin_d_25oh_ng_ml"][0] == pytest.approx(12.0, rel=1e-3)
    assert trajectory.series["vitamin_d_25oh_ng_ml"][-1] > 25.0
    assert trajectory.series["pth_pg_ml"][-1] < trajectory.series["pth_pg_ml"][0]
    assert trajectory.series["lumbar_spine_bmd_change_pct"][-1] > 0.0


def test_goserelin_removes_premenopausal_ovarian_estradiol() -> None:
    young = Subject(sex="female", age_y=40.0, weight_kg=65.0, years_since_menopause=-10.0)
    goserelin = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    trajectory = simulate(Scenario(young, (goserelin,), 1.0), params=P)
    e2 = trajectory.series["estradiol_pg_ml"]
    assert e2[0] > 50.0 and e2[-1] < 15.0
    assert trajectory.series["lumbar_spine_bmd_change_pct"][-1] < -1.0


def test_goserelin_castrates_men_through_the_dosing_interval() -> None:
    """Zoladex label: testosterone in the castrate range (< 50 ng/dL) from 2-4 weeks on, through
    each 28-day interval; castration trial (PC18-01): 20 ± 20 ng/dL at 4 weeks. Estradiol falls
    with the testicular substrate and secretion; testosterone gel restores both. What remains is
    the adrenal share (mean castrate level 15 ng/dL, Oefelein 2000), and the desensitised
    pituitary secretes little LH (not the ~35 IU/L of a man castrated by orchiectomy)."""
    man = Subject(sex="male", age_y=45.0, weight_kg=85.0)
    goserelin = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    times = np.array([0.0, 27.0, 55.0, 83.0])
    s = simulate(Scenario(man, (goserelin,), 0.25), params=P, times_d=times).series
    t = s["total_testosterone_ng_dl"]
    assert t[0] > 300.0
    assert np.all(t[1:] < 50.0) and np.all(t[1:] > 10.0)
    assert s["lh_iu_l"][0] == pytest.approx(5.0, rel=0.05)
    assert np.all(s["lh_iu_l"][1:] < 5.0)
    assert s["estradiol_pg_ml"][-1] < 0.5 * s["estradiol_pg_ml"][0]
    gel = Regimen("testosterone_gel", 81.0, route="transdermal", every_d=None)
    added_back = simulate(Scenario(man, (goserelin, gel), 0.25), params=P, times_d=times).series
    assert added_back["total_testosterone_ng_dl"][-1] > 300.0


def test_the_12_week_goserelin_implant_castrates_to_the_end_of_its_interval() -> None:
    """Zoladex 10.8 mg label: castrate testosterone through each 12-week interval, as the 3.6 mg
    implant through its 28 days; given every 12 weeks it matches 3.6 mg every 28 days."""
    man = Subject(sex="male", age_y=70.0, weight_kg=85.0)
    times = np.array([0.0, 83.0, 167.0])  # the day before each next implant
    long_acting = Regimen("goserelin", 10.8, route="subcutaneous", every_d=84.0)
    monthly = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    t_long = simulate(Scenario(man, (long_acting,), 0.5), params=P,
                      times_d=times).series["total_testosterone_ng_dl"]
    t_monthly = simulate(Scenario(man, (monthly,), 0.5), params=P,
                         times_d=times).series["total_testosterone_ng_dl"]
    assert np.all(t_long[1:] < 50.0)
    assert np.allclose(t_long, t_monthly, rtol=0.02)


def test_oral_testosterone_undecanoate_is_absorbed_in_part_not_as_an_injection() -> None:
    """Oral TU is absorbed through the lymph, a few per cent of its testosterone reaching the
    circulation (Bagchus et al. 2003; Jatenzo: 237 mg twice daily aims at 400-700 ng/dL); the
    same drug intramuscularly is a depot whose whole dose is absorbed."""
    man = Subject(sex="male", age_y=55.0, weight_kg=90.0, total_testosterone_ng_dl=200.0)
    oral = Regimen("testosterone_undecanoate", 237.0, route="oral", every_d=0.5)
    t = simulate(Scenario(man, (oral,), 0.25), params=P,
                 times_d=np.array([0.0, 60.0])).series["total_testosterone_ng_dl"]
    assert 350.0 < t[-1] < 1200.0


def test_daily_average_ai_matches_explicit_daily_doses() -> None:
    averaged = _run(WOMAN, (ANASTROZOLE,), years=1.0)
    explicit = _run(WOMAN, (ANASTROZOLE,), years=1.0, explicit_oral_dosing=True)
    assert averaged["lumbar_spine_bmd_change_pct"] == pytest.approx(
        explicit["lumbar_spine_bmd_change_pct"], abs=0.05)
    assert averaged["estradiol_pg_ml"] == pytest.approx(explicit["estradiol_pg_ml"], rel=0.1)


def test_absolute_bmd_and_t_score_follow_the_change() -> None:
    subject = Subject(sex="female", age_y=63.0, years_since_menopause=12.0,
                      bmd_g_cm2={"lumbar_spine": 0.95}, t_scores={"femoral_neck": -1.8})
    trajectory = simulate(Scenario(subject, (ANASTROZOLE,), 1.0), params=P)
    change = trajectory.series["lumbar_spine_bmd_change_pct"][-1]
    assert trajectory.series["lumbar_spine_bmd_g_cm2"][-1] == pytest.approx(0.95 * (1 + change / 100))
    assert trajectory.series["femoral_neck_t_score"][0] == pytest.approx(-1.8)
    assert trajectory.series["femoral_neck_t_score"][-1] < -1.8
    assert "total_hip_bmd_g_cm2" not in trajectory.series


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_path_agrees_with_reference_on_random_virtual_people(seed: int) -> None:
    """Stated tolerance: BMD changes within 0.1 percentage points, marker changes within 0.25
    points, levels within 1 % (fast rtol 1e-3 vs reference Radau rtol 1e-8)."""
    rng = np.random.default_rng(seed)
    params = ModelParameters(sample_parameters(1, rng, P)[0])
    sex = "female" if seed % 2 else "male"
    subject = Subject(sex=sex, age_y=float(rng.uniform(50, 75)),
                      weight_kg=float(rng.uniform(55, 100)),
                      years_since_menopause=float(rng.uniform(-2, 15)) if sex == "female" else None,
                      lifestyle=Lifestyle(dietary_calcium_mg_d=float(rng.uniform(400, 1200))))
    regimens = (Regimen("anastrozole", 0.5, every_d=3.5, start_d=0.0),
                Regimen("testosterone_cypionate", 80.0, route="intramuscular", every_d=7.0,
                        start_d=30.0) if sex == "male" else
                Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=182.6, start_d=60.0))
    scenario = Scenario(subject, regimens, 0.75)
    times = np.linspace(0.0, scenario.horizon_d, 7)
    _assert_fast_agrees(scenario, params, times, marker_points=0.25)


def _assert_fast_agrees(scenario: Scenario, params: ModelParameters, times: np.ndarray, *,
                        marker_points: float) -> None:
    """The fast path against the reference: BMD changes within 0.1 percentage points, marker
    changes within ``marker_points``, levels within 1 % (LH: + 0.1 IU/L)."""
    fast = simulate(scenario, params=params, times_d=times)
    reference = simulate(scenario, params=params, times_d=times, method="reference")
    for name in fast.series:
        a, b = fast.series[name], reference.series[name]
        if name.endswith("bmd_change_pct"):
            assert np.max(np.abs(a - b)) < 0.1, name
        elif name.endswith("_change_pct"):
            assert np.max(np.abs(a - b)) < marker_points, name
        else:
            assert np.allclose(a, b, rtol=0.01, atol=0.1 if name == "lh_iu_l" else 1e-6), name


_EVERY_CLASS = {  # (woman?, regimens, marker tolerance in points)
    "letrozole_then_denosumab": (True, (
        Regimen("letrozole", 2.5, every_d=1.0),
        Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=30.0)), 0.25),
    "exemestane_alendronate_weekly": (True, (
        Regimen("exemestane", 25.0, every_d=1.0),
        Regimen("alendronate", 70.0, every_d=7.0, start_d=10.0)), 0.75),
    "tamoxifen_stopped": (True, (Regimen("tamoxifen", 20.0, every_d=1.0, stop_d=700.0),),
                          0.25),
    "estradiol_patch": (True, (
        Regimen("estradiol_transdermal", 0.05, route="transdermal", every_d=1.0),), 0.25),
    "denosumab_stopped": (True, (
        Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, stop_d=400.0),),
        0.75),
    "undecanoate_depot": (False, (
        Regimen("testosterone_undecanoate", 1000.0, route="intramuscular", every_d=70.0),),
        0.25),
    "gel_anastrozole": (False, (
        Regimen("testosterone_gel", 50.0, route="transdermal", every_d=1.0),
        Regimen("anastrozole", 1.0, every_d=1.0)), 0.25),
    "goserelin_depot": (False, (
        Regimen("goserelin", 10.8, route="subcutaneous", every_d=91.0),), 0.25),
}


@pytest.mark.parametrize("case", sorted(_EVERY_CLASS))
def test_fast_path_agrees_with_reference_on_every_drug_class(case: str) -> None:
    """Stated tolerances (docs/model.md): BMD changes within 0.1 percentage points; marker
    changes within 0.25 points, 0.75 with weekly oral bisphosphonate doses or a denosumab stop
    (the markers move within each dosing interval: 0.3-0.6 measured on other draws); levels
    within 1 %, LH within 1 % + 0.1 IU/L (the step its assays report; LH suppressed below 2 IU/L
    by a depot: 0.05 IU/L measured). 3 years, drawn parameters, outputs every quarter."""
    woman, regimens, marker_points = _EVERY_CLASS[case]
    rng = np.random.default_rng(sorted(_EVERY_CLASS).index(case))
    params = ModelParameters(sample_parameters(1, rng, P)[0])
    subject = (Subject(sex="female", age_y=float(rng.uniform(52, 72)),
                       weight_kg=float(rng.uniform(55, 95)),
                       years_since_menopause=float(rng.uniform(1, 15)), breast_cancer=True)
               if woman else Subject(sex="male", age_y=float(rng.uniform(40, 75)),
                                     weight_kg=float(rng.uniform(70, 110))))
    scenario = Scenario(subject, regimens, 3.0)
    times = np.linspace(0.0, scenario.horizon_d, 13)
    _assert_fast_agrees(scenario, params, times, marker_points=marker_points)


def test_on_treatment_estradiol_is_matched_by_scaling_aromatization() -> None:
    subject = Subject(sex="male", age_y=60.0, weight_kg=90.0, estradiol_on_treatment=(0.0, 12.0))
    regimens = (Regimen("anastrozole", 0.25, every_d=1.0, start_d=-200.0),)
    trajectory = simulate(Scenario(subject, regimens, 1.0), params=P)
    assert trajectory.series["estradiol_pg_ml"][0] == pytest.approx(12.0, rel=0.03)
    assert trajectory.meta["aromatization_factor"] != 1.0
    bad = Subject(sex="male", age_y=60.0, estradiol_on_treatment=(30.0, 12.0))
    with pytest.raises(UserInputError, match="estradiol_on_treatment"):
        Scenario(bad, regimens, 1.0).validate()


def test_on_treatment_estradiol_of_a_man_on_trt_scales_his_own_estradiol() -> None:
    """A man on TRT + an AI whose on-treatment E2 is low: his inferred untreated E2 is lower, but
    exogenous testosterone still holds LH suppressed, so the AI keeps acting on aromatization
    (stopping it raises E2 well above the on-treatment value; a daily dose lowers it further)."""
    subject = Subject(sex="male", age_y=57.0, weight_kg=86.0, estradiol_on_treatment=(-30.0, 9.0))
    trt = Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0,
                  start_d=-880.0)

    def course(ai_stop_d: float | None, daily: bool = False) -> dict[str, float]:
        ai = Regimen("anastrozole", 0.5, every_d=3.5, start_d=-830.0, stop_d=ai_stop_d)
        regimens = (trt, ai) if not daily else (
            trt, Regimen("anastrozole", 0.5, every_d=3.5, start_d=-830.0, stop_d=0.0),
            Regimen("anastrozole", 1.0, every_d=1.0, start_d=0.0))
        trajectory = simulate(Scenario(subject, regimens, 1.0), params=P)
        window = trajectory.times_d >= 365.25 - 28.0
        return {name: float(np.mean(trajectory.series[name][window]))
                for name in ("estradiol_pg_ml", "lh_iu_l")}

    current, stopped, daily = course(None), course(0.0), course(None, daily=True)
    assert 6.0 < current["estradiol_pg_ml"] < 12.0
    assert current["lh_iu_l"] < 5.0  # below the untreated 5 IU/L: exogenous T holds the axis down
    assert stopped["estradiol_pg_ml"] > 1.3 * current["estradiol_pg_ml"]
    # a smaller step than the dose ratio: part of a man's E2 is out of the inhibitor's reach
    # (testicular secretion, aromatase_uninhibited_share; Leder 2004 saw 17 pg/mL on both doses)
    assert daily["estradiol_pg_ml"] < 0.8 * current["estradiol_pg_ml"]


def test_a_gel_started_at_time_zero_leaves_the_baseline_untreated() -> None:
    """Changes are relative to t = 0: a gel (an input rate, no depot) that starts then must not
    already raise the baseline testosterone, or a rise would read as a fall."""
    man = Subject(sex="male", age_y=65.0, weight_kg=85.0, total_testosterone_ng_dl=300.0)
    gel = Regimen("testosterone_gel", 50.0, route="transdermal", every_d=None, start_d=0.0)
    trajectory = simulate(Scenario(man, (gel,), 0.5), params=P)
    testosterone = trajectory.series["total_testosterone_ng_dl"]
    assert testosterone[0] == pytest.approx(300.0, rel=0.01)
    assert trajectory.at("total_testosterone_ng_dl", 90.0) > 1.3 * testosterone[0]
    assert trajectory.meta["t_start_d"] == pytest.approx(-MALE_HISTORY_Y * 365.25)


def test_hcg_restores_testicular_output_on_testosterone_therapy() -> None:
    """Coviello et al. 2005 (JCEM 90:2595): on testosterone enanthate 200 mg/wk, hCG every other day
    restores Leydig output dose-dependently (intratesticular T 75, 93 and 126 % of baseline at 125,
    250 and 500 IU) while LH stays suppressed; the testes' estradiol comes back with it, and an AI
    removes only the aromatized part."""
    man = Subject(sex="male", age_y=30.0, weight_kg=80.0)
    enanthate = Regimen("testosterone_enanthate", 200.0, route="intramuscular", every_d=7.0)

    def late_means(*extra: Regimen) -> dict[str, float]:
        trajectory = simulate(Scenario(man, (enanthate, *extra), 0.25), params=P)
        window = trajectory.times_d >= 60.0
        return {name: float(np.mean(trajectory.series[name][window]))
                for name in ("total_testosterone_ng_dl", "estradiol_pg_ml", "lh_iu_l")}

    def hcg(dose_iu: float) -> Regimen:
        return Regimen("hcg", dose_iu=dose_iu, route="subcutaneous", every_d=2.0)

    alone, low, high = late_means(), late_means(hcg(125.0)), late_means(hcg(500.0))
    rise = high["total_testosterone_ng_dl"] - alone["total_testosterone_ng_dl"]
    assert 100.0 < rise < 600.0
    assert alone["total_testosterone_ng_dl"] < low["total_testosterone_ng_dl"] < (
        high["total_testosterone_ng_dl"])
    assert high["estradiol_pg_ml"] > alone["estradiol_pg_ml"]
    assert high["lh_iu_l"] < 1.0
    with_ai = late_means(hcg(500.0), Regimen("anastrozole", 1.0, every_d=1.0))
    assert with_ai["estradiol_pg_ml"] < high["estradiol_pg_ml"]


def test_womens_lh_sits_in_its_reference_ranges_and_follows_estradiol() -> None:
    """Cycle-averaged LH ~2-10 IU/L before menopause and ~15-60 IU/L after it (reference ranges); an
    AI raises it a little, a GnRH-agonist depot suppresses it."""
    young = Subject(sex="female", age_y=40.0, weight_kg=65.0, years_since_menopause=-10.0)
    older = Subject(sex="female", age_y=63.0, weight_kg=70.0, years_since_menopause=12.0)
    goserelin = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    pre = simulate(Scenario(young, (goserelin,), 0.5), params=P)
    post = simulate(Scenario(older, (ANASTROZOLE,), 0.5), params=P)
    assert 2.0 < pre.series["lh_iu_l"][0] < 10.0
    assert pre.at("lh_iu_l", 150.0) < 1.0
    assert 15.0 < post.series["lh_iu_l"][0] < 60.0
    assert post.at("lh_iu_l", 150.0) > post.series["lh_iu_l"][0]


def test_vitamin_d_repletion_raises_25ohd_as_in_b_able() -> None:
    """B-ABLE (clinical_facts NG10-02): deficient women given 800 IU/d plus 16,000 IU every two
    weeks gained 32.6 ng/mL (28.1-37.0) of 25(OH)D in 3 months; with the shipped parameters."""
    woman = Subject(sex="female", age_y=63.0, weight_kg=70.0, years_since_menopause=12.0,
                    vitamin_d_25oh_ng_ml=17.0)
    daily = Regimen("vitamin_d3", None, dose_iu=800.0, every_d=1.0)
    bolus = Regimen("vitamin_d3", None, dose_iu=16000.0, every_d=14.0)
    d = simulate(Scenario(woman, (daily, bolus), 0.25),
                 times_d=np.array([0.0, 91.0])).series["vitamin_d_25oh_ng_ml"]
    assert 28.1 <= d[-1] - d[0] <= 37.0


def test_matching_on_treatment_estradiol_resumes_the_history_as_the_reference_integrates_it() -> None:
    """With an on-treatment estradiol measured before the start, the fast path continues from the
    state its last matching run reached (the history is not integrated twice); the reference path
    integrates it all. They agree within the stated tolerances."""
    subject = Subject(sex="male", age_y=57.0, weight_kg=86.0, estradiol_on_treatment=(-400.0, 9.0))
    regimens = (Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0,
                        start_d=-880.0),
                Regimen("anastrozole", 0.5, every_d=3.5, start_d=-830.0))
    scenario = Scenario(subject, regimens, 0.5)
    times = np.linspace(0.0, scenario.horizon_d, 5)
    fast = simulate(scenario, params=P, times_d=times)
    reference = simulate(scenario, params=P, times_d=times, method="reference")
    assert fast.meta["aromatization_factor"] == reference.meta["aromatization_factor"] != 1.0
    assert fast.meta["history_resumed_at_d"] == -400.0
    assert reference.meta["history_resumed_at_d"] is None
    for name in ("lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct"):
        assert np.max(np.abs(fast.series[name] - reference.series[name])) < 0.1, name
    for name in ("estradiol_pg_ml", "total_testosterone_ng_dl", "lh_iu_l"):
        assert np.allclose(fast.series[name], reference.series[name], rtol=0.01), name


def test_what_ifs_share_the_course_before_time_zero_and_give_what_each_gives_alone() -> None:
    """``simulate_alike``: what-ifs of one man (an on-treatment estradiol to match, a history on
    testosterone and anastrozole) reuse the first scenario's course up to t = 0 and give, bit for
    bit, what ``simulate`` gives each of them; a scenario with another history is simulated in
    full, as is one for another person."""
    man = Subject(sex="male", age_y=57.0, weight_kg=86.0, estradiol_on_treatment=(-400.0, 9.0))
    ester = Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0,
                    start_d=-880.0)
    current = Scenario(man, (ester, Regimen("anastrozole", 0.5, every_d=3.5, start_d=-830.0)), 1.0)
    stop = Scenario(man, (ester, Regimen("anastrozole", 0.5, every_d=3.5, start_d=-830.0,
                                         stop_d=0.0)), 1.0)
    daily = Scenario(man, (*stop.regimens, Regimen("anastrozole", 1.0, every_d=1.0)), 1.0,
                     lifestyle_from_t0=replace(man.lifestyle, supplemental_calcium_mg_d=1000.0))
    other_history = Scenario(man, (ester, Regimen("anastrozole", 1.0, every_d=3.5,
                                                  start_d=-830.0)), 1.0)
    other_person = Scenario(replace(man, age_y=58.0), current.regimens, 1.0)
    scenarios = [current, stop, daily, other_history, other_person]
    times = np.linspace(0.0, 365.25, 7)
    together = single.simulate_alike(scenarios, params=P, times_d=times)
    assert [t.meta["history_shared"] for t in together] == [False, True, True, False, False]
    for scenario, trajectory in zip(scenarios, together, strict=True):
        alone = simulate(scenario, params=P, times_d=times)
        for name, values in alone.series.items():
            np.testing.assert_array_equal(trajectory.series[name], values, err_msg=name)
        assert trajectory.meta["aromatization_factor"] == alone.meta["aromatization_factor"]
    # the what-ifs differ from t = 0 only: stopping the AI raises estradiol within weeks
    on_ai, stopped = (together[i].series["estradiol_pg_ml"] for i in (0, 1))
    assert stopped[0] == on_ai[0] and stopped[2] > 1.3 * on_ai[2]


def test_an_earlier_scan_is_carried_to_time_zero_along_the_simulated_course() -> None:
    """A woman on anastrozole for two years, scanned a year ago: her BMD and T-score at t = 0
    start from the scan less what she lost since, as simulated (fast and reference paths agree);
    scanned at t = 0 (or with no day), the scan is today's value, as before; a scan older than
    the simulated past is carried from its start."""
    ai = (Regimen("anastrozole", 1.0, every_d=1.0, start_d=-730.0),)
    scans = {"bmd_g_cm2": {"lumbar_spine": 0.95}, "t_scores": {"lumbar_spine": -0.9}}
    year_ago = Subject(sex="female", age_y=64.0, weight_kg=70.0, years_since_menopause=12.0,
                       **scans, bmd_scan_d={"lumbar_spine": -365.0})  # type: ignore[arg-type]
    times = np.array([0.0, 365.25])
    carried = {method: simulate(Scenario(year_ago, ai, 1.0), params=P, times_d=times,
                                method=method) for method in ("fast", "reference")}
    change = carried["fast"].meta["bmd_change_scan_to_t0_pct"]["lumbar_spine"]
    assert -6.0 < change < -1.0  # an inhibitor's first years: 2-4 %/y at the spine
    assert change == pytest.approx(
        carried["reference"].meta["bmd_change_scan_to_t0_pct"]["lumbar_spine"], abs=0.02)
    series = carried["fast"].series
    assert series["lumbar_spine_bmd_g_cm2"][0] == pytest.approx(0.95 * (1 + change / 100))
    sd = single.T_SCORE_REFERENCE["lumbar_spine"][1]
    assert series["lumbar_spine_t_score"][0] == pytest.approx(-0.9 + 0.95 * change / 100 / sd)
    today = simulate(Scenario(replace(year_ago, bmd_scan_d={}), ai, 1.0), params=P,
                     times_d=times).series
    assert today["lumbar_spine_t_score"][0] == -0.9 and today["lumbar_spine_bmd_g_cm2"][0] == 0.95
    long_ago = replace(year_ago, bmd_scan_d={"lumbar_spine": -29.0 * 365.25})
    old = simulate(Scenario(long_ago, ai, 1.0), params=P, times_d=times)
    assert old.meta["bmd_change_scan_to_t0_pct"]["lumbar_spine"] < change  # menopause included


def test_scans_before_a_matched_estradiol_reuse_the_match_run() -> None:
    """A man on TRT with anastrozole, scanned before his regimens and with an estradiol measured
    on them (like the spec's example): the history to t = 0 continues the estradiol match's last
    run, and the scan's day comes from a run up to it, not from integrating his past again (the
    spec's example: 2,546 steps in all, was 3,007); fast and reference paths agree on the carry.
    A scan older than his simulated past is carried from its start."""
    regimens = (Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0,
                        start_d=-870.0),
                Regimen("anastrozole", 0.5, every_d=3.5, start_d=-820.0))
    man = Subject(sex="male", age_y=57.0, weight_kg=86.0, estradiol_on_treatment=(-400.0, 9.0),
                  t_scores={"lumbar_spine": -1.1}, bmd_scan_d={"lumbar_spine": -875.0})
    times = np.array([0.0, 365.25])
    runs = {method: simulate(Scenario(man, regimens, 1.0), params=P, times_d=times,
                             method=method) for method in ("fast", "reference")}
    fast = runs["fast"].meta
    assert fast["history_resumed_at_d"] == -400.0  # continued from the match's run
    assert fast["bmd_change_scan_to_t0_pct"]["lumbar_spine"] == pytest.approx(
        runs["reference"].meta["bmd_change_scan_to_t0_pct"]["lumbar_spine"], abs=0.05)
    older = replace(man, bmd_scan_d={"lumbar_spine": -29.0 * 365.25})
    old = simulate(Scenario(older, regimens, 1.0), params=P, times_d=times)
    assert math.isfinite(old.meta["bmd_change_scan_to_t0_pct"]["lumbar_spine"])
    assert old.series["lumbar_spine_t_score"][0] != -1.1  # carried along his past


def test_an_estradiol_measured_before_a_young_womans_simulated_past_is_reached() -> None:
    """A woman years before her menopause with an estradiol from last week given as measured on
    treatment: her simulation had no past to match it in (it started at t = 0 and the match
    failed with an IndexError); it now starts before that week. Her estradiol is mostly ovarian,
    which the match (of extra-ovarian production) cannot lower to 36 pg/mL: it goes as far as its
    bound allows, below her untreated level."""
    woman = Subject(sex="female", age_y=45.0, years_since_menopause=-4.0,
                    estradiol_on_treatment=(-7.0, 36.0))
    times = np.array([0.0, 30.0])
    matched = simulate(Scenario(woman, (), 1.0), params=P, times_d=times)
    assert matched.meta["t_start_d"] <= -14.0
    assert matched.meta["aromatization_factor"] == pytest.approx(single.E2_MATCH_FACTOR_RANGE[0])
    untreated = simulate(Scenario(replace(woman, estradiol_on_treatment=None), (), 1.0), params=P,
                         times_d=times)
    assert 36.0 < matched.series["estradiol_pg_ml"][0] < untreated.series["estradiol_pg_ml"][0]


def test_a_nearby_steady_state_is_found_by_newton_as_integration_finds_it() -> None:
    params = current_parameters()
    for subject in (OLD_MAN, WOMAN, Subject(sex="female", age_y=47.0, years_since_menopause=-3.0)):
        near = steady_state(subject, params, -800.0)
        for factor in (0.1, 0.6, 3.0):
            inputs = subject_inputs(subject, params, factor)
            integrated = equilibrate(inputs, params, -800.0)
            newton = equilibrate(inputs, params, -800.0, near)
            assert np.allclose(newton.state, integrated.state, rtol=1e-8, atol=1e-12)
            assert not np.allclose(newton.state, near.state, rtol=1e-3)  # it did move


def test_newton_from_the_reference_state_finds_the_integrated_steady_state() -> None:
    """The steady state found by Newton steps from the reference state (the default) is the one
    the 150-year integration reaches, for people of both sexes, all ages, before and after the
    menopause, with low and high calcium, vitamin D and loading, and drawn parameters."""
    rng = np.random.default_rng(7)
    drawn = sample_parameters(8, rng, current_parameters())
    for k in range(16):
        params = current_parameters() if k < 8 else ModelParameters(drawn[k - 8])
        sex = "male" if k % 2 else "female"
        age = float(rng.uniform(30.0, 88.0))
        lifestyle = Lifestyle(
            dietary_calcium_mg_d=float(rng.uniform(200.0, 2000.0)),
            vitamin_d_iu_d=float(rng.choice([0.0, 800.0, 4000.0])),
            resistance_sessions_per_week=float(rng.choice([0.0, 3.0])),
            impact_sessions_per_week=float(rng.choice([0.0, 4.0])),
            weight_bearing_aerobic_minutes_per_week=float(rng.uniform(0.0, 600.0)))
        subject = Subject(sex=sex, age_y=age, weight_kg=float(rng.uniform(50.0, 120.0)),
                          years_since_menopause=(None if sex == "male"
                                                 else float(rng.uniform(-8.0, age - 40.0))),
                          lifestyle=lifestyle)
        t_d = float(rng.uniform(-3000.0, 0.0))
        inputs = subject_inputs(subject, params)
        found = equilibrate(inputs, params, t_d)
        integrated = integrated_steady_state(inputs, params, t_d)
        frozen = single._frozen_inputs(inputs, t_d)
        _, converged = single._newton(single._reference_start(frozen, params), params.values,
                                      frozen, S.error_scale(), single.NEWTON_STEADY_ITERATIONS)
        assert converged, subject  # Newton found it, not the fallback integration
        solved = [i for i in range(S.N_STATES)
                  if i not in (S.CA_BONE, S.CA_URINE, S.CA_FECES, S.CA_INTAKE)]
        assert np.allclose(found.state[solved], integrated[solved], rtol=1e-8,
                           atol=1e-12), subject


def test_a_rescaled_person_keeps_the_schedule_with_the_new_constants() -> None:
    params = current_parameters()
    subject = Subject(sex="male", age_y=57.0, weight_kg=86.0)
    scenario = Scenario(subject, (Regimen("anastrozole", 0.5, every_d=3.5, start_d=-100.0),), 1.0)
    old, new = (subject_inputs(subject, params, f) for f in (1.0, 0.5))
    schedule = scenario_schedule(scenario, old, params, -200.0)
    rebased = _rebased_schedule(schedule, old, new)
    rebuilt = scenario_schedule(scenario, new, params, -200.0)
    assert rebased is not None
    assert np.array_equal(rebased.inputs, rebuilt.inputs)
    assert np.array_equal(rebased.times_d, rebuilt.times_d)
    assert np.array_equal(rebased.boluses, rebuilt.boluses)
    overridden = schedule.inputs.copy()
    changed = int(np.flatnonzero(old != new)[0])
    overridden[-1, changed] += 1.0  # a segment that sets one of the changed constants itself
    assert _rebased_schedule(replace(schedule, inputs=overridden), old, new) is None


def test_estradiol_is_matched_over_the_whole_history_when_the_recent_one_misleads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The factor search looks at the recent history first; the match is then checked, and if
    need be searched again, over the whole history, so treatment acting from before that window
    (here a goserelin depot, with a window shortened to 10 days) still counts."""
    subject = Subject(sex="female", age_y=42.0, years_since_menopause=-8.0,
                      estradiol_on_treatment=(-40.0, 3.0))
    regimens = (Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0, start_d=-400.0),
                Regimen("anastrozole", 1.0, start_d=-400.0))
    scenario = Scenario(subject, regimens, 0.5)
    usual = simulate(scenario, params=P).meta["aromatization_factor"]
    monkeypatch.setattr(single, "E2_MATCH_SEARCH_HISTORY_D", 1e6)  # whole history only
    whole = simulate(scenario, params=P).meta["aromatization_factor"]
    monkeypatch.setattr(single, "E2_MATCH_SEARCH_HISTORY_D", 10.0)  # too short: E2 not yet down
    short = simulate(scenario, params=P).meta["aromatization_factor"]
    assert whole > 1.5  # her E2 of 3 pg/mL asks for more aromatization than typical
    assert abs(math.log(usual / whole)) < 0.03
    assert abs(math.log(short / whole)) < 0.03


def test_resuming_on_a_dose_day_keeps_that_dose() -> None:
    """The state kept at the lab date is taken before that day's dose: resuming there gives the
    dose, as the uninterrupted run does (and a lab date between doses gives none twice)."""
    params = current_parameters()
    subject = Subject(sex="male", age_y=57.0, weight_kg=86.0)
    scenario = Scenario(subject, (Regimen("testosterone_cypionate", 100.0, route="intramuscular",
                                          every_d=7.0, start_d=-700.0),), 0.1)
    t_start = start_time(scenario)
    baseline = steady_state(subject, params, t_start)
    schedule = scenario_schedule(scenario, baseline.inputs, params, t_start)
    times = np.array([-5.0, -1.0, 0.0])
    whole, *_ = single._fast_run(baseline.state, params.values, schedule, times,
                                 S.error_scale(), None)
    for lab_day in (-7.0, -9.5):  # on a dose day; between doses
        _, resume = single._mean_e2_before(lab_day, baseline, schedule, params.values)
        assert resume is not None and resume.t_d == lab_day
        resumed, _, _, _, at = single._fast_run(baseline.state, params.values, schedule, times,
                                                S.error_scale(), resume)
        assert at == lab_day
        assert np.allclose(resumed, whole, rtol=2e-3, atol=1e-6 * S.error_scale()), lab_day


def test_an_estradiol_matched_only_by_an_implausible_production_is_flagged() -> None:
    """A man on letrozole with 60 pg/mL: the match needs several times his own production, which
    points at the result (assay, timing, adherence), and the reader is told; a plausible result is
    matched without a note."""
    from osteotwin.simulate.single import E2_PLAUSIBLE_FACTOR, unmatched_estradiol_note

    def run(e2_pg_ml: float) -> dict[str, object]:
        subject = Subject(sex="male", age_y=60.0, estradiol_on_treatment=(-30.0, e2_pg_ml))
        letrozole = Regimen("letrozole", 2.5, start_d=-500.0)
        return simulate(Scenario(subject, (letrozole,), 1.0), params=P).meta

    high = run(60.0)
    assert high["estradiol_match"]["matched"]  # type: ignore[index]
    assert float(high["aromatization_factor"]) > E2_PLAUSIBLE_FACTOR  # type: ignore[arg-type]
    note = unmatched_estradiol_note(high)
    assert note is not None and "60 pg/mL" in note and "check the result" in note
    assert unmatched_estradiol_note(run(5.0)) is None
