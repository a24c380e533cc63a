"""Patient file reader, an interoperability review's fixes: results dated after the file's as_of
(or today) and an as_of in the future refused by name; ``extra`` checked to be JSON data; lab units
equal to an accepted one (UCUM) accepted."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from osteotwin.errors import UserInputError
from osteotwin.records import load_patient_file, parse_patient_document, parse_text
from osteotwin.records.fhir import import_bundle, record_to_bundle

TODAY = date(2025, 6, 1)


def _document(**more: Any) -> dict[str, Any]:
    return {"version": 1, "patient": {"sex": "male", "birth_date": "1970-01-01"}, **more}


def _refused(document: Any, **options: Any) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document, **options)
    return info.value


# --------------------------------------------------------------------------------------------------
# D3: dates after as_of or today
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "field"), [
    ({"labs": [{"test": "estradiol", "value": 5, "unit": "pg/mL", "date": "2031-05-01"}]},
     "labs[0].date"),
    ({"dxa": [{"date": "2031-05-01", "site": "femoral_neck", "t_score": -2.7}]}, "dxa[0].date"),
])
def test_a_result_after_as_of_is_refused_by_name(entry: dict[str, Any], field: str) -> None:
    err = _refused(_document(as_of="2025-05-01", **entry), today=TODAY)
    assert (err.field, err.value) == (field, "2031-05-01")
    assert "as_of (2025-05-01" in err.accepted and "after as_of" in err.problem
    err = _refused(_document(**entry), today=TODAY)  # no as_of: after today
    assert err.field == field and "on or before today (2025-06-01)" in err.accepted
    assert err.problem.startswith("date in the future")


def test_a_result_on_the_as_of_day_is_read() -> None:
    record = parse_patient_document(_document(as_of="2025-05-01", labs=[
        {"test": "estradiol", "value": 5, "unit": "pg/mL", "date": "2025-05-01"}]), today=TODAY)
    assert record.labs[0].date == date(2025, 5, 1)


def test_as_of_after_today_is_refused() -> None:
    err = _refused(_document(as_of="2025-06-02"), today=TODAY)
    assert (err.field, err.value, err.problem) == ("as_of", "2025-06-02", "as_of in the future")
    assert "on or before today (2025-06-01)" in err.accepted
    assert parse_patient_document(_document(as_of="2025-06-01"), today=TODAY).as_of == TODAY


def test_a_stored_record_takes_results_after_its_as_of_up_to_today() -> None:
    """The web app keeps as_of and adds entries after it (it then assesses on today)."""
    document = _document(as_of="2025-01-01", labs=[
        {"test": "estradiol", "value": 5, "unit": "pg/mL", "date": "2025-05-01"}])
    assert len(parse_patient_document(document, today=TODAY, stored=True).labs) == 1
    document["labs"][0]["date"] = "2025-06-02"
    assert _refused(document, stored=True, today=TODAY).field == "labs[0].date"


def test_a_file_with_a_result_next_year_is_refused_by_the_cli_reader(tmp_path: Path) -> None:
    """What ``osteotwin assess`` reads: the machine's today, no tolerance."""
    later = (date.today() + timedelta(days=366)).isoformat()
    path = tmp_path / "future.yaml"
    path.write_text(yaml.safe_dump(_document(labs=[
        {"test": "estradiol", "value": 5, "unit": "pg/mL", "date": later}])))
    with pytest.raises(UserInputError) as info:
        load_patient_file(path)
    assert (info.value.field, info.value.value) == ("labs[0].date", later)
    path.write_text(yaml.safe_dump(_document(as_of=later)))
    with pytest.raises(UserInputError) as info:
        load_patient_file(path)
    assert info.value.field == "as_of"


def test_the_example_file_reads() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"
    assert load_patient_file(example).as_of == date(2025, 6, 1)


# --------------------------------------------------------------------------------------------------
# D9: extra is JSON data
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("extra: {x: .nan}", "extra.x", "not a finite number"),
    ("extra: {visits: [1, .inf]}", "extra.visits[1]", "not a finite number"),
    ("extra: {1: first visit}", "extra.1", "a key that is not text"),
    ("extra: {referred: !!timestamp 2025-01-01}", "extra.referred", "not a JSON value"),
    ("extra: {tags: !!set {a, b}}", "extra.tags", "not a JSON value"),
    ("extra: {blob: !!binary aGVsbG8=}", "extra.blob", "not a JSON value"),
])
def test_extra_that_is_not_json_data_is_refused_by_name(text: str, field: str, problem: str) -> None:
    document = parse_text("version: 1\npatient: {sex: female, birth_date: 1960-01-01}\n" + text,
                          source="test")
    err = _refused(document)
    assert (err.field, err.problem) == (field, problem)
    assert "finite numbers" in err.accepted and "string keys" in err.accepted


def test_extra_with_json_data_is_kept_and_exported() -> None:
    extra = {"note": "ok", "n": [1, 2.5, None, True, {"deep": "x"}]}
    record = parse_patient_document(_document(extra=extra))
    assert record.extra == extra
    assert import_bundle(json.loads(json.dumps(record_to_bundle(record)))).record == record


# --------------------------------------------------------------------------------------------------
# D12: units equal to an accepted one
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("test", "value", "unit", "canonical"), [
    ("vitamin_d_25oh", 22, "ug/L", 22.0),  # = ng/mL
    ("vitamin_d_25oh", 22, "µg/L", 22.0),
    ("ctx", 420, "ng/L", 0.42),  # = pg/mL
    ("pth", 45, "ng/L", 45.0),  # = pg/mL
    ("estradiol", 20, "ng/L", 20.0),  # = pg/mL
])
def test_a_unit_equal_to_an_accepted_one_is_read(test: str, value: float, unit: str,
                                                 canonical: float) -> None:
    record = parse_patient_document(_document(labs=[
        {"test": test, "value": value, "unit": unit, "date": "2025-01-01"}]))
    [lab] = record.labs
    assert lab.value == pytest.approx(canonical, rel=1e-12)
    assert lab.reported_value == value  # kept in the accepted spelling of the same unit
    reread = parse_patient_document(yaml.safe_load(yaml.safe_dump(
        {**_document(), "labs": [{"test": test, "value": lab.reported_value,
                                  "unit": lab.reported_unit, "date": "2025-01-01"}]})))
    assert reread.labs == record.labs


def test_a_unit_of_another_size_is_still_refused() -> None:
    err = _refused(_document(labs=[{"test": "pth", "value": 45, "unit": "ug/L",
                                     "date": "2025-01-01"}]))
    assert err.field == "labs[0].unit" and "pg/mL or pmol/L" in err.accepted


@pytest.mark.parametrize(("code", "loinc", "value"), [("ug/L", "62292-8", 22),
                                                       ("ng/L", "41171-0", 420)])
def test_fhir_labs_in_an_equal_ucum_unit_are_imported(code: str, loinc: str, value: float) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "gender": "female",
                                               "birthDate": "1960-01-01"}},
        {"fullUrl": "urn:uuid:o", "resource": {
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "effectiveDateTime": "2025-01-01",
            "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": code}}}]}
    [lab] = import_bundle(bundle).record.labs
    assert lab.reported_value == value
