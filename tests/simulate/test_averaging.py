"""Hormone averaging over the dosing cycle: summary values and curves."""

from __future__ import annotations

import numpy as np

from osteotwin.simulate.averaging import (
    DAYS_PER_YEAR,
    averaged_curves,
    daily_points,
    daily_times,
    describe_windows,
    rolling_mean,
    summary_grid,
    summary_value,
    summary_values,
    summary_window_d,
    summary_years,
    widest_windows,
)
from osteotwin.simulate.scenario import Regimen


def test_rolling_mean_removes_a_weekly_swing_and_never_runs_ahead() -> None:
    days = np.arange(200)
    swing = 15.0 + 5.0 * np.sin(2 * np.pi * days / 7.0)
    averaged = rolling_mean(swing, 28)
    assert np.allclose(averaged[27:], 15.0, atol=1e-9)
    assert np.allclose(rolling_mean(np.full(50, 3.0)), 3.0)
    # a step on day 100 shows from day 100 on, not before (a what-if's change starts at t = 0)
    step = np.where(days < 100, 8.0, 20.0)
    stepped = rolling_mean(step, 28)
    assert np.all(stepped[:100] == 8.0) and stepped[100] > 8.0 and stepped[127] == 20.0


def test_averaged_curves_smooth_hormones_and_leave_bmd_alone() -> None:
    days = daily_times(1.0)
    assert days[0] == 0.0 and days[-1] == DAYS_PER_YEAR and np.all(np.diff(days) > 0)
    swing = 500.0 + 300.0 * np.sin(2 * np.pi * days / 7.0)
    bmd = np.linspace(0.0, -2.0, days.size)
    curves = averaged_curves({"total_testosterone_ng_dl": swing, "lumbar_spine_bmd_change_pct": bmd})
    assert np.ptp(curves["total_testosterone_ng_dl"][30:-30]) < 1.0 < np.ptp(swing)
    assert np.array_equal(curves["lumbar_spine_bmd_change_pct"], bmd)


def test_summary_value_averages_a_cycle_whatever_the_phase() -> None:
    """A weekly swing read at 1 and 2 years: one-day values differ with the phase, cycle means
    do not; a BMD change is read at the time itself."""
    times = summary_grid(2.0, (1.0, 2.0), step_d=14.0, window_points=8)
    swing = 500.0 + 300.0 * np.cos(2 * np.pi * times / 7.0)
    one_day = [float(np.interp(y * DAYS_PER_YEAR, times, swing)) for y in (1.0, 2.0)]
    means = [summary_value(times, swing, y * DAYS_PER_YEAR, "total_testosterone_ng_dl")
             for y in (1.0, 2.0)]
    assert abs(one_day[0] - one_day[1]) > 100.0
    # the eight daily points over the week (trapezoids, its ends alike) weigh each phase once
    assert all(abs(m - 500.0) < 1e-6 for m in means), means
    # a sharp weekly peak (an injection) needs the default window, 28 points: within 0.1 %
    dense = summary_grid(2.0, (1.0, 2.0), step_d=14.0)
    peak = 500.0 + 2000.0 * np.exp(-((dense % 7.0) - 1.5) ** 2 / 0.3)
    fine = np.linspace(0.0, 7.0, 70001)
    cycle = float(np.mean(500.0 + 2000.0 * np.exp(-((fine % 7.0) - 1.5) ** 2 / 0.3)))
    for y in (1.0, 2.0):
        value = summary_value(dense, peak, y * DAYS_PER_YEAR, "total_testosterone_ng_dl")
        assert abs(value - cycle) < 1e-3 * cycle, (value, cycle)
    bmd = -times / 365.25
    assert summary_value(times, bmd, DAYS_PER_YEAR, "lumbar_spine_bmd_change_pct") == -1.0


def test_daily_points_pick_whole_days_and_the_horizon_from_a_summary_grid() -> None:
    grid = summary_grid(2.0, (1.0, 2.0), step_d=1.0)
    days = grid[daily_points(grid)]
    assert days[-1] == 2.0 * DAYS_PER_YEAR
    assert np.array_equal(days[:-1], np.arange(0.0, 731.0))  # every day, once


def test_summary_years_take_the_standard_times_and_the_horizon() -> None:
    """1, 2 and 5 years within the horizon, and the horizon itself when it is not one of them."""
    assert summary_years(5.0) == [1.0, 2.0, 5.0]
    assert summary_years(2.0) == [1.0, 2.0]
    assert summary_years(3.0) == [1.0, 2.0, 3.0]
    assert summary_years(0.5) == [0.5]
    assert summary_years(30.0) == [1.0, 2.0, 5.0, 10.0, 20.0, 30.0]  # long horizons in between


