"""Prediction bands: the virtual people's draws give the same bands in one process or several."""

from __future__ import annotations

import numpy as np
import pytest

from osteotwin.simulate import Scenario
from osteotwin.simulate.bands import BAND_SERIES, project
from osteotwin.simulate.scenario import Regimen, Subject


def _scenarios() -> list[Scenario]:
    woman = Subject(sex="female", age_y=62.0, years_since_menopause=10.0, breast_cancer=True)
    on_ai = Scenario(subject=woman, regimens=(Regimen("anastrozole", dose_mg=1.0, every_d=1.0),),
                     years=1.0)
    return [on_ai, Scenario(subject=woman, regimens=(), years=1.0)]


def test_workers_do_not_change_the_bands() -> None:
    times = np.linspace(0.0, 365.25, 14)
    serial = project(_scenarios(), times, draws=6, seed=7, workers=1)
    parallel = project(_scenarios(), times, draws=6, seed=7, workers=2)
    for one, two in zip(serial, parallel, strict=True):
        for name in BAND_SERIES:
            np.testing.assert_array_equal(one.low[name], two.low[name])
            np.testing.assert_array_equal(one.high[name], two.high[name])
        np.testing.assert_array_equal(one.trajectory.series["lumbar_spine_bmd_change_pct"],
                                      two.trajectory.series["lumbar_spine_bmd_change_pct"])


def test_band_brackets_the_spread_of_the_draws_and_progress_counts_every_person() -> None:
    times = np.linspace(0.0, 365.25, 14)
    calls: list[tuple[int, int]] = []
    on_ai, untreated = project(_scenarios(), times, draws=6, seed=7, workers=2,
                               progress=lambda done, total: calls.append((done, total)))
    # one call per virtual person (simulated under both scenarios), 2 runs each after the 2 central
    assert calls == [(2 + 2 * k, 14) for k in range(1, 7)]
    low = on_ai.low["lumbar_spine_bmd_change_pct"]
    high = on_ai.high["lumbar_spine_bmd_change_pct"]
    assert np.all(low <= high) and high[-1] - low[-1] > 0.0
    # an aromatase inhibitor lowers the whole band below the untreated one at 1 year
    assert on_ai.high["estradiol_pg_ml"][-1] < untreated.low["estradiol_pg_ml"][-1]


def test_summary_bands_are_asked_for_and_only_at_their_times() -> None:
    """A summary band exists only where one was asked for; BMD changes (not averaged) take the
    virtual people's value at the time itself, so their band is the band curve's value there."""
    times = np.linspace(0.0, 365.25, 14)
    plain = project(_scenarios(), times, draws=6, seed=7)[0]
    assert plain.summary_band("lumbar_spine_bmd_change_pct", 365.25) is None
    banded = project(_scenarios(), times, draws=6, seed=7, summary_times_d=[365.25])[0]
    low, high = banded.summary_band("lumbar_spine_bmd_change_pct", 365.25) or (np.nan, np.nan)
    assert (low, high) == pytest.approx((banded.low["lumbar_spine_bmd_change_pct"][-1],
                                         banded.high["lumbar_spine_bmd_change_pct"][-1]))
    assert banded.summary_band("lumbar_spine_bmd_change_pct", 180.0) is None


def test_percentile_bands_need_half_the_draws_and_skip_absent_series() -> None:
    from osteotwin.simulate.bands import percentile_bands

    runs = [{"a": np.array([float(i), 10.0 * i])} for i in range(11)]  # 0..10
    bands = percentile_bands(runs, ["a", "missing"], n_draws=20)
    assert bands is not None and set(bands) == {"a"}
    low, high = bands["a"]
    np.testing.assert_allclose(low, [0.5, 5.0])
    np.testing.assert_allclose(high, [9.5, 95.0])
    assert percentile_bands(runs[:9], ["a"], n_draws=20) is None  # 9 of 20 solved: no band
    assert percentile_bands([], ["a"], n_draws=0) is None


def test_a_draw_that_fails_is_left_out_of_every_course(caplog: pytest.LogCaptureFixture) -> None:
    """``draw_runs`` (the web what-if's and the report's bands): a virtual person whose simulation
    fails (here parameters that are not numbers) is dropped from every course and logged, the
    others kept."""
    from dataclasses import replace

    from osteotwin.physiology.parameters import default_parameters
    from osteotwin.simulate.bands import draw_runs

    params = default_parameters()
    broken = replace(params, values=np.full_like(params.values, np.nan))
    with caplog.at_level("WARNING"):
        runs = draw_runs(_scenarios(), [params, broken, params], np.array([0.0, 365.25]))
    assert [len(course) for course in runs] == [2, 2]
    assert "a parameter draw failed" in caplog.text


def test_trailing_mean_averages_the_window_up_to_each_time() -> None:
    from osteotwin.simulate.bands import trailing_mean

    t = np.arange(0.0, 30.0)
    np.testing.assert_allclose(trailing_mean(t, np.full_like(t, 4.0)), 4.0)
    ramp = trailing_mean(t, t)  # mean of s over [t - 7, t]; over [0, t] before day 7
    np.testing.assert_allclose(ramp[7:], t[7:] - 3.5)
    np.testing.assert_allclose(ramp[:7], t[:7] / 2.0)


