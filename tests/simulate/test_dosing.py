"""Regimens → segments: dose counts, continuous rates, assumed doses."""

from __future__ import annotations

import numpy as np

from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import default_parameters
from osteotwin.simulate import Regimen
from osteotwin.simulate.dosing import build_schedule

P = default_parameters()


def _base() -> np.ndarray:
    u = np.zeros(S.N_INPUTS)
    u[S.U_WEIGHT] = 70.0
    return u


def test_twice_weekly_anastrozole_is_given_as_boluses_of_the_right_size() -> None:
    regimen = Regimen("anastrozole", 0.5, every_d=3.5, start_d=0.0, stop_d=35.0)
    schedule = build_schedule((regimen,), _base(), P, 0.0, 70.0)
    doses = schedule.boluses[:, S.ANA]
    assert np.count_nonzero(doses) == 10
    expected = 0.5e6 / (P["anastrozole_vd_l"] * 1000.0)
    assert np.allclose(doses[doses > 0], expected)
    assert np.all(schedule.inputs[:, S.U_ANA] == 0.0)


def test_daily_oral_ai_is_a_continuous_rate_only_while_taken() -> None:
    regimen = Regimen("letrozole", 2.5, every_d=1.0, start_d=10.0, stop_d=40.0)
    schedule = build_schedule((regimen,), _base(), P, -5.0, 100.0)
    mids = (schedule.times_d[:-1] + schedule.times_d[1:]) / 2
    on = (mids > 10.0) & (mids < 40.0)
    assert np.all(schedule.inputs[on, S.U_LET] == 2.5)
    assert np.all(schedule.inputs[~on, S.U_LET] == 0.0)


def test_explicit_dosing_turns_daily_doses_into_boluses() -> None:
    regimen = Regimen("anastrozole", 1.0, every_d=1.0, start_d=0.0, stop_d=7.0)
    schedule = build_schedule((regimen,), _base(), P, 0.0, 10.0, explicit_oral_dosing=True)
    assert np.count_nonzero(schedule.boluses[:, S.ANA]) == 7


def test_unknown_dose_uses_the_labelled_dose_and_is_reported() -> None:
    schedule = build_schedule((Regimen("letrozole", None, every_d=None),), _base(), P, 0.0, 10.0)
    assert schedule.assumed_doses == ("letrozole",)
    assert schedule.inputs[0, S.U_LET] == 2.5


def test_prior_regimen_before_start_is_clipped_to_the_simulation_window() -> None:
    regimen = Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=182.6, start_d=-400.0)
    schedule = build_schedule((regimen,), _base(), P, -200.0, 400.0)
    times = schedule.times_d[:-1][schedule.boluses[:, S.BP] > 0]
    assert np.allclose(times, [-400.0 + 2 * 182.6, -400.0 + 3 * 182.6, -400.0 + 4 * 182.6])


def test_a_12_week_goserelin_implant_releases_as_three_28_day_implants() -> None:
    regimen = Regimen("goserelin", 10.8, route="subcutaneous", every_d=84.0, start_d=0.0,
                      stop_d=1.0)
    schedule = build_schedule((regimen,), _base(), P, 0.0, 200.0)
    doses = schedule.boluses[:, S.GOS]
    times = schedule.times_d[:-1][doses > 0]
    assert np.allclose(times, [0.0, 28.0, 56.0])  # given once; it keeps releasing after the stop
    assert np.allclose(doses[doses > 0], 3.6)


def test_an_estradiol_patch_dose_is_per_day_whatever_the_change_interval() -> None:
    """spec/codes.yaml: estradiol_transdermal dose per day (patch: µg/day)."""
    changed_twice_weekly = Regimen("estradiol_transdermal", 0.05, route="transdermal", every_d=3.5)
    continuous = Regimen("estradiol_transdermal", 0.05, route="transdermal", every_d=None)
    for regimen in (changed_twice_weekly, continuous):
        schedule = build_schedule((regimen,), _base(), P, 0.0, 10.0)
        assert schedule.inputs[0, S.U_E2TD] == 0.05


def test_oral_testosterone_undecanoate_is_a_daily_rate_not_a_depot() -> None:
    oral = Regimen("testosterone_undecanoate", 237.0, route="oral", every_d=0.5)
    schedule = build_schedule((oral,), _base(), P, 0.0, 10.0)
    assert not schedule.boluses[:, S.T_UND].any()
    expected = 474.0 * 288.4 / 456.7 * P["testosterone_undecanoate_oral_bioavailability"]
    assert np.allclose(schedule.inputs[:, S.U_TORAL], expected)
    injected = Regimen("testosterone_undecanoate", 750.0, route="intramuscular", every_d=70.0)
    schedule = build_schedule((injected,), _base(), P, 0.0, 10.0)
    assert schedule.boluses[0, S.T_UND] > 0 and not schedule.inputs[:, S.U_TORAL].any()


def test_oral_testosterone_undecanoate_without_a_dose_takes_the_oral_label_dose() -> None:
    oral = Regimen("testosterone_undecanoate", None, route="oral", every_d=None)
    schedule = build_schedule((oral,), _base(), P, 0.0, 10.0)
    assert schedule.assumed_doses == ("testosterone_undecanoate",)
    expected = 474.0 * 288.4 / 456.7 * P["testosterone_undecanoate_oral_bioavailability"]
    assert np.allclose(schedule.inputs[:, S.U_TORAL], expected)
