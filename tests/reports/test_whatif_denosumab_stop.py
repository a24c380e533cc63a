"""The report's what-if shows denosumab stopped when the aromatase inhibitor ends, with no
bisphosphonate after, beside a course that keeps it: the rebound the planned follow-on prevents
(Cummings et al. 2018; ECTS, Tsourdi et al. 2021), for comparison only."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from typing import Any

import pytest

from osteotwin.records import PatientRecord, parse_patient_document
from osteotwin.reports.whatif import (
    DENOSUMAB_STOP_LABEL,
    WhatIf,
    alternatives,
    default_simulator,
    denosumab_stopped_with_inhibitor,
    what_if_section,
)
from osteotwin.simulate import Scenario
from tests.clinic.builders import AS_OF, BC, PROLIA, lab, make, med, scan, vitd

needs_simulator = pytest.mark.skipif(importlib.util.find_spec("osteotwin.simulate.single") is None,
                                     reason="osteotwin.simulate.single is not in this build")
#: letrozole for 4 years so far, its recorded end a year from the report date
LETROZOLE_ENDING = med("letrozole", "2.5 mg", start_days_ago=1460, stop="2026-06-01")


def _woman(medications: list[dict[str, Any]]) -> PatientRecord:
    return parse_patient_document(make(
        sex="female", age=62, status="postmenopausal", history=BC, medications=medications,
        labs=[lab("egfr", 80, "mL/min/1.73m2"), lab("calcium", 9.3, "mg/dL"), vitd(34)],
        dxa=[scan("lumbar_spine", t=-2.2), scan("femoral_neck", t=-1.9)]), source="test")


def test_denosumab_stops_on_the_inhibitor_s_recorded_end() -> None:
    base = Scenario.from_record(_woman([LETROZOLE_ENDING, PROLIA]), years=3)
    labels = [s.label for s in alternatives(base)]
    assert DENOSUMAB_STOP_LABEL in labels
    stopped = next(s for s in alternatives(base) if s.label == DENOSUMAB_STOP_LABEL)
    letrozole = next(r for r in base.regimens if r.drug == "letrozole")
    denosumab = next(r for r in stopped.regimens if r.drug == "denosumab")
    assert letrozole.stop_d == pytest.approx(365.0) and denosumab.stop_d == letrozole.stop_d
    assert next(r for r in base.regimens if r.drug == "denosumab").stop_d is None


@pytest.mark.parametrize("medications", [
    [med("letrozole", "2.5 mg", start_days_ago=1460), PROLIA],  # no end recorded
    [LETROZOLE_ENDING, PROLIA, med("zoledronic_acid", "5 mg", "365 d", start_days_ago=-380,
                                   route="intravenous")],  # a follow-on already planned
    [LETROZOLE_ENDING, med("denosumab", "120 mg", "28 d", start_days_ago=200,
                           route="subcutaneous")],  # the bone-metastases schedule
    [LETROZOLE_ENDING],  # no denosumab
])
def test_no_stop_course_where_it_does_not_apply(medications: list[dict[str, Any]]) -> None:
    base = Scenario.from_record(_woman(medications), years=3)
    assert denosumab_stopped_with_inhibitor(base) is None


def test_no_stop_course_when_the_end_is_beyond_the_horizon() -> None:
    base = Scenario.from_record(_woman([LETROZOLE_ENDING, PROLIA]), years=3)
    assert denosumab_stopped_with_inhibitor(replace(base, years=0.9)) is None


@needs_simulator
def test_the_report_shows_the_rebound_and_says_it_is_not_an_option() -> None:
    section = what_if_section(_woman([LETROZOLE_ENDING, PROLIA]), AS_OF, years=3,
                              simulator=default_simulator(band_draws=0))
    assert isinstance(section, WhatIf), section
    spine = dict(section.tables[1][1])
    assert DENOSUMAB_STOP_LABEL in spine
    kept, stopped = (float(spine[label][-1].split()[0]) for label in ("current course",
                                                                      DENOSUMAB_STOP_LABEL))
    assert stopped < kept - 2.0  # the gain on denosumab is lost after its last injection wears off
    assert any(text.startswith("Denosumab stopped when the aromatase inhibitor ends")
               and "not as an option" in text for text in section.cautions)
    assert any("DENOSUMAB_STOPPED" in text or "Denosumab stopped: after 2 years" in text
               for text in section.cautions)  # the model's known departure after a stop
    assert {"cummings_2018", "tsourdi_2021"} <= set(section.sources)
