"""Regimen arithmetic on a patient's medications: the last dose by a date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import default_parameters
from osteotwin.records.patient import Medication
from osteotwin.simulate import Regimen
from osteotwin.simulate.dosing import build_schedule

DAY = dt.date(2026, 1, 1)


def _denosumab(start: dt.date, stop: dt.date | None, every_d: float = 182.625) -> Medication:
    return Medication(drug="denosumab", dose_mg=60.0, route="subcutaneous", every_d=every_d,
                      start=start, stop=stop)


def test_a_dose_on_the_day_counts_and_the_stop_day_does_not() -> None:
    weekly = Medication(drug="alendronate", dose_mg=70.0, every_d=7.0, start=DAY)
    assert weekly.last_dose_on_or_before(DAY) == DAY
    assert weekly.last_dose_on_or_before(DAY + dt.timedelta(days=13)) == DAY + dt.timedelta(days=7)
    assert weekly.last_dose_on_or_before(DAY + dt.timedelta(days=14)) == DAY + dt.timedelta(days=14)
    stopped = Medication(drug="alendronate", dose_mg=70.0, every_d=7.0, start=DAY,
                         stop=DAY + dt.timedelta(days=14))
    assert stopped.last_dose_on_or_before(DAY + dt.timedelta(days=100)) == \
        DAY + dt.timedelta(days=7)


def test_no_dose_before_the_start_for_a_continuous_regimen_or_an_unknown_start() -> None:
    assert _denosumab(DAY, None).last_dose_on_or_before(DAY - dt.timedelta(days=1)) is None
    gel = Medication(drug="testosterone_gel", dose_mg=50.0, every_d=None, start=DAY)
    assert gel.last_dose_on_or_before(DAY + dt.timedelta(days=30)) is None
    unknown = Medication(drug="denosumab", dose_mg=60.0, every_d=182.625)
    assert unknown.last_dose_on_or_before(DAY) is None


@pytest.mark.parametrize(("start_days_before", "stop_days_before"),
                         [(900, None), (900, 300), (700, 520), (400, 1), (183, None), (10, None)])
def test_last_dose_is_where_the_simulator_gives_it(start_days_before: int,
                                                   stop_days_before: int | None) -> None:
    """The simulator's denosumab boluses for the same regimen (days from the assessment date)."""
    start = DAY - dt.timedelta(days=start_days_before)
    stop = None if stop_days_before is None else DAY - dt.timedelta(days=stop_days_before)
    last = _denosumab(start, stop).last_dose_on_or_before(DAY)
    regimen = Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.625,
                      start_d=-float(start_days_before),
                      stop_d=None if stop_days_before is None else -float(stop_days_before))
    base = np.zeros(S.N_INPUTS)
    base[S.U_WEIGHT] = 70.0
    schedule = build_schedule((regimen,), base, default_parameters(), -1000.0, 0.5)
    given = schedule.times_d[:-1][schedule.boluses[:, S.DEN_SC] > 0]
    assert last is not None
    # The simulator keeps fractional days; the record names the calendar day the dose falls on.
    assert (last - DAY).days == int(np.floor(given.max()))
