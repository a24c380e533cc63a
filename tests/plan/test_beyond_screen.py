"""What-if training beyond the plan's safety screen is named (``plan.exercise.beyond_screen``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osteotwin.plan.exercise.beyond_screen import beyond_screen
from osteotwin.plan.exercise.screening import screen
from osteotwin.records import parse_patient_document

AS_OF = dt.date(2025, 6, 1)


@dataclass
class _Training:
    resistance_sessions_per_week: float
    resistance_intensity: str
    impact_sessions_per_week: float


def _record(**history: object) -> object:
    return parse_patient_document({
        "version": 1, "as_of": AS_OF.isoformat(),
        "patient": {"sex": "female", "birth_date": "1953-01-01", "menopausal_status": "postmenopausal"},
        "history": {"prior_fragility_fractures": 0, "falls_last_12_months": 0,
                    "vertebral_fracture": False, **history},
        "dxa": [{"date": "2025-01-10", "site": "femoral_neck", "t_score": -2.0}],
        "lifestyle": {"training_setting": "gym"}})


def test_heavy_lifting_and_jumps_held_back_are_named() -> None:
    fragile = screen(_record(falls_last_12_months=2, prior_fragility_fractures=1,
                             conditions=["coronary heart disease"]), AS_OF)  # type: ignore[arg-type]
    assert not fragile.high_intensity_eligible and fragile.impact_cap in ("low", "brisk_walking")
    notes = beyond_screen(fragile, _Training(3, "high", 3))
    assert len(notes) == 2
    assert notes[0].startswith("high-intensity lifting is modelled, which this person's plan holds back")
    assert "coronary heart disease" in notes[0]
    assert notes[1].startswith("impact training is modelled, where the plan allows")
    assert beyond_screen(fragile, _Training(3, "moderate", 0)) == []
    assert beyond_screen(fragile, _Training(0, "high", 0)) == []  # no sessions, nothing lifted


def test_training_the_screen_allows_has_no_note() -> None:
    cleared = screen(_record(), AS_OF)  # type: ignore[arg-type]
    allowed = [_Training(2, "moderate", 0)]
    if cleared.high_intensity_eligible:
        allowed.append(_Training(2, "high", 0))
    if cleared.impact_cap not in ("low", "brisk_walking"):
        allowed.append(_Training(2, "moderate", 2))
    assert len(allowed) >= 2
    for training in allowed:
        assert beyond_screen(cleared, training) == []


def test_only_what_a_what_if_changes_is_judged() -> None:
    """Review: a calcium-only what-if for a person who already lifts heavy (held back by the plan)
    was said to model high-intensity lifting, while the current course, the same training, was not."""
    fragile = screen(_record(falls_last_12_months=2, prior_fragility_fractures=1,
                             conditions=["coronary heart disease"]), AS_OF)  # type: ignore[arg-type]
    own = _Training(2, "high", 0)
    assert beyond_screen(fragile, _Training(2, "high", 0), own) == []  # calcium changed, not lifting
    assert len(beyond_screen(fragile, _Training(3, "high", 0), own)) == 1  # more of it is named
    assert beyond_screen(fragile, _Training(2, "high", 2), own)[0].startswith("impact training")


def test_without_a_gym_the_reason_is_the_setting() -> None:
    home = screen(parse_patient_document({
        "version": 1, "as_of": AS_OF.isoformat(),
        "patient": {"sex": "male", "birth_date": "1970-01-01"},
        "history": {"prior_fragility_fractures": 0, "falls_last_12_months": 0,
                    "vertebral_fracture": False},
        "dxa": [{"date": "2025-01-10", "site": "femoral_neck", "t_score": -0.5}],
        "lifestyle": {"training_setting": "bodyweight_only"}}), AS_OF)
    assert not home.high_intensity_eligible and not home.high_intensity_held_back
    [note] = beyond_screen(home, _Training(2, "high", 0))
    assert note.endswith("for want of a gym (training setting: bodyweight only)")
