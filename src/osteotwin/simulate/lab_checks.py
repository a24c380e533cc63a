"""Measured results the simulation does not reproduce, said beside its predictions.

The model matches an estradiol measured on treatment (``single``); testosterone it predicts from
the doses and the person's axis, not from their own result. Where a recent total testosterone
measured on the current course falls well outside what the model gives over a dosing cycle, the
reader is told, so a predicted testosterone is not taken for this person's (Bhasin et al. 2018,
J Clin Endocrinol Metab 103:1715: monitoring goes by the measured level).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from osteotwin.records.patient import PatientRecord
from osteotwin.simulate.averaging import dosing_cycle_d
from osteotwin.simulate.scenario import Regimen
from osteotwin.simulate.trajectory import Trajectory

#: A result older than this (days before t = 0) is not compared: the course may have changed
#: (osteotwin's choice: the 3-6-month monitoring interval on testosterone therapy, Bhasin et al. 2018).
RECENT_DAYS = 180
#: The model's range over its first days from t = 0 that a result is compared with: at least this,
#: and at least the dosing cycle the hormone averages use (``averaging.dosing_cycle_d``: the longest
#: interval of the sex-hormone regimens in force, testosterone undecanoate every 10 weeks); 28 days
#: covers weekly and fortnightly injections and a gel's steady state (osteotwin's choice).
CYCLE_WINDOW_D = 28.0
#: How far outside that range a result must fall to be noted (ratio): assays differ by 10-15 %
#: and a trough or peak sample by more (Bhasin et al. 2018), so only clear differences are said
#: (the ratio is osteotwin's choice).
TESTOSTERONE_MISMATCH_RATIO = 1.25


def _course_unchanged(regimens: Sequence[Regimen], day: float) -> bool:
    """No regimen starts or stops between ``day`` (≤ 0) and t = 0, and one is active at ``day``."""
    for r in regimens:
        if day < r.start_d <= 0.0 or (r.stop_d is not None and day < r.stop_d <= 0.0):
            return False
    return any(r.start_d <= day and (r.stop_d is None or r.stop_d > day) for r in regimens)


def cycle_window_d(regimens: Sequence[Regimen]) -> float:
    """Days from t = 0 that cover a whole dosing cycle of every sex-hormone regimen in force at
    t = 0, the cycle the summary tables average over (``averaging.dosing_cycle_d``; a yearly
    infusion beside them is no hormone cycle), at least ``CYCLE_WINDOW_D``."""
    return max(CYCLE_WINDOW_D, dosing_cycle_d(regimens, 0.0))


def cycle_range(trajectory: Trajectory, regimens: Sequence[Regimen] = ()
                ) -> tuple[float, float] | None:
    """The model's total testosterone, lowest and highest, over a whole dosing cycle from t = 0
    (``cycle_window_d`` of ``regimens``) of ``trajectory`` (its own time points: give it the
    simulation's grid, not averaged curves)."""
    series = trajectory.series.get("total_testosterone_ng_dl")
    if series is None:
        return None
    window = np.asarray(trajectory.times_d) <= cycle_window_d(regimens)
    return float(np.min(series[window])), float(np.max(series[window]))


def testosterone_note(record: PatientRecord, as_of: dt.date, regimens: Sequence[Regimen],
                      model_range: tuple[float, float] | None, estradiol_matched: bool = False
                      ) -> str | None:
    """A sentence when the latest total testosterone, measured on the current course within
    ``RECENT_DAYS``, lies outside the model's cycle range (``cycle_range``) by
    ``TESTOSTERONE_MISMATCH_RATIO``; else None."""
    lab = record.latest_lab("total_testosterone", on_or_before=as_of)
    if lab is None or model_range is None or (as_of - lab.date).days > RECENT_DAYS:
        return None
    if not _course_unchanged(regimens, float((lab.date - as_of).days)):
        return None
    low, high = model_range
    measured = lab.value
    if low / TESTOSTERONE_MISMATCH_RATIO <= measured <= high * TESTOSTERONE_MISMATCH_RATIO:
        return None
    band = f"{low:.0f}" if round(low) == round(high) else f"{low:.0f}-{high:.0f}"
    matched = " (its estradiol is matched to the measured one)" if estradiol_matched else ""
    return (f"The total testosterone measured on this course ({measured:.0f} ng/dL on "
            f"{lab.date.isoformat()}) is {'above' if measured > high else 'below'} the model's "
            f"{band} ng/dL over a dosing cycle: the simulated testosterone is the typical response "
            f"to the doses, not matched to this person{matched}, so go by the measured level "
            "(Bhasin et al. 2018); check the sample's timing against the dose and the assay.")


def course_testosterone_note(record: PatientRecord, regimens: Sequence[Regimen],
                             trajectory: Trajectory) -> str | None:
    """``testosterone_note`` for the current course simulated from the record's date (else today):
    its cycle range from ``trajectory`` (the simulation's own grid) and whether its estradiol was
    matched."""
    return testosterone_note(record, record.as_of or dt.date.today(), regimens,
                             cycle_range(trajectory, regimens),
                             bool(trajectory.meta.get("estradiol_match")))

