"""The patient's log read against the record (osteotwin.clinic.patient_log): falls counted, the
rest raised for review; each checked through the real assessment where it changes one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.clinic import assess
from osteotwin.clinic.patient_log import LogEntry, review_logs
from osteotwin.clinic.reference import citations
from osteotwin.records import PatientRecord, parse_patient_document
from tests.clinic.builders import AS_OF, make

ANASTROZOLE = [{"drug": "anastrozole", "dose": "1 mg", "every": "1 d", "start": "2024-01-01"}]


def record(**changes: Any) -> PatientRecord:
    return parse_patient_document(make(**changes), source="test")


def entry(kind: str, days_before: int, **data: Any) -> LogEntry:
    return LogEntry(kind=kind, date=AS_OF - dt.timedelta(days=days_before), data=data)


def fall(days_before: int) -> LogEntry:
    return entry("symptom", days_before, symptom="fall", severity=3)


def test_logged_falls_are_counted_and_change_the_assessment() -> None:
    stored = record(age=70)
    assert "FALL_RISK" not in {f.code for f in assess(stored, AS_OF).findings}
    review = review_logs([fall(20), fall(200), fall(400)], stored, AS_OF)
    assert review.logged_falls == (AS_OF - dt.timedelta(days=200), AS_OF - dt.timedelta(days=20))
    read = review.apply(stored)
    assert read.history.falls_last_12_months == 2
    findings = {f.code: f for f in assess(read, AS_OF).findings}
    assert findings["FALL_RISK"].severity == "high"  # two falls in a year
    assert "FALL_PREVENTION" in {a.code for a in assess(read, AS_OF).actions}
    (note,) = review.notes
    assert note.counted and note.topic == "falls" and "counts 2" in note.message


def test_a_record_that_already_counts_the_falls_is_not_raised_or_doubled() -> None:
    stored = record(history={"falls_last_12_months": 3})
    review = review_logs([fall(10), fall(30)], stored, AS_OF)
    assert review.falls_counted is None and review.apply(stored) is stored
    assert not review.notes[0].counted and "already counts 3" in review.notes[0].message


def test_entries_after_the_assessment_date_are_left_out() -> None:
    stored = record()
    review = review_logs([fall(-1), entry("symptom", -3, symptom="fracture")], stored, AS_OF)
    assert review.logged_falls == () and review.notes == ()


def test_a_logged_fracture_is_raised_for_confirmation_not_counted() -> None:
    stored = record(age=66)
    review = review_logs([entry("symptom", 40, symptom="fracture", severity=7, note="wrist, slipped")],
                         stored, AS_OF)
    (note,) = review.notes
    assert note.topic == "fracture" and not note.counted
    assert "wrist, slipped" in note.message and "confirm" in note.message
    assert review.apply(stored) == stored


def test_joint_pain_on_an_aromatase_inhibitor_is_raised_from_4_of_10() -> None:
    on_ai = record(sex="female", age=62, history={"breast_cancer": True}, medications=ANASTROZOLE)
    moderate = review_logs([entry("symptom", 10, symptom="joint_pain", severity=5)], on_ai, AS_OF)
    assert [n.topic for n in moderate.notes] == ["joint_pain"]
    assert "5/10" in moderate.notes[0].message and "anastrozole" in moderate.notes[0].message
    assert review_logs([entry("symptom", 10, symptom="joint_pain", severity=3)], on_ai, AS_OF).notes == ()
    assert review_logs([entry("symptom", 120, symptom="joint_pain", severity=8)], on_ai, AS_OF).notes == ()
    off_ai = record(sex="female", age=62)
    assert review_logs([entry("symptom", 10, symptom="joint_pain", severity=8)], off_ai, AS_OF).notes == ()


def test_intake_is_a_mean_of_logged_days_with_a_days_entries_added() -> None:
    stored = record(sex="female", age=60)
    logs = [entry("intake", 1, calcium_mg=300), entry("intake", 1, calcium_mg=200),
            entry("intake", 2, calcium_mg=700, protein_g=40), entry("intake", 45, calcium_mg=2000)]
    (note,) = review_logs(logs, stored, AS_OF).notes
    assert note.topic == "intake" and not note.counted
    # (300 + 200 + 700) / 2 days; the 45-day-old entry is outside the 30-day window
    assert "calcium 600 mg/d over 2 days (below the 1,200 mg/d recommended at 60)" in note.message
    # 40 g against 0.8 g/kg/d for BASE's 80 kg
    assert "protein 40 g/d over 1 day (below 0.8 g/kg/d, 64 g/d)" in note.message


def test_exercise_is_summarised_per_week_once_a_week_is_logged() -> None:
    stored = record()
    sessions = [entry("exercise", d, activity="resistance", minutes=45, intensity="high")
                for d in (1, 4, 8, 11, 15, 18, 22, 25)]
    walks = [entry("exercise", d, activity="weight_bearing_aerobic", minutes=60) for d in (2, 9, 16, 23)]
    (note,) = review_logs(sessions + walks, stored, AS_OF).notes
    assert "over the last 26 days" in note.message  # since the first entry, 25 days ago
    assert "resistance 2.2 sessions a week (2.2 at high intensity)" in note.message
    assert "weight-bearing aerobic 65 min a week" in note.message
    assert review_logs(sessions[:1], stored, AS_OF).notes == ()  # 2 days of logging: too short


def test_every_note_cites_sources_in_the_registry() -> None:
    on_ai = record(sex="female", age=62, history={"breast_cancer": True}, medications=ANASTROZOLE)
    logs = [fall(5), entry("symptom", 6, symptom="fracture"), entry("symptom", 7, symptom="joint_pain",
                                                                      severity=6),
            entry("intake", 3, calcium_mg=900), *(entry("exercise", d, activity="impact", minutes=10)
                                                  for d in (1, 9))]
    notes = review_logs(logs, on_ai, AS_OF).notes
    assert {n.topic for n in notes} == {"falls", "fracture", "joint_pain", "intake", "exercise"}
    for note in notes:
        assert note.citations and set(note.citations) <= set(citations())


def test_exercise_rates_count_from_the_first_entry_ever_not_the_first_in_the_window() -> None:
    sessions = [entry("exercise", d, activity="resistance", minutes=40) for d in (1, 4, 8, 11, 14, 29)]
    (note,) = review_logs(sessions, record(), AS_OF).notes
    assert "over the last 28 days: resistance 1.2 sessions a week" in note.message  # 5 in 4 weeks


def test_joint_pain_before_the_inhibitor_was_started_is_not_raised() -> None:
    started_10_days_ago = [{"drug": "anastrozole", "dose": "1 mg", "every": "1 d",
                            "start": (AS_OF - dt.timedelta(days=10)).isoformat()}]
    on_ai = record(sex="female", age=62, history={"breast_cancer": True}, medications=started_10_days_ago)
    assert review_logs([entry("symptom", 60, symptom="joint_pain", severity=7)], on_ai, AS_OF).notes == ()
    assert review_logs([entry("symptom", 5, symptom="joint_pain", severity=7)], on_ai, AS_OF).notes


def test_a_fracture_is_raised_until_reviewed_then_shown_for_12_months() -> None:
    stored = record(age=66)
    old = LogEntry("symptom", AS_OF - dt.timedelta(days=400), {"symptom": "fracture"}, id=1)
    assert review_logs([old], stored, AS_OF).notes[0].needs_review  # never reviewed: still raised
    reviewed_old = LogEntry("symptom", old.date, old.data, id=1, reviewed=True)
    assert review_logs([reviewed_old], stored, AS_OF).notes == ()
    recent = LogEntry("symptom", AS_OF - dt.timedelta(days=300), {"symptom": "fracture"}, id=2, reviewed=True)
    (note,) = review_logs([recent], stored, AS_OF).notes
    assert note.reviewed and not note.needs_review


def test_patients_read_each_note_in_plain_words_without_statistics_about_stopping() -> None:
    on_ai = record(sex="female", age=62, history={"breast_cancer": True}, medications=ANASTROZOLE)
    logs = [fall(5), entry("symptom", 6, symptom="fracture"),
            entry("symptom", 7, symptom="joint_pain", severity=6), entry("intake", 3, calcium_mg=900),
            *(entry("exercise", d, activity="impact", minutes=10) for d in (1, 9))]
    notes = review_logs(logs, on_ai, AS_OF).notes
    assert len(notes) == 5
    for note in notes:
        assert note.for_patient.startswith(("You ", "What you ", "The exercise you "))
        assert "predicts" not in note.for_patient and "patient" not in note.for_patient.lower()
    pain = next(n for n in notes if n.topic == "joint_pain")
    assert "keep taking your medicine as prescribed unless they advise a change" in pain.for_patient
    assert [n.topic for n in notes if n.needs_review] == ["falls", "fracture", "joint_pain"]


def test_reviewed_entries_still_count_but_ask_for_nothing() -> None:
    stored = record(age=70)
    reviewed = [LogEntry("symptom", AS_OF - dt.timedelta(days=9), {"symptom": "fall"}, id=7, reviewed=True)]
    review = review_logs(reviewed, stored, AS_OF)
    (note,) = review.notes
    assert review.apply(stored).history.falls_last_12_months == 1
    assert note.counted and note.reviewed and not note.needs_review and note.entry_ids == (7,)
    mixed = review_logs([*reviewed, LogEntry("symptom", AS_OF, {"symptom": "fall"}, id=8)], stored, AS_OF)
    assert mixed.notes[0].needs_review and mixed.notes[0].entry_ids == (7, 8)