def test_hormone_curves_are_week_means_on_the_days_and_others_stay_as_they_are() -> None:
    """On a daily grid with a 6-hourly summary window (``averaging.summary_grid``) a level that
    swings every 3.5 days becomes its cycle mean everywhere after the first week, the window's
    extra points included (they would otherwise step the curve); BMD is left as it is."""
    from osteotwin.simulate.averaging import summary_grid
    from osteotwin.simulate.bands import band_curves, mean_points

    t = summary_grid(1.0, [1.0], 1.0)
    assert mean_points(t).size < t.size  # the whole days and the horizon
    coarse = np.linspace(0.0, 365.25, 14)
    np.testing.assert_array_equal(mean_points(coarse), np.arange(14))  # no daily grid: all
    phase = 2.0 * np.pi * t / 3.5
    swinging = 10.0 + 5.0 * np.sin(phase) ** 3 + 2.0 * np.cos(2.0 * phase)  # mean 10
    bmd = 0.01 * t
    curves = band_curves(t, {"estradiol_pg_ml": swinging, "lumbar_spine_bmd_change_pct": bmd})
    assert set(curves) == {"estradiol_pg_ml", "lumbar_spine_bmd_change_pct"}
    late = t >= 7.0
    assert np.ptp(swinging[late]) > 5.0
    # every week of whole days holds each phase once; the horizon (day 365.25) is off that grid
    np.testing.assert_allclose(curves["estradiol_pg_ml"][late][:-1], 10.0, rtol=1e-9)
    assert curves["estradiol_pg_ml"][-1] == pytest.approx(10.0, rel=0.01)
    np.testing.assert_array_equal(curves["lumbar_spine_bmd_change_pct"], bmd)


def test_the_central_curve_is_the_band_quantity_of_the_central_trajectory() -> None:
    from osteotwin.simulate.averaging import summary_grid
    from osteotwin.simulate.bands import band_curves, band_quantity

    times = summary_grid(0.5, [0.5], 1.0)
    on_ai = project(_scenarios()[:1], times, draws=0)[0]
    assert on_ai.low == {} and set(on_ai.central) == set(BAND_SERIES)
    expected = band_curves(times, on_ai.trajectory.series)
    for name in BAND_SERIES:
        np.testing.assert_array_equal(on_ai.central[name], expected[name])
    assert band_quantity("estradiol_pg_ml") == "mean over the 7 days up to each time"
    assert band_quantity("ctx_change_pct") == "value at each time"


def test_a_steady_fortnightly_course_reads_flat_and_equal_weekly_amounts_alike() -> None:
    """Review: enanthate 200 mg every 14 days, steady for years, read 867 → 739 → 556 ng/dL at 1,
    2 and 5 years, and 840 → 968 → 1152 with the start a week later (a 7-day mean of a 14-day
    cycle: where the week fell); cypionate 200 mg every 2 weeks read 10 % below 100 mg weekly.
    Each course's summary is its whole-cycle mean (``Projection.summary_value``), so the steady
    course reads flat whatever its phase, and the same weekly amount reads alike."""
    from osteotwin.simulate.averaging import DAYS_PER_YEAR, summary_grid, widest_windows

    man = Subject(sex="male", age_y=57.0, weight_kg=90.0, total_testosterone_ng_dl=250.0)

    def injections(drug: str, dose: float, every: float, start: float) -> Scenario:
        return Scenario(subject=man, years=5.0, label=f"{drug} {dose:g}/{every:g} from {start:g}",
                        regimens=(Regimen(drug, dose, route="intramuscular", every_d=every,
                                          start_d=start),))

    courses = [injections("testosterone_enanthate", 200.0, 14.0, -1491.0),
               injections("testosterone_enanthate", 200.0, 14.0, -1498.0),
               injections("testosterone_cypionate", 100.0, 7.0, -1491.0),
               injections("testosterone_cypionate", 200.0, 14.0, -1491.0)]
    at_d = [y * DAYS_PER_YEAR for y in (1.0, 2.0, 5.0)]
    times = summary_grid(5.0, (1.0, 2.0, 5.0), 1.0,
                         windows_d=widest_windows([c.regimens for c in courses], at_d))
    projections = project(courses, times, draws=0, summary_times_d=at_d)
    assert [p.summary_windows_d for p in projections] == [(14.0,) * 3, (14.0,) * 3, (7.0,) * 3,
                                                          (14.0,) * 3]
    levels = np.array([[p.summary_value("total_testosterone_ng_dl", t) for t in at_d]
                       for p in projections])
    for course in levels:  # flat over the years on a steady course
        assert np.ptp(course) < 0.02 * course.mean(), levels
    enanthate, shifted, weekly, fortnightly = levels.mean(axis=1)
    assert abs(shifted / enanthate - 1.0) < 0.02  # a week's shift of the phase changes nothing
    assert abs(fortnightly / weekly - 1.0) < 0.03, levels  # 200 mg / 2 weeks as 100 mg / week
    # a time not asked for beforehand still takes the course's cycle
    assert projections[0].summary_window_d(100.0) == 14.0
