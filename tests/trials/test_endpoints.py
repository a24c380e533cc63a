"""Endpoint evaluation on hand-made simulated series (windows, labs, contrasts, fractures)."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.physiology.binding import free_testosterone_pg_ml
from osteotwin.physiology.fracture import FractureParameters, cumulative_incidence_pct
from osteotwin.trials import parse_trial_document
from osteotwin.trials.endpoints import (
    ArmSimulation,
    add_published_levels,
    duration_label,
    evaluate_endpoint,
    not_simulated_note,
    person_values,
    published_level_notes,
)
from osteotwin.trials.model import Distribution

TIMES = np.array([0.0, 365.25, 730.5, 1095.75])


def _sim(arm: str, ls_change: list[list[float]], e2: list[list[float]]) -> ArmSimulation:
    ls = np.array(ls_change, dtype=float)
    return ArmSimulation(arm_id=arm, times_d=TIMES,
                         series={"lumbar_spine_bmd_change_pct": ls,
                                 "total_hip_bmd_change_pct": ls,
                                 "estradiol_pg_ml": np.array(e2, dtype=float)},
                         ages_y=np.full(ls.shape[0], 65.0), sex="female")


TRIAL = parse_trial_document({
    "version": 1, "id": "t", "citation": "c", "population": {"sex": "female"},
    "arms": [{"id": "ai", "n": 100, "regimens": []}, {"id": "pl", "n": 100, "regimens": []}],
    "endpoints": [
        {"arm": "ai", "quantity": "lumbar_spine_bmd_change_pct", "at": "1 y", "value": -2.0},
        {"arm": "ai", "quantity": "lumbar_spine_bmd_change_pct", "from": "1 y", "at": "2 y",
         "value": -1.0},
        {"arm": "ai", "quantity": "estradiol_change_pct", "at": "6 mo", "value": -50.0},
        {"arm": "ai", "quantity": "estradiol", "at": "1 y", "value": 5.0, "unit": "pg/mL"},
        {"contrast": ["ai", "pl"], "quantity": "lumbar_spine_bmd_change_pct", "at": "1 y",
         "value": -2.5, "ci95": [-3.5, -1.5]},
        {"arm": "ai", "quantity": "fracture_incidence_pct", "at": "3 y", "value": 6.0},
        {"arm": "ai", "quantity": "p1np_change_pct", "at": "1 y", "value": 10.0},
    ],
})
AI = _sim("ai", [[0, -2, -3.98, -5], [0, -2, -3.98, -5]], [[20, 4, 4, 4], [10, 6, 6, 6]])
PL = _sim("pl", [[0, 0.5, 1, 1], [0, 0.5, 1, 1]], [[20, 20, 20, 20], [10, 10, 10, 10]])
SIMS = {"ai": AI, "pl": PL}


def test_change_from_start_and_from_a_later_time() -> None:
    assert person_values(TRIAL.endpoints[0], AI) == pytest.approx([-2.0, -2.0])
    # from 98 % to 96.02 % of baseline = -1.0102 % of the 1-year value
    assert person_values(TRIAL.endpoints[1], AI) == pytest.approx([100 * (96.02 / 98 - 1)] * 2)


def test_lab_change_interpolates_and_absolute_level() -> None:
    at = TRIAL.endpoints[2].at_d
    w = at / 365.25
    expected = [100 * ((1 - w) * 20 + w * 4 - 20) / 20, 100 * ((1 - w) * 10 + w * 6 - 10) / 10]
    assert person_values(TRIAL.endpoints[2], AI) == pytest.approx(expected)
    result = evaluate_endpoint(TRIAL, TRIAL.endpoints[3], SIMS)
    assert result.predicted == pytest.approx(5.0)
    assert result.passed is True and result.interval == (pytest.approx(4.5), pytest.approx(5.5))


def test_contrast_is_arm_minus_arm_with_paired_interval() -> None:
    result = evaluate_endpoint(TRIAL, TRIAL.endpoints[4], SIMS)
    assert result.predicted == pytest.approx(-2.5)
    assert result.prediction_interval == (pytest.approx(-2.5), pytest.approx(-2.5))
    assert result.passed is True
    assert result.to_json()["contrast"] == ["ai", "pl"]


def test_fracture_incidence_uses_the_hazard_model() -> None:
    params = FractureParameters()
    result = evaluate_endpoint(TRIAL, TRIAL.endpoints[5], SIMS, params)
    direct = cumulative_incidence_pct(TIMES, AI.ages_y, "female",
                                      AI.series["total_hip_bmd_change_pct"], params)
    assert result.predicted == pytest.approx(float(direct[:, -1].mean()))
    assert 0 < result.predicted < 100


def test_fracture_incidence_reads_the_ctx_series_and_defaults_to_the_packaged_fit() -> None:
    from osteotwin.calibrate.fitted import load_fracture_parameters

    endpoint = TRIAL.endpoints[5]
    hip = AI.series["total_hip_bmd_change_pct"]
    high = ArmSimulation(arm_id="ai", times_d=TIMES, ages_y=AI.ages_y, sex="female",
                         series={"total_hip_bmd_change_pct": hip,
                                 "ctx_change_pct": np.full(hip.shape, 40.0)})
    low = ArmSimulation(arm_id="ai", times_d=TIMES, ages_y=AI.ages_y, sex="female",
                        series={"total_hip_bmd_change_pct": hip,
                                "ctx_change_pct": np.full(hip.shape, -40.0)})
    params = FractureParameters(rr_per_sd_ctx_increase=1.2)
    assert np.all(person_values(endpoint, high, params) > person_values(endpoint, AI, params))
    assert np.all(person_values(endpoint, low, params) < person_values(endpoint, AI, params))
    direct = cumulative_incidence_pct(TIMES, AI.ages_y, "female", hip, params,
                                      ctx_change_pct=high.series["ctx_change_pct"])
    assert person_values(endpoint, high, params) == pytest.approx(direct[:, -1])
    # without explicit parameters (the batch backends), the packaged fitted set applies
    assert person_values(endpoint, high) == pytest.approx(
        person_values(endpoint, high, load_fracture_parameters()))


def test_quantity_without_series_fails_with_a_note() -> None:
    result = evaluate_endpoint(TRIAL, TRIAL.endpoints[6], SIMS)
    assert result.passed is False and np.isnan(result.predicted)
    assert result.notes and result.to_json()["predicted"] is None


def test_a_change_from_a_later_time_is_labelled_in_the_files_units() -> None:
    assert [duration_label(d) for d in (730.5, 91.3125, 14.0, 10.0)] == ["2 y", "3 mo", "2 wk",
                                                                         "10 d"]


def test_absolute_markers_come_from_a_published_baseline_only() -> None:
    series = {"ctx_change_pct": np.array([[0.0, 50.0], [0.0, -20.0]]),
              "p1np_change_pct": np.array([[0.0, 10.0], [0.0, 10.0]])}
    baseline = {"ctx": Distribution(mean=0.4, sd=0.1), "p1np": Distribution(maximum=60.0)}
    add_published_levels(series, baseline)
    assert np.allclose(series["ctx_ng_ml"], [[0.4, 0.6], [0.4, 0.32]])
    assert "p1np_ng_ml" not in series  # a bound alone gives no level to scale
    assert published_level_notes(baseline) == ["ctx baseline 0.4 ng/mL (the published mean) for everyone"]


def test_a_published_shbg_sets_free_testosterone_and_a_published_free_level_takes_the_change() -> None:
    total = np.array([[400.0, 700.0], [500.0, 500.0]])
    series = {"total_testosterone_ng_dl": total, "shbg_nmol_l": np.full_like(total, 30.0),
              "free_testosterone_pg_ml": free_testosterone_pg_ml(total, 30.0)}
    add_published_levels(series, {"shbg": Distribution(mean=60.0)})
    assert np.all(series["shbg_nmol_l"] == 60.0)
    assert np.allclose(series["free_testosterone_pg_ml"], free_testosterone_pg_ml(total, 60.0))
    before = series["free_testosterone_pg_ml"].copy()
    baseline = {"free_testosterone": Distribution(mean=80.0)}
    add_published_levels(series, baseline)
    # the published level at study start, each person's simulated change after it
    assert np.allclose(series["free_testosterone_pg_ml"][:, 0], 80.0)
    assert np.allclose(series["free_testosterone_pg_ml"][:, 1],
                       80.0 * before[:, 1] / before[:, 0])
    assert any("free testosterone baseline 80" in note for note in published_level_notes(baseline))


def test_not_simulated_note_names_each_quantity_once_with_the_baseline_hint() -> None:
    assert not_simulated_note(["psa", "fsh", "psa"]) == "fsh, psa"
    note = not_simulated_note(["p1np", "hematocrit"])
    assert note.startswith("hematocrit, p1np") and "published baseline" in note


def _weekly_injection_trial() -> object:
    return parse_trial_document({
        "version": 1, "id": "trt", "citation": "c", "population": {"sex": "male"},
        "arms": [{"id": "trt", "n": 100, "regimens": [
            {"drug": "testosterone_cypionate", "dose": "100 mg", "route": "intramuscular",
             "every": "7 d", "start": "0 d"}]}],
        "endpoints": [{"arm": "trt", "quantity": "total_testosterone", "at": at, "value": 700,
                       "unit": "ng/dL"} for at in ("91 d", "13 wk", "3 mo", "94 d")],
    })


def _sawtooth(times: np.ndarray) -> np.ndarray:
    """A weekly injection's testosterone: a peak a day after each dose on days 0, 7, 14, ..."""
    since = np.mod(times, 7.0)
    return 500.0 + 1200.0 * (np.exp(-since / 1.5) - np.exp(-since / 0.5))


