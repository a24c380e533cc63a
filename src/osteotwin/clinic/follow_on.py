"""Denosumab stopped: whether a bisphosphonate followed it and how long bone stays at risk; one rule
for the assessment and the plan's screen.

After denosumab is stopped, a bisphosphonate given from the last injection on (or still taken on
the assessment date) is what the ECTS position (Tsourdi et al. 2021) and the rebound data (Cummings
et al. 2018) count as the follow-on; one stopped before the last injection's effect wore off, though
it overlapped denosumab, does not prevent the rebound.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from osteotwin.records import PatientRecord
from osteotwin.records.patient import Medication
from osteotwin.vocabulary import drug_class

#: Days after a denosumab injection when its effect wears off if no further dose is given: the next
#: dose of the 6-monthly regimen is due, and resorption rises above its pre-treatment level from
#: then [CUMMINGS2018] [ECTS2021] (a longer recorded interval is used where the regimen has one).
DENOSUMAB_EFFECT_D = 183
#: How long after the effect wears off bone is treated as at risk: at least 2 years, since the odds of
#: multiple vertebral fractures rise with each year off treatment [CUMMINGS2018] and the ECTS advice to
#: follow a stop with a bisphosphonate [ECTS2021]; the length is the planner's [OSTEOTWIN].
DENOSUMAB_REBOUND_D = 730


def follow_on_start(record: PatientRecord, last_injection: dt.date, as_of: dt.date) -> dt.date | None:
    """The start of the first bisphosphonate started on or after ``last_injection`` (and by
    ``as_of``): the follow-on whose start times the DXA about 12 months later (ECTS 2021)."""
    starts = [m.start for m in record.medications
              if drug_class(m.drug) == "bisphosphonate" and m.start is not None
              and last_injection <= m.start <= as_of]
    return min(starts, default=None)


def bisphosphonate_followed(record: PatientRecord, last_injection: dt.date, as_of: dt.date) -> bool:
    """A bisphosphonate taken on ``as_of``, or started on or after ``last_injection`` (and by
    ``as_of``: ``follow_on_start``)."""
    return follow_on_start(record, last_injection, as_of) is not None or any(
        drug_class(m.drug) == "bisphosphonate" and m.active_on(as_of) for m in record.medications)


@dataclass(frozen=True)
class DenosumabStop:
    """Denosumab stopped with no bisphosphonate since: the last injection, when its effect wears off
    and until when bone is treated as at risk of rebound loss."""

    stopped: dt.date | None
    last_injection: dt.date
    wears_off: dt.date
    at_risk_until: dt.date

    def reason(self, as_of: dt.date) -> str:
        stop = f"stopped {self.stopped.isoformat()}, " if self.stopped is not None else ""
        when = (f"rebound bone loss from about {self.wears_off.isoformat()}" if as_of < self.wears_off
                else "rebound bone loss")
        return (f"denosumab {stop}last injection {self.last_injection.isoformat()}, with no "
                f"bisphosphonate since: {when} and risk of multiple vertebral fractures until about "
                f"{self.at_risk_until.isoformat()}")

    def hold_back(self) -> str:
        """Why high-intensity lifting waits, in words."""
        return (f"denosumab stopped (last injection {self.last_injection.isoformat()}) with no "
                f"bisphosphonate since: until about {self.at_risk_until.isoformat()} or until a "
                "bisphosphonate follows")


def _last_injection(m: Medication, as_of: dt.date) -> dt.date | None:
    """The last injection of a stopped regimen on or before ``as_of``; where the schedule is not
    recorded, its stop (the last injection was no later), which errs towards a later window end."""
    day = m.last_dose_on_or_before(as_of)
    if day is None and m.stop is not None and m.stop <= as_of and (m.start is None or m.start <= m.stop):
        day = m.stop
    return day


def denosumab_stop(record: PatientRecord, as_of: dt.date) -> DenosumabStop | None:
    """Denosumab stopped (no regimen of it ongoing on ``as_of``) with no bisphosphonate given since the
    last injection, while the rebound window is open: from the stop until ``DENOSUMAB_REBOUND_D``
    after the effect wears off [CUMMINGS2018] [ECTS2021] [OSTEOTWIN]. The window opens at the stop,
    not only when the effect wears off, because the program's later weeks fall in it. None otherwise.
    """
    regimens = [m for m in record.medications if drug_class(m.drug) == "rankl_inhibitor"
                and (m.start is None or m.start <= as_of)]
    if not regimens or any(m.active_on(as_of) for m in regimens):
        return None
    dated = [(day, m) for m in regimens if (day := _last_injection(m, as_of)) is not None]
    if not dated:
        return None
    last, regimen = max(dated, key=lambda item: item[0])
    if bisphosphonate_followed(record, last, as_of):  # the assessment's rule, one in both
        return None
    wears_off = last + dt.timedelta(days=max(DENOSUMAB_EFFECT_D, math.floor(regimen.every_d or 0.0)))
    until = wears_off + dt.timedelta(days=DENOSUMAB_REBOUND_D)
    if as_of >= until:
        return None
    stops = [m.stop for m in regimens if m.stop is not None and m.stop <= as_of]
    return DenosumabStop(max(stops) if stops else None, last, wears_off, until)
