"""Monitoring intervals: DXA every 1-2 years on treatment, Gourlay intervals otherwise, yearly labs;
denosumab injections and the bisphosphonate course review."""

from __future__ import annotations

import datetime as dt

from osteotwin.clinic.monitoring import add_months, dxa_plan, lab_due, screening_interval_months
from osteotwin.records import parse_patient_document
from tests.clinic.builders import ANASTROZOLE, AS_OF, e2, make, med, run


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2023, 11, 15), 24) == dt.date(2025, 11, 15)


def test_screening_intervals_follow_t_score() -> None:
    assert screening_interval_months(-0.5) == 180
    assert screening_interval_months(-1.7) == 60
    assert screening_interval_months(-2.2) == 24
    assert screening_interval_months(None) == 24


def test_dxa_plan_on_treatment() -> None:
    last = AS_OF - dt.timedelta(days=800)
    plan = dxa_plan(as_of=AS_OF, reasons=("aromatase inhibitor",), last_scan=last,
                    on_treatment=True, lowest_score=-0.5, baseline_missing=False)
    assert plan.overdue and plan.next_due == add_months(last, 24)
    none = dxa_plan(as_of=AS_OF, reasons=("screening age",), last_scan=None, on_treatment=False,
                    lowest_score=None, baseline_missing=False)
    assert none.next_due == AS_OF and not none.overdue and none.due_soon
    unneeded = dxa_plan(as_of=AS_OF, reasons=(), last_scan=None, on_treatment=False,
                        lowest_score=None, baseline_missing=False)
    assert unneeded.next_due is None and not unneeded.due_soon


def test_lab_due_counts_pre_treatment_value_only_in_the_first_three_months() -> None:
    new_ai = med("anastrozole", "1 mg", start_days_ago=30)
    old_ai = ANASTROZOLE  # started 400 days ago
    baseline = e2(25, age_days=60)  # before the new AI started
    fresh = parse_patient_document(make(medications=[new_ai], labs=[baseline]))
    assert not lab_due(fresh, AS_OF, "estradiol", fresh.medications[0].start)
    stale = parse_patient_document(make(medications=[old_ai], labs=[e2(25, age_days=500)]))
    assert lab_due(stale, AS_OF, "estradiol", stale.medications[0].start)
    assert lab_due(stale, AS_OF, "vitamin_d_25oh", None)


def test_the_schedule_lists_denosumab_injections_and_a_bisphosphonate_review() -> None:
    on_denosumab = run(make(sex="female", age=70, medications=[
        med("denosumab", "60 mg", "6 mo", start_days_ago=400, route="subcutaneous")]))
    rows = {test: (last, due) for test, last, due, _ in on_denosumab.monitoring}
    assert rows["Denosumab injection"] == (AS_OF - dt.timedelta(days=35),
                                           AS_OF - dt.timedelta(days=35) + dt.timedelta(days=182))
    on_alendronate = run(make(sex="female", age=70, medications=[
        med("alendronate", "70 mg", "7 d", start_days_ago=round(3 * 365.25))]))
    rows = {test: (last, due) for test, last, due, _ in on_alendronate.monitoring}
    assert "Denosumab injection" not in rows
    assert rows["Bisphosphonate course review"][1] == AS_OF + dt.timedelta(days=730)  # 2 y left
