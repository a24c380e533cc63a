"""A measured testosterone the model does not reproduce is said (``simulate.lab_checks``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.records import parse_patient_document
from osteotwin.simulate import Scenario, simulate
from osteotwin.simulate.lab_checks import cycle_range
from osteotwin.simulate.lab_checks import testosterone_note as note_for

AS_OF = dt.date(2025, 6, 1)


def _man(testosterone_ng_dl: float, lab_date: str = "2025-05-01",
         start: str = "2024-11-01") -> Any:
    """A hypogonadal man of 33 on anastrozole alone (no testosterone therapy)."""
    return parse_patient_document({
        "version": 1, "as_of": AS_OF.isoformat(),
        "patient": {"sex": "male", "birth_date": "1991-11-02", "weight": "110 kg"},
        "history": {"hypogonadism": True},
        "medications": [{"drug": "anastrozole", "dose": "1 mg", "every": "1 d", "start": start}],
        "labs": [{"test": "total_testosterone", "value": testosterone_ng_dl, "unit": "ng/dL",
                  "date": lab_date}]})


def _note(record: Any) -> str | None:
    scenario = Scenario.from_record(record, years=0.2)
    trajectory = simulate(scenario)
    return note_for(record, AS_OF, scenario.regimens, cycle_range(trajectory),
                             bool(trajectory.meta.get("estradiol_match")))


def test_a_result_far_from_the_models_level_is_said() -> None:
    """Review: the model gave 375 ng/dL where 520 had been measured, with no word."""
    scenario = Scenario.from_record(_man(520), years=0.2)
    low, high = cycle_range(simulate(scenario)) or (0.0, 0.0)
    assert 300 < low <= high < 520 / 1.25
    note = _note(_man(520))
    assert note is not None and note.startswith(
        "The total testosterone measured on this course (520 ng/dL on 2025-05-01) is above")
    assert "go by the measured level" in note and "Bhasin" in note
    assert _note(_man(0.9 * low / 1.25)) is not None  # below as well


def test_a_result_near_the_models_level_an_old_one_or_another_course_is_not() -> None:
    assert _note(_man(400)) is None  # within a quarter of the model's level
    assert _note(_man(520, lab_date="2024-11-15", start="2024-11-01")) is None  # over 180 days
    assert _note(_man(520, start="2025-05-10")) is None  # measured before the course began


def test_the_models_range_covers_a_long_dosing_interval() -> None:
    """Review: testosterone undecanoate every 10 weeks, a trough of 350 ng/dL, was said to be below
    the model's 447-652 ng/dL, the range of its first 28 days only; the whole cycle reaches lower."""
    record = parse_patient_document({
        "version": 1, "as_of": AS_OF.isoformat(),
        "patient": {"sex": "male", "birth_date": "1970-01-01", "weight": "86 kg", "height": "178 cm"},
        "history": {"hypogonadism": True},
        "medications": [{"drug": "testosterone_undecanoate", "dose": "750 mg",
                         "route": "intramuscular", "every": "70 d", "start": "2024-01-01"}],
        "labs": [{"test": "total_testosterone", "value": 350, "unit": "ng/dL",
                  "date": "2025-05-03"}]})
    scenario = Scenario.from_record(record, years=0.5)
    trajectory = simulate(scenario)
    whole = cycle_range(trajectory, scenario.regimens)
    first_days = cycle_range(trajectory)
    assert whole is not None and first_days is not None
    assert whole[0] < first_days[0] and 350 * 1.25 < first_days[0]  # the old window flagged it
    assert whole[0] / 1.25 <= 350
    assert note_for(record, AS_OF, scenario.regimens, whole) is None


def test_the_cycle_compared_is_the_hormone_cycle_the_tables_average_over() -> None:
    """The testosterone check's window follows the tables' notion of a dosing cycle
    (``averaging.dosing_cycle_d``): the longest sex-hormone interval in force, at least 28 days;
    a yearly zoledronic-acid infusion beside weekly injections is no hormone cycle (it had
    stretched the compared range over a whole year)."""
    from osteotwin.simulate.lab_checks import CYCLE_WINDOW_D, cycle_window_d
    from osteotwin.simulate.scenario import Regimen

    weekly = Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0,
                     start_d=-300.0)
    zoledronate = Regimen("zoledronic_acid", 5.0, route="intravenous", every_d=365.25,
                          start_d=-100.0)
    undecanoate = Regimen("testosterone_undecanoate", 750.0, route="intramuscular", every_d=70.0,
                          start_d=-300.0)
    assert cycle_window_d([weekly, zoledronate]) == CYCLE_WINDOW_D
    assert cycle_window_d([undecanoate, zoledronate]) == 70.0
    assert cycle_window_d([]) == CYCLE_WINDOW_D