def test_hormone_levels_are_dosing_cycle_means_whatever_the_visit_is_called() -> None:
    """'3 mo' (91.3 d, just after the injection on day 91) read the peak and '13 wk' (91 d) the
    trough: 1134 against 658 ng/dL for the same visit. Both now read the mean over the weekly
    cycle before them, as `osteotwin simulate` does."""
    from osteotwin.simulate.averaging import window_mean
    from osteotwin.trials.endpoints import reading_times
    from osteotwin.trials.population import arm_regimens

    trial = _weekly_injection_trial()
    regimens = arm_regimens(trial, trial.arms[0])
    base = np.unique(np.concatenate([np.arange(0.0, 120.0, 30.4375),
                                     [e.at_d for e in trial.endpoints]]))
    times = np.union1d(base, reading_times(trial.endpoints, {"trt": regimens}))
    series = _sawtooth(times)[None, :].repeat(2, axis=0)
    sim = ArmSimulation(arm_id="trt", times_d=times,
                        series={"total_testosterone_ng_dl": series}, ages_y=np.full(2, 50.0),
                        sex="male", regimens=regimens)
    values = [person_values(e, sim)[0] for e in trial.endpoints]
    fine = np.linspace(0.0, 7.0, 7001)
    cycle_mean = float(np.mean(_sawtooth(fine)[:-1]))
    assert values == pytest.approx([cycle_mean] * 4, rel=5e-3)
    assert sim.at("total_testosterone_ng_dl", 91.0)[0] != pytest.approx(
        sim.at("total_testosterone_ng_dl", 91.3125)[0], rel=0.1)  # the instants differ
    assert values[0] == pytest.approx(window_mean(times, series[0], 91.0, 7.0))


