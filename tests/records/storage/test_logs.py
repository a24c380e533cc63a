"""Lifestyle log validation: accepted entries, field-level refusals, and no other exception ever."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osteotwin.errors import UserInputError
from osteotwin.records.storage.logs import validate_log

BIRTH = dt.date(1960, 1, 1)
TODAY = dt.date(2025, 6, 1)


def test_exercise_entry_is_kept() -> None:
    kind, when, data = validate_log({"kind": "exercise", "date": "2025-05-01", "activity": "impact",
                                     "minutes": "20", "intensity": "high"}, birth_date=BIRTH, today=TODAY)
    assert (kind, when) == ("exercise", dt.date(2025, 5, 1))
    assert data == {"activity": "impact", "minutes": 20.0, "intensity": "high"}


@pytest.mark.parametrize(("entry", "field"), [
    ({"kind": "dance", "date": "2025-05-01"}, "kind"),
    ({"kind": "exercise", "date": "2025-05-01", "activity": "impact"}, "minutes"),
    ({"kind": "exercise", "date": "2025-05-01", "activity": "impact", "minutes": 900}, "minutes"),
    ({"kind": "intake", "date": "2025-05-01"}, "calcium_mg"),
    ({"kind": "intake", "date": "2025-05-01", "calcium_mg": -5}, "calcium_mg"),
    ({"kind": "symptom", "date": "2025-05-01", "symptom": "joint_pain", "severity": 2.5}, "severity"),
    ({"kind": "symptom", "date": "1950-05-01", "symptom": "joint_pain", "severity": 2}, "date"),
    ({"kind": "symptom", "date": "2030-05-01", "symptom": "joint_pain", "severity": 2}, "date"),
    ({"kind": "symptom", "date": "2025-05-01", "symptom": "joint_pain", "severity": 2, "mood": 1}, "mood"),
    ({"kind": "symptom", "date": "2025-05-01", "symptom": "fall", "severity": 2, "note": "x" * 501},
     "note"),
    ({"kind": "symptom", "date": "2025-05-01", "symptom": "fall", "severity": 2, "note": "a\x00b"},
     "note"),
])
def test_bad_entries_name_the_field(entry: dict[str, Any], field: str) -> None:
    with pytest.raises(UserInputError) as info:
        validate_log(entry, birth_date=BIRTH, today=TODAY)
    assert info.value.field == field and info.value.accepted


values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8),
                   st.sampled_from(["exercise", "intake", "symptom", "joint_pain", "impact", "2025-05-01"]))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.dictionaries(st.sampled_from(["kind", "date", "activity", "minutes", "intensity",
                                                  "calcium_mg", "vitamin_d_iu", "protein_g", "symptom",
                                                  "severity", "note", "other"]), values), values))
def test_any_input_is_accepted_or_refused_cleanly(entry: Any) -> None:
    try:
        validate_log(entry, birth_date=BIRTH, today=TODAY)
    except UserInputError as err:
        assert err.one_line()