def _fortnightly_peak(times: np.ndarray) -> np.ndarray:
    """A sharp injection peak 2 days after each dose, every 14 days (ng/dL)."""
    return 400.0 + 1500.0 * np.exp(-((times % 14.0) - 2.0) ** 2 / 1.0)


def test_the_summary_window_is_the_longest_hormone_dosing_cycle_in_force() -> None:
    """Review: fortnightly enanthate and 10-weekly undecanoate were read over a fixed week. The
    window is a whole cycle of the sex-hormone regimens in force at the time, at least a week;
    an antiresorptive's interval (a yearly infusion) is no hormone cycle."""
    weekly_t = Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0,
                       start_d=-400.0)
    twice_weekly_ai = Regimen("anastrozole", 0.5, every_d=3.5, start_d=-400.0)
    fortnightly = Regimen("testosterone_enanthate", 200.0, route="intramuscular", every_d=14.0,
                          start_d=-400.0, stop_d=0.0)
    undecanoate = Regimen("testosterone_undecanoate", 750.0, route="intramuscular", every_d=70.0,
                          start_d=-400.0)
    yearly_zoledronate = Regimen("zoledronic_acid", 5.0, route="intravenous", every_d=365.25,
                                 start_d=-400.0)
    gel = Regimen("testosterone_gel", 50.0, route="transdermal", every_d=None, start_d=-400.0)
    assert summary_window_d([weekly_t, twice_weekly_ai], 365.25) == 7.0
    assert summary_window_d([gel, twice_weekly_ai], 365.25) == 7.0
    assert summary_window_d([undecanoate, yearly_zoledronate], 365.25) == 70.0
    assert summary_window_d([yearly_zoledronate], 365.25) == 7.0
    # a fortnightly course stopped at t = 0 for a weekly one: its cycle before, the weekly after
    switched = [fortnightly, Regimen("testosterone_cypionate", 100.0, route="intramuscular",
                                     every_d=7.0, start_d=0.0)]
    assert summary_window_d(switched, -10.0) == 14.0
    assert summary_window_d(switched, 365.25) == 7.0
    assert widest_windows([[weekly_t], [fortnightly], []], [-10.0, 365.25]) == (14.0, 7.0)
    assert summary_window_d([undecanoate], 30.0) == 30.0  # a horizon shorter than the cycle


def test_a_fortnightly_cycle_reads_its_mean_whatever_the_phase() -> None:
    """A fortnightly injection's level read at 1, 2 and 5 years (14 × 26.09 days a year: a
    different phase each time) over its 14-day cycle gives the cycle mean each time, on the grid
    filled over the cycle (within 0.1 %) and on a grid dense over the last week only (daily
    before it: the points weigh by the time they stand for, within 1 %); over a week it does not."""
    at_years = (1.0, 2.0, 5.0)
    at_d = [y * DAYS_PER_YEAR for y in at_years]
    fine = np.linspace(0.0, 14.0, 140001)
    cycle = float(np.mean(_fortnightly_peak(fine)))
    filled = summary_grid(5.0, at_years, 1.0, windows_d=(14.0, 14.0, 14.0))
    weekly = summary_grid(5.0, at_years, 1.0)
    for grid, tolerance in ((filled, 1e-3), (weekly, 1e-2)):
        means = summary_values(grid, {"total_testosterone_ng_dl": _fortnightly_peak(grid)}, at_d,
                               ["total_testosterone_ng_dl"], (14.0, 14.0, 14.0))
        assert np.all(np.abs(means["total_testosterone_ng_dl"] / cycle - 1.0) < tolerance), means
    week_means = [summary_value(filled, _fortnightly_peak(filled), t, "total_testosterone_ng_dl")
                  for t in at_d]
    assert max(week_means) - min(week_means) > 0.2 * cycle  # the old reading: a fake trend


def test_the_windows_used_are_said() -> None:
    assert describe_windows([("current course", (14.0, 14.0))], (1.0, 2.0)) == (
        "Hormone levels are means over the 14 days before each time (a whole dosing cycle of "
        "the regimens in force, at least 7 days).")
    text = describe_windows([("current course", (7.0, 7.0)), ("switched", (14.0, 7.0))],
                            (1.0, 2.0))
    assert "current course: 7 days; switched: 14 days at 1 y, 7 days at 2 y." in text
