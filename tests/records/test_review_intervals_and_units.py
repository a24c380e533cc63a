"""Review fixes in the record reader: dosing intervals too short for the drug (a unit mix-up) are
refused with the unit probably meant, wherever a record comes from (patient file, FHIR); a lab's
accepted range is given in the unit typed; intervals read and write as people say them, losslessly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import (
    dump_patient_yaml,
    parse_patient_document,
    parse_text,
    record_to_document,
)
from osteotwin.records.drugs import INTERVAL_LIMITS, bone_metastases_schedule
from osteotwin.records.fhir import import_bundle, record_to_bundle
from osteotwin.records.patient import interval_words

WOMAN: dict[str, Any] = {"version": 1, "as_of": "2025-06-01",
                         "patient": {"sex": "female", "birth_date": "1955-05-01"}}


def _with_medication(**medication: Any) -> dict[str, Any]:
    return {**WOMAN, "medications": [{"start": "2024-02-01", **medication}]}


@pytest.mark.parametrize(("medication", "typed", "meant"), [
    # the reviewer's case: Every = 6 with the unit left on "d", read as an oncology schedule
    ({"drug": "denosumab", "dose": "60 mg", "every": "6 d"}, "every 6 d", "did you mean 6 months?"),
    ({"drug": "denosumab", "dose": "60 mg", "every": {"value": 6, "unit": "h"}}, "every 6 h",
     "did you mean 6 months?"),
    ({"drug": "zoledronic_acid", "dose": "5 mg", "every": "12 d"}, "every 12 d",
     "did you mean 12 months?"),
    ({"drug": "zoledronic_acid", "dose": "4 mg", "every": "3 d"}, "every 3 d",
     "did you mean 3 months?"),
    ({"drug": "zoledronic_acid", "dose": "4 mg", "every": "4 d"}, "every 4 d",
     "did you mean 4 weeks?"),
    ({"drug": "alendronate", "dose": "10 mg", "every": "12 h"}, "every 12 h", "a unit mix-up?"),
    # also too often a day on average; the interval is named first, with the unit meant
    ({"drug": "zoledronic_acid", "dose": "4 mg", "every": "1 d"}, "every 1 d", "did you mean 1 year?"),
    ({"drug": "denosumab", "dose": "120 mg", "every": "6 h"}, "every 6 h", "did you mean 6 months?"),
])
def test_an_interval_too_short_for_the_drug_is_refused_with_the_unit_meant(
        medication: dict[str, Any], typed: str, meant: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_patient_document(_with_medication(**medication))
    error = info.value
    assert error.field == "medications[0].every"
    assert error.value == medication["every"]
    assert error.problem.startswith(f"{typed} is too short an interval for {medication['drug']}")
    assert meant in error.problem
    limit = INTERVAL_LIMITS[medication["drug"]]
    assert f"at least {limit.minimum_d:g} d" in error.accepted and limit.source in error.accepted


def test_six_days_of_denosumab_is_no_longer_read_as_a_bone_metastases_schedule() -> None:
    """Before, "60 mg every 6 d" was stored and then counted as the oncology (Xgeva) schedule."""
    assert bone_metastases_schedule("denosumab", 60.0, 6.0)  # what it would have been read as
    with pytest.raises(UserInputError, match="did you mean 6 months"):
        parse_patient_document(_with_medication(drug="denosumab", dose="60 mg", every="6 d"))


@pytest.mark.parametrize("medication", [
    {"drug": "denosumab", "dose": "60 mg", "every": "6 mo"},       # Prolia
    {"drug": "denosumab", "dose": "120 mg", "every": "4 wk"},      # Xgeva
    {"drug": "denosumab", "dose": "120 mg", "every": "7 d"},       # Xgeva loading, days 8 and 15
    {"drug": "zoledronic_acid", "dose": "5 mg", "every": "1 y"},   # Reclast
    {"drug": "zoledronic_acid", "dose": "4 mg", "every": "3 wk"},  # Zometa, every 3-4 weeks
    {"drug": "zoledronic_acid", "dose": "4 mg", "every": "6 mo"},  # adjuvant breast cancer
    {"drug": "alendronate", "dose": "10 mg", "every": "1 d"},      # Fosamax daily
    {"drug": "alendronate", "dose": "70 mg", "every": "1 wk"},     # Fosamax weekly
    {"drug": "risedronate", "dose": "5 mg", "every": "1 d"},       # Actonel daily
    {"drug": "risedronate", "dose": "150 mg", "every": "1 mo"},    # Actonel monthly
    {"drug": "risedronate", "dose": "5 mg/d"},                     # continuous, no interval
])
def test_labelled_intervals_including_daily_bisphosphonates_are_accepted(medication: dict[str, Any]) -> None:
    parse_patient_document(_with_medication(**medication))


def test_a_fhir_import_is_checked_by_the_same_interval_limit() -> None:
    record = parse_patient_document(_with_medication(drug="denosumab", dose="60 mg",
                                                     route="subcutaneous", every="6 mo"))
    bundle = record_to_bundle(record)
    import_bundle(copy.deepcopy(bundle))  # as exported, it reads
    statement = next(e["resource"] for e in bundle["entry"]
                     if e["resource"]["resourceType"] == "MedicationStatement")
    repeat = statement["dosage"][0]["timing"]["repeat"]
    repeat.pop("_period", None)
    repeat.update(period=6, periodUnit="d")
    with pytest.raises(UserInputError) as info:
        import_bundle(bundle)
    assert "every" in info.value.field and "did you mean 6 months?" in info.value.problem


@pytest.mark.parametrize(("lab", "entered", "canonical"), [
    ({"test": "calcium", "value": 9.5, "unit": "mmol/L"}, "0.749 to 4.99 mmol/L", "(3 to 20 mg/dL)"),
    ({"test": "estradiol", "value": 50000, "unit": "pmol/L"}, "0 to 18356 pmol/L", "(0 to 5000 pg/mL)"),
])
def test_a_lab_out_of_range_is_refused_with_the_range_in_the_unit_typed(
        lab: dict[str, Any], entered: str, canonical: str) -> None:
    document = {**WOMAN, "labs": [{**lab, "date": "2025-01-10"}]}
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    assert info.value.field == "labs[0].value"
    assert info.value.accepted.startswith(f"{entered} {canonical}")
    assert "after conversion" not in info.value.accepted
    # the bounds shown are themselves accepted (rounded inwards)
    low, high = (float(x) for x in entered.split()[::2][:2])
    for value in (low, high):
        parse_patient_document({**WOMAN, "labs": [{**lab, "value": value, "date": "2025-01-10"}]})


def test_a_lab_in_the_canonical_unit_names_the_range_once() -> None:
    with pytest.raises(UserInputError) as info:
        parse_patient_document({**WOMAN, "labs": [{"test": "estradiol", "value": 50000, "unit": "pg/mL",
                                                   "date": "2025-01-10"}]})
    assert info.value.accepted == "0 to 5000 pg/mL for estradiol"


@pytest.mark.parametrize(("every", "written", "words"), [
    ("6 mo", "6 mo", "every 6 months"),
    ("182.625 d", "6 mo", "every 6 months"),
    ("1 y", "1 y", "every year"),
    ("12 mo", "1 y", "every year"),
    ("18 mo", "18 mo", "every 18 months"),
    ("3 mo", "3 mo", "every 3 months"),
    ("4 wk", "28 d", "every 4 weeks"),
    ("7 d", "7 d", "every week"),
    ("1 d", "1 d", "every day"),
    ("3.5 d", "3.5 d", "every 3.5 d"),
    ("10 h", "10 h", "every 10 hours"),
    ("12 h", "0.5 d", "every 12 hours"),
])
def test_intervals_are_written_as_people_say_them_and_read_back_the_same(
        every: str, written: str, words: str) -> None:
    record = parse_patient_document(_with_medication(drug="anastrozole", dose="0.5 mg", every=every)
                                    if every in ("3.5 d", "10 h", "12 h", "1 d", "7 d") else
                                    _with_medication(drug="zoledronic_acid", dose="4 mg", every=every)
                                    if every in ("4 wk", "3 mo") else
                                    _with_medication(drug="denosumab", dose="60 mg", every=every))
    medication = record.medications[0]
    assert record_to_document(record)["medications"][0]["every"] == written
    assert interval_words(medication.every_d or 0.0) == words == medication.schedule_words()
    text = dump_patient_yaml(record)
    assert f"every: {written}\n" in text
    again = parse_patient_document(parse_text(text, source="export"))
    assert again == record and again.medications[0].every_d == medication.every_d
