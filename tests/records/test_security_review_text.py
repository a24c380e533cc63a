"""Security review (findings 6 and 11), the reader's side: error bodies that always serialise,
non-finite numbers, NUL and unpaired surrogates in ``extra``, bidirectional controls and invisible
characters in text fields."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from osteotwin.errors import UserInputError, echoed
from osteotwin.records import parse_patient_document
from osteotwin.records.fields import plain_text
from osteotwin.records.patient_file import parse_text
from osteotwin.records.storage.repository import validate_entry

DOCUMENT: dict[str, Any] = {
    "version": 1, "as_of": "2025-06-01",
    "patient": {"id": "MRN-1", "sex": "female", "birth_date": "1950-03-01", "weight": "60 kg"},
    "history": {"conditions": ["osteoarthritis"], "alcohol_units_per_week": 2},
    "labs": [{"test": "estradiol", "value": 9, "unit": "pg/mL", "date": "2025-01-12",
              "method": "LC-MS/MS"}],
    "dxa": [{"date": "2024-05-01", "site": "total_hip", "t_score": -1.2, "device": "Hologic"}],
}


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


def _refused(document: Any) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    return info.value


def _strict_json(err: UserInputError) -> dict[str, Any]:
    """The error body as the API sends it: strict JSON (no NaN) in UTF-8."""
    body = json.dumps({"detail": [err.as_dict()]}, ensure_ascii=False, allow_nan=False).encode("utf-8")
    loaded: dict[str, Any] = json.loads(body)
    return loaded


# --------------------------------------------------------------------------------------------------
# Finding 6: the error body always serialises; nothing non-finite, no NUL or surrogate is stored
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "a\ud800b", "\udfff", 2**60,
                                   pytest.param(10**5000, id="int-of-5001-digits"), {"k": math.nan},
                                   ["\ud800"]])
def test_any_echoed_value_gives_strict_json_in_utf8(value: Any) -> None:
    err = UserInputError("extra.k\ud800", value, "accepted \ud800", problem="problem \udc00")
    body = _strict_json(err)["detail"][0]
    assert set(body) == {"field", "value", "accepted", "problem", "message"}
    assert "\\ud800" in body["field"] and "\\udc00" in body["problem"]
    assert err.one_line().encode("utf-8")  # stderr can print it too
    if isinstance(value, float):
        assert body["value"] == str(value)  # "nan", "inf", "-inf"


def test_echoed_keeps_plain_values() -> None:
    assert [echoed(v) for v in (None, True, 3, 2.5, "text")] == [None, True, 3, 2.5, "text"]
    assert echoed(2**60) == str(2**60)  # past 2**53 a JSON reader would change it
    assert len(echoed("x" * 1000)) <= 160


@pytest.mark.parametrize(("path", "field"), [
    (("labs", 0, "value"), "labs[0].value"), (("patient", "weight"), "patient.weight"),
    (("history", "alcohol_units_per_week"), "history.alcohol_units_per_week"),
    (("dxa", 0, "t_score"), "dxa[0].t_score"), (("labs", 0, "date"), "labs[0].date")])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_by_name_in_a_serialisable_error(
        path: tuple[Any, ...], field: str, value: float) -> None:
    err = _refused(_with(path, value))
    assert (err.field, err.problem) == (field, "not a finite number")
    assert "finite number" in err.accepted
    assert _strict_json(err)["detail"][0]["value"] == str(value)


def test_a_non_finite_entry_value_is_refused_naming_the_entrys_field() -> None:
    record = parse_patient_document(copy.deepcopy(DOCUMENT))
    with pytest.raises(UserInputError) as info:
        validate_entry("labs", {"test": "estradiol", "value": math.nan, "unit": "pg/mL",
                                "date": "2025-01-12"}, record)
    assert (info.value.field, info.value.problem) == ("value", "not a finite number")
    _strict_json(info.value)


@pytest.mark.parametrize(("extra", "field", "character"), [
    ({"k": "a\ud800b"}, "extra.k", "U+D800"),
    ({"k": ["ok", {"deep": "\udfff"}]}, "extra.k[1].deep", "U+DFFF"),
    ({"k": "a\x00b"}, "extra.k", "U+0000"),
    ({"k\x00": "v"}, "extra.k\\x00", "U+0000"),
    ({"k\ud800": "v"}, "extra.k\\ud800", "U+D800"),
    ({"k": "abc\u202egnp.exe"}, "extra.k", "U+202E"),
])
def test_nul_surrogates_and_bidi_controls_in_extra_are_refused_before_anything_is_stored(
        extra: dict[str, Any], field: str, character: str) -> None:
    err = _refused({**copy.deepcopy(DOCUMENT), "extra": extra})
    assert err.field == field and character in err.problem
    assert "NUL" in err.accepted and "unpaired surrogates" in err.accepted
    _strict_json(err)


def test_extra_from_a_yaml_or_json_file_is_checked_alike() -> None:
    text = json.dumps({**DOCUMENT, "extra": {"note": "a\u0000b"}})
    err = _refused(parse_text(text, source="upload.json", json_only=True))
    assert err.field == "extra.note" and "NUL" in err.problem


def test_extra_keeps_ordinary_text() -> None:
    extra = {"note": "zero\u200bwidth, emoji \U0001f469\u200d\u2695\ufe0f, tab\tline\nbreak", "n": 1.5}
    record = parse_patient_document({**copy.deepcopy(DOCUMENT), "extra": extra})
    assert record.extra == extra


# --------------------------------------------------------------------------------------------------
# Finding 11: bidirectional controls and invisible characters
# --------------------------------------------------------------------------------------------------


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\u061c"]


@pytest.mark.parametrize("character", BIDI + INVISIBLE)
@pytest.mark.parametrize(("path", "field"), [
    (("patient", "id"), "patient.id"), (("labs", 0, "method"), "labs[0].method"),
    (("dxa", 0, "device"), "dxa[0].device"), (("labs", 0, "unit"), "labs[0].unit")])
def test_identifiers_refuse_bidi_controls_and_invisible_characters(
        path: tuple[Any, ...], field: str, character: str) -> None:
    err = _refused(_with(path, f"abc{character}gnp.exe"))
    code = f"U+{ord(character):04X}"
    assert err.field == field and code in err.problem
    assert "bidirectional controls" in err.accepted and "invisible" in err.accepted
    assert character not in str(err)  # shown escaped
    _strict_json(err)


@pytest.mark.parametrize("character", [*BIDI, "\u200b", "\u200e", "\u2060", "\ufeff"])
def test_free_text_refuses_bidi_controls_and_most_invisible_characters(character: str) -> None:
    err = _refused(_with(("history", "conditions"), [f"osteo{character}arthritis"]))
    assert err.field == "history.conditions[0]" and f"U+{ord(character):04X}" in err.problem
    assert "soft hyphen" in err.accepted and "zero-width joiner" in err.accepted


@pytest.mark.parametrize("text", ["\U0001f469\u200d\u2695\ufe0f nurse", "osteo\u00adarthritis",
                                  "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"])
def test_free_text_keeps_joiners_and_soft_hyphens(text: str) -> None:
    assert plain_text(text, "note") == text
    record = parse_patient_document(_with(("history", "conditions"), [text]))
    assert record.history.conditions == (text,)


def test_the_reviewers_spoofed_patient_id_is_refused() -> None:
    for spoofed, code in (("abc\u202egnp.exe", "U+202E"), ("a\u200bb\U0001f600", "U+200B")):
        err = _refused(_with(("patient", "id"), spoofed))
        assert err.field == "patient.id" and code in err.problem
