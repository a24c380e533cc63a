"""Progression rules of the program: dose by phase and week."""

from __future__ import annotations

import datetime as dt

import pytest

from osteotwin.errors import UserInputError
from osteotwin.plan.exercise.program import ExerciseProgram, build_program
from osteotwin.plan.exercise.screening import Screening, screen
from osteotwin.plan.personal import check_weeks
from osteotwin.records import parse_patient_document


def _screening(setting: str, t_score: float = -1.5, falls: int = 0) -> Screening:
    record = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "male", "birth_date": "1966-02-02"},
        "history": {"vertebral_fracture": False, "falls_last_12_months": falls,
                    "prior_fragility_fractures": 0},
        "dxa": [{"date": "2025-01-01", "site": "femoral_neck", "t_score": t_score}],
        "lifestyle": {"training_setting": setting, "resistance_sessions_per_week": 0},
    }, source="test")
    return screen(record, dt.date(2025, 6, 1))


def _dose(program: ExerciseProgram, week: int, exercise_id: str) -> tuple[int | None, int | None, str]:
    session = next(s for s in program.sessions if s.week == week and s.day == "Mon")
    rx = next(r for r in session.exercises if r.exercise_id == exercise_id)
    return rx.sets, rx.reps, rx.intensity


def test_supervised_strength_builds_to_five_by_five() -> None:
    program = build_program(_screening("gym"), 16)
    # familiarisation (4 weeks for a novice) uses technique patterns, not the barbell
    first = {r.exercise_id for s in program.sessions if s.week <= 4 for r in s.exercises}
    assert "back_squat" not in first and "sit_to_stand" in first
    assert _dose(program, 5, "back_squat")[:2] == (2, 10)
    assert _dose(program, 7, "back_squat")[:2] == (3, 10)
    assert _dose(program, 9, "back_squat")[:2] == (3, 8)
    assert _dose(program, 11, "deadlift")[:2] == (4, 6)
    sets, reps, intensity = _dose(program, 13, "overhead_press")
    assert (sets, reps) == (5, 5) and "80-85 % 1RM" in intensity


def test_without_supervision_setting_loads_stay_at_up_to_three_by_eight() -> None:
    program = build_program(_screening("home_weights"), 16)
    assert _dose(program, 13, "goblet_squat")[:2] == (3, 8)
    assert all(not r.supervised for s in program.sessions for r in s.exercises)
    assert [p.name for p in program.phases] == ["familiarisation", "build", "consolidate"]


def test_falls_delay_impact_until_after_familiarisation() -> None:
    program = build_program(_screening("gym", falls=1), 12)
    early = {r.exercise_id for s in program.sessions if s.week <= 4 for r in s.exercises}
    later = {r.exercise_id for s in program.sessions if s.week > 4 for r in s.exercises}
    assert "heel_drop" not in early and "heel_drop" in later
    assert "two_foot_jump" not in later  # low impact only with a fall in the last year


@pytest.mark.parametrize("weeks", [0, 53, -1])
def test_weeks_out_of_range_is_a_user_error(weeks: int) -> None:
    with pytest.raises(UserInputError):
        check_weeks(weeks)
