"""Hormone averaging over the dosing cycle: summary values and curves."""

from __future__ import annotations

import numpy as np

from osteotwin.simulate.averaging import (
    DAYS_PER_YEAR,
    averaged_curves,
    daily_points,
    daily_times,
    rolling_mean,
    summary_grid,
    summary_value,
    summary_years,
)


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
    # the seven daily points of the half-open window weigh each phase of the week once
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
