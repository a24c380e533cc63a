"""Whether a bisphosphonate followed denosumab: one rule for the assessment and the plan's screen.

After denosumab is stopped, a bisphosphonate given from the last injection on (or still taken on
the assessment date) is what the ECTS position (Tsourdi et al. 2021) and the rebound data (Cummings
et al. 2018) count as the follow-on; one stopped before the last injection's effect wore off, though
it overlapped denosumab, does not prevent the rebound.
"""

from __future__ import annotations

import datetime as dt

from osteotwin.records import PatientRecord
from osteotwin.vocabulary import drug_class


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