def test_reading_window_rules() -> None:
    """The cycle of the sex-hormone regimens in force; the level at the time itself within the
    first cycle after a change of course or study start, without intervals, after a stop."""
    from osteotwin.simulate.scenario import Regimen
    from osteotwin.trials.endpoints import reading_points, reading_window_d

    weekly = Regimen(drug="testosterone_cypionate", dose_mg=100.0, route="intramuscular",
                     every_d=7.0, start_d=0.0)
    depot = Regimen(drug="goserelin", dose_mg=3.6, route="subcutaneous", every_d=28.0, start_d=0.0)
    daily_ai = Regimen(drug="anastrozole", dose_mg=1.0, route="oral", every_d=1.0, start_d=0.0,
                       stop_d=84.0)
    gel = Regimen(drug="testosterone_gel", dose_mg=50.0, route="transdermal", every_d=None,
                  start_d=0.0)
    zoledronate = Regimen(drug="zoledronic_acid", dose_mg=5.0, route="intravenous",
                          every_d=365.0, start_d=0.0)
    assert reading_window_d((weekly,), 91.3125) == 7.0
    assert reading_window_d((weekly,), 7.0) == 0.0  # the first week: the time since the dose
    assert reading_window_d((depot,), 28.0) == 0.0 and reading_window_d((depot,), 14.0) == 0.0
    assert reading_window_d((depot, gel), 112.0) == 28.0
    assert reading_window_d((daily_ai,), 1.0) == 0.0  # a day after the first tablet
    assert reading_window_d((daily_ai,), 14.0) == 1.0
    assert reading_window_d((daily_ai,), 84.0) == 0.0  # stopped then: nothing in force
    assert reading_window_d((gel,), 60.0) == 0.0 and reading_window_d((zoledronate,), 800.0) == 0.0
    late_start = Regimen(drug="testosterone_cypionate", dose_mg=100.0, route="intramuscular",
                         every_d=7.0, start_d=100.0)
    assert reading_window_d((depot, late_start), 120.0) == 0.0  # a course changed 20 d before
    points = reading_points((weekly,), 91.3125)
    assert points[0] == pytest.approx(84.3125) and points[-1] == 91.3125
    assert np.diff(points).max() <= 0.25 + 1e-9  # every 6 h
    assert reading_points((gel,), 60.0).size == 0
