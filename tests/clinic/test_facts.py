"""Facts derived from a record: denosumab's dosing history, a bisphosphonate course's length."""

from __future__ import annotations

import datetime as dt

from tests.clinic.builders import AS_OF, days_ago, make, med, run


def _denosumab(start_days_ago: int, stop_days_ago: int | None = None) -> dict[str, object]:
    return med("denosumab", "60 mg", "6 mo", start_days_ago=start_days_ago, route="subcutaneous",
               stop=None if stop_days_ago is None else days_ago(stop_days_ago))


def test_a_stop_asks_for_the_follow_on_six_months_after_the_last_injection() -> None:
    # Doses 400 and 218 days before the assessment (the next, 35 days before, after the stop).
    result = run(make(sex="female", age=68, medications=[_denosumab(400, 100)]))
    assert result.facts["denosumab_last_dose"].value == AS_OF - dt.timedelta(days=218)
    assert result.facts["denosumab_months_since_last_dose"].value == 7.2
    assert result.facts["denosumab_next_dose_due"].value is None
    transition = next(a for a in result.actions if a.code == "DISCUSS_DENOSUMAB_TRANSITION")
    assert transition.due == AS_OF  # its day (last dose + 182 d) has passed
    # Stopped 30 days before the assessment, after the dose 35 days before it.
    recent = run(make(sex="female", age=68, medications=[_denosumab(400, 30)]))
    transition = next(a for a in recent.actions if a.code == "DISCUSS_DENOSUMAB_TRANSITION")
    assert transition.due == AS_OF - dt.timedelta(days=35) + dt.timedelta(days=182)


def test_an_ongoing_course_has_its_next_injection_due() -> None:
    result = run(make(sex="female", age=68, medications=[_denosumab(400)]))
    due = AS_OF - dt.timedelta(days=35) + dt.timedelta(days=182)
    assert result.facts["denosumab_next_dose_due"].value == due
    action = next(a for a in result.actions if a.code == "DENOSUMAB_DOSE_DUE")
    assert action.due == due
    assert str(due) in action.message


def test_a_later_course_replaces_an_earlier_stop() -> None:
    restarted = make(sex="female", age=68, medications=[_denosumab(900, 500), _denosumab(300)])
    result = run(restarted)
    assert result.facts["denosumab_stopped_without_follow_on"].value is False
    assert result.facts["denosumab_last_dose"].value == AS_OF - dt.timedelta(days=300 - 182)


def test_a_switch_between_bisphosphonates_is_one_course() -> None:
    switched = [med("alendronate", "70 mg", "7 d", start_days_ago=2200, stop=days_ago(1100)),
                med("risedronate", "35 mg", "7 d", start_days_ago=1040)]
    facts = run(make(sex="female", age=70, medications=switched)).facts
    assert facts["bisphosphonate_years"].value == round(2200 / 365.25, 1)
    assert facts["bisphosphonate_review_due"].value is True
    # a break of more than 90 days starts a new course
    broken = [switched[0], med("risedronate", "35 mg", "7 d", start_days_ago=900)]
    facts = run(make(sex="female", age=70, medications=broken)).facts
    assert facts["bisphosphonate_years"].value == round(900 / 365.25, 1)
    assert facts["bisphosphonate_review_due"].value is False
