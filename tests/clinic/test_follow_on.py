"""One rule for "a bisphosphonate followed denosumab", shared by the assessment and the plan."""

from __future__ import annotations

from osteotwin.clinic.follow_on import bisphosphonate_followed, denosumab_stop
from osteotwin.records import parse_patient_document
from tests.clinic.builders import AS_OF, days_ago, make, med, run

DENOSUMAB = med("denosumab", "60 mg", "182 d", start_days_ago=1600, route="subcutaneous",
                stop=days_ago(300))


def _alendronate(start_days_ago: int, stop_days_ago: int | None) -> dict[str, object]:
    return med("alendronate", "70 mg", "7 d", start_days_ago=start_days_ago,
               stop=None if stop_days_ago is None else days_ago(stop_days_ago))


def test_an_overlapping_course_stopped_before_the_effect_wore_off_is_no_follow_on() -> None:
    """Review: alendronate from 500 to 400 days ago, overlapping denosumab stopped 300 days ago:
    the plan's screen had counted it as the follow-on (no rebound, jumps allowed) while the
    assessment did not (DENOSUMAB_STOPPED, transition to discuss)."""
    document = make(sex="female", age=66, medications=[DENOSUMAB, _alendronate(500, 400)])
    result = run(document)
    assert result.facts["denosumab_stopped_without_follow_on"].value is True
    assert denosumab_stop(parse_patient_document(document, source="test"), AS_OF) is not None
    assert "AVOID_LOADED_SPINAL_FLEXION" in set(result.action_codes())
    assert "ADD_IMPACT_TRAINING" not in set(result.action_codes())


def test_a_course_after_the_last_injection_or_taken_today_is_one() -> None:
    for course in (_alendronate(200, 20), _alendronate(700, None)):
        document = make(sex="female", age=66, medications=[DENOSUMAB, course])
        record = parse_patient_document(document, source="test")
        last = record.medications[0].last_dose_on_or_before(AS_OF)
        assert last is not None and bisphosphonate_followed(record, last, AS_OF)
        assert run(document).facts["denosumab_stopped_without_follow_on"].value is False
        assert denosumab_stop(record, AS_OF) is None
