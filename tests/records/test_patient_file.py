"""Patient file v1 reader: the spec's example, strictness, plausibility and round trips."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osteotwin.errors import UserInputError
from osteotwin.records import (
    dump_patient_json,
    dump_patient_yaml,
    load_patient_file,
    parse_patient_document,
    parse_text,
    record_to_document,
)
from tests.conftest import EXAMPLE_PATIENT

MINIMAL: dict[str, Any] = {"version": 1, "patient": {"sex": "female", "birth_date": "1960-05-01"}}


def example_document(path: Path) -> dict[str, Any]:
    loaded = parse_text(path.read_text(encoding="utf-8"), source=str(path))
    assert isinstance(loaded, dict)
    return loaded


def test_spec_example_reads_in_canonical_units(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    assert record.as_of == date(2025, 6, 1)
    assert record.patient.sex == "male" and record.patient.weight_kg == 86.0
    anastrozole = next(m for m in record.medications if m.drug == "anastrozole")
    assert anastrozole.dose_mg == 0.5 and anastrozole.every_d == 3.5 and anastrozole.stop is None
    testosterone = record.latest_lab("total_testosterone")
    assert testosterone is not None
    assert testosterone.value == pytest.approx(28.5 * 28.842, rel=1e-3)  # ng/dL
    assert testosterone.reported_unit == "nmol/L"
    assert record.lifestyle.supplement_total("vitamin_d3") == 1000.0
    assert [s.site for s in record.dxa] == ["lumbar_spine", "femoral_neck"]


def test_spec_example_matches_shared_spec(example_patient_path: Path, shared_dir: Path) -> None:
    spec = (shared_dir / "spec" / "patient-file.md").read_text(encoding="utf-8")
    block = spec.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == example_patient_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("dose", "every", "refused"),
    [
        ("10 mg", "1 d", True),          # 10 mg written for 10 µg: 400,000 IU a day
        ("100000 IU/d", None, True),
        ("50000 IU", "7 d", False),      # a weekly bolus
        ("600000 IU", "365 d", False),   # a yearly "stoss" bolus
        ("2000 IU/d", None, False),
    ],
)
def test_vitamin_d_is_limited_by_its_daily_average_not_only_per_dose(
        dose: str, every: str | None, refused: bool) -> None:
    medication = {"drug": "vitamin_d3", "dose": dose, "start": "2024-01-01",
                  **({"every": every} if every else {})}
    document = {**MINIMAL, "medications": [medication]}
    if not refused:
        parse_patient_document(document)
        return
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    assert info.value.field == "medications[0].dose"
    assert "50000 IU of vitamin_d3 a day on average" in info.value.accepted


@pytest.mark.parametrize(
    ("medication", "accepted"),
    [
        # (zoledronic acid 4 mg every day, denosumab 120 mg every 6 h: refused first for their
        # interval, test_review_intervals_and_units.py)
        ({"drug": "zoledronic_acid", "dose": "5 mg"}, "a single dose: the same start and stop date"),
        ({"drug": "denosumab", "dose": "240 mg", "every": "7 d"}, "18 mg of denosumab"),
        ({"drug": "alendronate", "dose": "70 mg", "every": "1 d"}, "40 mg of alendronate"),
        ({"drug": "anastrozole", "dose": "1 mg", "every": "1 h"}, "10 mg of anastrozole"),
        ({"drug": "testosterone_undecanoate", "dose": "237 mg", "every": "12 h",
          "route": "intramuscular"}, "50 mg of testosterone_undecanoate"),
    ],
)
def test_a_dose_given_far_too_often_is_refused(medication: dict[str, str], accepted: str) -> None:
    """Each dose is plausible; its average a day is not (Zometa, Xgeva, Fosamax, Arimidex labels)."""
    document = {**MINIMAL, "medications": [{**medication, "start": "2024-01-01"}]}
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    assert info.value.field == "medications[0].dose"
    assert accepted in info.value.accepted


@pytest.mark.parametrize(
    "medication",
    [
        {"drug": "zoledronic_acid", "dose": "5 mg", "every": "365 d"},
        {"drug": "zoledronic_acid", "dose": "4 mg", "every": "28 d"},
        {"drug": "zoledronic_acid", "dose": "5 mg", "stop": "2024-01-01"},  # one infusion
        {"drug": "denosumab", "dose": "120 mg", "every": "28 d"},
        {"drug": "alendronate", "dose": "70 mg", "every": "7 d"},
        {"drug": "anastrozole", "dose": "0.5 mg", "every": "3.5 d"},
        {"drug": "testosterone_undecanoate", "dose": "237 mg", "every": "12 h", "route": "oral"},
        {"drug": "testosterone_cypionate", "dose": "200 mg", "every": "7 d"},
    ],
)
def test_labelled_regimens_are_within_the_daily_average(medication: dict[str, str]) -> None:
    parse_patient_document({**MINIMAL, "medications": [{**medication, "start": "2024-01-01"}]})


def test_a_vitamin_d_supplement_above_the_daily_limit_is_refused() -> None:
    document = {**MINIMAL, "lifestyle": {"supplements": [{"name": "vitamin_d3",
                                                          "dose": "80000 IU/d"}]}}
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    assert info.value.field == "lifestyle.supplements[0].dose"
    assert "at most 50000 IU/d" in info.value.accepted


def test_minimal_file_is_enough() -> None:
    record = parse_patient_document(MINIMAL)
    assert record.labs == () and record.lifestyle.dietary_calcium_mg_d is None
    assert record.history.smoking is None  # unknown stays unknown


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(colour="blue"), "colour"),
        (lambda d: d["patient"].update(hieght="178 cm"), "patient.hieght"),
        (lambda d: d["labs"][0].update(unit="ng/dL"), "labs[0].unit"),
        (lambda d: d["labs"][0].update(unit="furlongs"), "labs[0].unit"),
        (lambda d: d["labs"][0].update(value=90000), "labs[0].value"),
        (lambda d: d["labs"][0].update(test="estrogen"), "labs[0].test"),
        (lambda d: d["labs"][0].update(date="2024-02-30"), "labs[0].date"),
        (lambda d: d["patient"].update(birth_date="2090-01-01"), "patient.birth_date"),
        (lambda d: d["patient"].update(height="178 kg"), "patient.height"),
        (lambda d: d["patient"].update(weight=86), "patient.weight"),
        (lambda d: d["patient"].update(sex="m"), "patient.sex"),
        (lambda d: d["medications"][1].update(dose="50 mg"), "medications[1].dose"),
        (lambda d: d["medications"][1].update(drug="aspirin"), "medications[1].drug"),
        (lambda d: d["medications"][1].update(stop="2020-01-01"), "medications[1].stop"),
        (lambda d: d["medications"][1].update(every="-1 d"), "medications[1].every"),
        (lambda d: d["dxa"][0].update(site="wrist"), "dxa[0].site"),
        (lambda d: d["dxa"][0].update(bmd="1.02 g/cm3"), "dxa[0].bmd"),
        (lambda d: d["dxa"][0].update(date="1950-01-01"), "dxa[0].date"),
        (lambda d: d["lifestyle"].update(dietary_calcium="700"), "lifestyle.dietary_calcium"),
        (lambda d: d["lifestyle"].update(food_exclusions=["meat"]), "lifestyle.food_exclusions[0]"),
        (lambda d: d["history"].update(smoking="sometimes"), "history.smoking"),
        (
            lambda d: d["history"].update(prior_fragility_fractures=1.5),
            "history.prior_fragility_fractures",
        ),
        (lambda d: d.update(version=2), "version"),
    ],
)
def test_bad_field_is_refused_with_its_path(
    example_patient_path: Path, mutate: Any, field: str
) -> None:
    document = example_document(example_patient_path)
    mutate(document)
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document, source="p.yaml")
    assert info.value.field == field
    assert str(info.value).startswith("p.yaml: " + field)
    assert "\n" not in str(info.value)


def test_malformed_yaml_and_json(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "p.yaml"
    bad_yaml.write_text("version: 1\npatient: [unclosed\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="malformed YAML"):
        load_patient_file(bad_yaml)
    bad_json = tmp_path / "p.json"
    bad_json.write_text('{"version": 1,', encoding="utf-8")
    with pytest.raises(UserInputError, match="malformed JSON"):
        load_patient_file(bad_json)
    with pytest.raises(UserInputError, match="file not found"):
        load_patient_file(tmp_path / "missing.yaml")


def test_unknown_fields_allowed_under_extra() -> None:
    document = copy.deepcopy(MINIMAL)
    document["extra"] = {"clinic_notes": {"anything": [1, 2]}}
    assert parse_patient_document(document).extra == {"clinic_notes": {"anything": [1, 2]}}


def test_si_units_and_string_or_mapping_quantities() -> None:
    document = copy.deepcopy(MINIMAL)
    document["labs"] = [
        {"test": "estradiol", "value": 73.4, "unit": "pmol/L", "date": "2024-01-01"}
    ]
    document["patient"]["height"] = {"value": 1.65, "unit": "m"}
    record = parse_patient_document(document)
    assert record.labs[0].value == pytest.approx(20.0, rel=1e-3)
    assert record.patient.height_cm == pytest.approx(165.0)


def test_round_trip_yaml_and_json(example_patient_path: Path, tmp_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    (tmp_path / "a.yaml").write_text(dump_patient_yaml(record), encoding="utf-8")
    (tmp_path / "a.json").write_text(dump_patient_json(record), encoding="utf-8")
    assert load_patient_file(tmp_path / "a.yaml") == record
    assert load_patient_file(tmp_path / "a.json") == record
    assert json.loads(dump_patient_json(record))["labs"][1]["unit"] == "nmol/L"


# Any JSON-like document: the reader either accepts it or raises UserInputError, never anything else.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_json)
def test_arbitrary_documents_never_crash(document: Any) -> None:
    try:
        parse_patient_document(document)
    except UserInputError:
        pass


_field_values = st.one_of(
    _scalars,
    st.sampled_from(
        ["26 pg/mL", "1 g/cm2", "2024-13-01", "7 d", "pmol/L", "1e400 mg", "-3 kg", "nan cm"]
    ),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_mutated_example_never_crashes(data: st.DataObject) -> None:
    document = example_document(EXAMPLE_PATIENT)
    section = data.draw(
        st.sampled_from(["patient", "history", "lifestyle", "labs", "dxa", "medications"])
    )
    target = document[section]
    if isinstance(target, list):
        target = target[data.draw(st.integers(0, len(target) - 1))]
    key = data.draw(st.sampled_from(sorted(target)))
    target[key] = data.draw(_field_values)
    try:
        record = parse_patient_document(document)
    except UserInputError:
        return
    assert parse_patient_document(record_to_document(record)) == record


def test_yaml_dates_are_validated_not_crashing() -> None:
    text = yaml.safe_dump(MINIMAL).replace("1960-05-01", "1960-02-31")
    with pytest.raises(UserInputError, match="impossible date"):
        parse_patient_document(parse_text(text, source="x"), source="x")


@pytest.mark.parametrize("count", [float("inf"), float("nan"), 1e308, -1])
def test_non_finite_counts_are_refused(count: float) -> None:
    document = copy.deepcopy(MINIMAL)
    document["history"] = {"falls_last_12_months": count}
    with pytest.raises(UserInputError, match=r"history\.falls_last_12_months"):
        parse_patient_document(document)


def test_a_yaml_alias_bomb_and_an_oversized_extra_are_refused_without_expanding() -> None:
    """A few hundred bytes of nested aliases would reach 10^9 values once written out: the
    reader stops counting at its limit; the free ``extra`` block has its own, smaller limit."""
    from osteotwin.records.patient_file import MAX_EXTRA_VALUES

    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = "version: 1\npatient: {sex: female, birth_date: 1960-05-01}\nextra:\n" + "\n".join(
        "  " + line for line in lines)
    with pytest.raises(UserInputError, match="document too large or too deeply nested"):
        parse_text(bomb, source="bomb.yaml")
    too_many = {**MINIMAL, "extra": {"notes": list(range(MAX_EXTRA_VALUES + 1))}}
    with pytest.raises(UserInputError) as info:
        parse_patient_document(too_many)
    assert info.value.field == "extra"
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(12):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(UserInputError, match="nested"):
        parse_patient_document({**MINIMAL, "extra": deep})
    assert parse_patient_document({**MINIMAL, "extra": {"site": "clinic A", "ids": [1, 2]}}).extra


def test_a_text_in_extra_longer_than_its_limit_is_refused() -> None:
    """``extra`` is stored as it is: one text, a key or a value at any depth, is limited too."""
    from osteotwin.records.patient_file import MAX_EXTRA_TEXT

    for extra in ({"note": "x" * (MAX_EXTRA_TEXT + 1)}, {"a": [{"k" * (MAX_EXTRA_TEXT + 1): 1}]}):
        with pytest.raises(UserInputError, match="10,000 characters") as info:
            parse_patient_document({**MINIMAL, "extra": extra})
        assert info.value.field == "extra"
    kept = {"note": "x" * MAX_EXTRA_TEXT}
    assert parse_patient_document({**MINIMAL, "extra": kept}).extra == kept


@pytest.mark.parametrize(("drug", "dose", "route", "accepted"), [
    ("anastrozole", "1 mg", "intravenous", "oral for anastrozole"),
    ("zoledronic_acid", "5 mg", "oral", "intravenous for zoledronic_acid"),
    ("denosumab", "60 mg", "oral", "subcutaneous for denosumab"),
])
def test_a_route_the_drug_is_not_given_by_is_refused(drug: str, dose: str, route: str,
                                                     accepted: str) -> None:
    document = {**MINIMAL, "medications": [{"drug": drug, "dose": dose, "every": "365 d",
                                            "route": route, "start": "2024-01-01"}]}
    with pytest.raises(UserInputError) as info:
        parse_patient_document(document)
    assert info.value.field == "medications[0].route" and info.value.accepted == accepted


def test_fractures_after_50_counted_for_a_person_under_50_are_refused() -> None:
    """The field counts fractures after age 50 (spec/patient-file.md): a 35-year-old's count of 2
    is a misreading of the field, which a fracture-risk model would take at face value."""
    young = {**MINIMAL, "as_of": "2025-06-01",
             "patient": {**MINIMAL["patient"], "birth_date": "1990-01-01"},
             "history": {"prior_fragility_fractures": 2}}
    with pytest.raises(UserInputError) as info:
        parse_patient_document(young)
    assert info.value.field == "history.prior_fragility_fractures"
    assert "history.conditions" in info.value.accepted
    parse_patient_document({**young, "history": {"prior_fragility_fractures": 0}})
    older = {**young, "patient": {**young["patient"], "birth_date": "1960-01-01"}}
    assert parse_patient_document(older).history.prior_fragility_fractures == 2
