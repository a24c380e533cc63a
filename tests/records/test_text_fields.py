"""Free text in a patient file: refused by the reader (naming the field, the value and what is
accepted) when longer than the column it is stored in, or holding NUL or other control characters,
instead of failing at the database (PostgreSQL)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import parse_patient_document
from osteotwin.records.fields import TEXT_MAX_LENGTH, plain_text
from osteotwin.records.patient_file import TEXT_LENGTHS

LAB: dict[str, Any] = {"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-01-12"}
SCAN: dict[str, Any] = {"date": "2024-05-01", "site": "total_hip", "t_score": -1.2}
DOCUMENT: dict[str, Any] = {
    "version": 1,
    "patient": {"id": "MRN-1", "sex": "female", "birth_date": "1960-05-01"},
    "history": {"conditions": ["osteoarthritis"]},
    "labs": [{**LAB, "method": "LC-MS/MS"}],
    "dxa": [{**SCAN, "device": "Hologic"}],
    "fracture_risk_external": {"tool": "frax", "major_osteoporotic_10y_pct": 12, "country": "UK"},
}


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def _refused(document: dict[str, Any]) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    return info.value


def test_a_method_longer_than_its_column_is_refused_naming_the_field() -> None:
    err = _refused(_with(("labs", 0, "method"), "m" * 65))
    assert err.field == "labs[0].method"
    assert "at most 64 characters" in err.accepted and "control characters" in err.accepted
    assert "too long" in err.problem and "65" in err.problem
    assert err.value == "m" * 65
    assert "labs[0].method" in str(err) and "at most 64 characters" in str(err)


def test_a_method_as_long_as_its_column_is_accepted() -> None:
    record = parse_patient_document(_with(("labs", 0, "method"), "m" * 64))
    assert record.labs[0].method == "m" * 64


@pytest.mark.parametrize("text", ["a\u0000b", "\u0000", "a\u001bb", "a\u007fb", "a\u0085b", "a\ud800b"])
def test_nul_and_other_control_characters_are_refused(text: str) -> None:
    err = _refused(_with(("labs", 0, "method"), text))
    assert err.field == "labs[0].method"
    assert "without" in err.accepted and "control characters" in err.accepted
    assert "\u0000" not in str(err)  # the message shows an escape, not the character
    assert isinstance(err.value, str) and err.value.isprintable()


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\r\nb"])
def test_tabs_and_line_breaks_are_refused_in_single_line_fields(text: str) -> None:
    for path, field in ((("patient", "id"), "patient.id"), (("labs", 0, "method"), "labs[0].method"),
                        (("dxa", 0, "device"), "dxa[0].device"),
                        (("fracture_risk_external", "tool"), "fracture_risk_external.tool")):
        err = _refused(_with(path, text))
        assert err.field == field
        assert "line breaks" in err.accepted


@pytest.mark.parametrize(("path", "field", "length"), [
    (("patient", "id"), "patient.id", 100),
    (("labs", 0, "method"), "labs[0].method", 64),
    (("labs", 0, "unit"), "labs[0].unit", 32),
    (("dxa", 0, "device"), "dxa[0].device", 64),
    (("history", "conditions", 0), "history.conditions[0]", 500),
    (("fracture_risk_external", "tool"), "fracture_risk_external.tool", 500),
    (("fracture_risk_external", "country"), "fracture_risk_external.country", 500),
])
def test_each_text_field_is_limited_to_its_length(path: tuple[Any, ...], field: str, length: int) -> None:
    err = _refused(_with(path, "x" * (length + 1)))
    assert err.field == field
    assert f"at most {length} characters" in err.accepted
    if field != "labs[0].unit":  # a unit must also be one the test is reported in
        parse_patient_document(_with(path, "x" * length))


def test_a_condition_may_span_lines_but_not_hold_nul() -> None:
    record = parse_patient_document(_with(("history", "conditions", 0), "osteoarthritis\n(both knees)"))
    assert record.history.conditions == ("osteoarthritis\n(both knees)",)
    err = _refused(_with(("history", "conditions", 0), "a\u0000b"))
    assert err.field == "history.conditions[0]"


def test_a_very_long_value_is_shown_shortened() -> None:
    err = _refused(_with(("patient", "id"), "x" * 5000))
    assert err.field == "patient.id"
    assert isinstance(err.value, str) and len(err.value) <= 200 and "..." in err.value
    assert len(str(err)) < 500


def test_numbers_are_still_accepted_as_their_text() -> None:
    assert parse_patient_document(_with(("patient", "id"), 42)).patient.id == "42"


def test_other_readers_keep_a_generous_default_and_may_take_several_lines() -> None:
    assert plain_text("x" * TEXT_MAX_LENGTH, "citation") == "x" * TEXT_MAX_LENGTH
    assert plain_text("Smith J.\nBone 2020", "citation") == "Smith J.\nBone 2020"
    with pytest.raises(UserInputError, match="too long"):
        plain_text("x" * (TEXT_MAX_LENGTH + 1), "citation")
    with pytest.raises(UserInputError, match="control character"):
        plain_text("a\u0000b", "citation")
    assert TEXT_MAX_LENGTH >= max(TEXT_LENGTHS.values())
