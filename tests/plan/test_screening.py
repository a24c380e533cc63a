"""Safety screening and program rules on small records built in the test."""

from __future__ import annotations

import datetime as dt
from typing import Any

from osteotwin.plan.exercise.program import build_program, phase_of
from osteotwin.plan.exercise.screening import screen
from osteotwin.records import parse_patient_document

AS_OF = dt.date(2025, 6, 1)


def _record(**overrides: Any) -> Any:
    doc: dict[str, Any] = {
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1960-01-01", "height": "165 cm", "weight": "65 kg"},
        "history": {"vertebral_fracture": False, "falls_last_12_months": 0,
                    "prior_fragility_fractures": 0},
        "dxa": [{"date": "2025-01-01", "site": "lumbar_spine", "t_score": -1.5}],
        "lifestyle": {"training_setting": "gym"},
    }
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            doc[section][field] = value
        else:
            doc[section] = value
    return parse_patient_document(doc, source="test")


def test_osteoporosis_without_fracture_swaps_floor_deadlift_for_rack_pull() -> None:
    s = screen(_record(), AS_OF)
    assert s.floor_lifts_allowed and s.impact_cap == "high"
    s2 = screen(_record(dxa__=[{"date": "2025-01-01", "site": "lumbar_spine", "t_score": -2.7}]), AS_OF)
    assert s2.osteoporosis and s2.high_intensity_eligible and not s2.floor_lifts_allowed
    program = build_program(s2, 16)
    ids = {rx.exercise_id for x in program.sessions for rx in x.exercises}
    assert "rack_pull" in ids and "deadlift" not in ids
    assert "jumping_chinup_drop" not in ids  # fragile bone: moderate impact only
    assert any(sub.instead_of == "deadlift" and sub.use == "rack_pull" for sub in program.substitutions)


def test_unknown_vertebral_fracture_status_with_low_bone_mass_defers_heavy_loading() -> None:
    s = screen(_record(history__vertebral_fracture=None), AS_OF)
    assert s.spine_restricted and not s.high_intensity_eligible
    assert "VERTEBRAL_FRACTURE_UNKNOWN" in {f.code for f in s.flags}
    ids = {rx.exercise_id for x in build_program(s, 16).sessions for rx in x.exercises}
    assert {"back_squat", "deadlift", "overhead_press", "farmers_carry"}.isdisjoint(ids)


def test_multiple_low_trauma_fractures_cap_impact_at_brisk_walking() -> None:
    s = screen(_record(history__prior_fragility_fractures=2), AS_OF)
    assert s.impact_cap == "brisk_walking"
    program = build_program(s, 12)
    assert all(rx.exercise_id not in ("heel_drop", "two_foot_jump", "jumping_chinup_drop",
                                      "jog_intervals")
               for x in program.sessions for rx in x.exercises)


def test_phases_progress_from_familiarisation() -> None:
    s = screen(_record(), AS_OF)
    assert [phase_of(w, s) for w in (1, 4, 5, 8, 9)] == [
        "familiarisation", "familiarisation", "build", "build", "strength"]
    program = build_program(s, 3)
    assert [p.name for p in program.phases] == ["familiarisation"]
    assert len([x for x in program.sessions if x.week == 1]) == 6  # Sunday is rest


def test_missing_training_setting_assumes_no_equipment() -> None:
    s = screen(_record(lifestyle__training_setting=None), AS_OF)
    assert s.training_setting == "bodyweight_only"
    ids = {rx.exercise_id for x in build_program(s, 12).sessions for rx in x.exercises}
    assert {"back_squat", "goblet_squat", "overhead_press", "farmers_carry"}.isdisjoint(ids)
