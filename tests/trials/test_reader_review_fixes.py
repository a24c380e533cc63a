"""Trial-file reader, review fixes: units on ages and years since menopause, a unit for weight,
menopause against age, the field named for a bad ``from``, the drug's own dose limit, and the
published value kept as the file gives it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from osteotwin.errors import UserInputError
from osteotwin.trials import parse_trial_document

DOC: dict[str, Any] = {
    "version": 1, "id": "review", "citation": "test",
    "population": {"sex": "female", "menopausal_status": "postmenopausal",
                   "age": {"mean": 65, "sd": 7}},
    "arms": [
        {"id": "ai", "n": 100,
         "regimens": [{"drug": "anastrozole", "dose": "1 mg", "route": "oral", "every": "1 d",
                       "start": "0 d", "stop": "12 mo"}]},
        {"id": "pbo", "n": 100, "regimens": []},
    ],
    "endpoints": [{"arm": "ai", "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo",
                   "value": -2.0, "se": 0.5}],
}


def _doc(**population: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    doc["population"].update(population)
    return doc


def _error(doc: dict[str, Any]) -> UserInputError:
    with pytest.raises(UserInputError) as info:
        parse_trial_document(doc, source="t.yaml")
    assert "\n" not in str(info.value) and str(info.value).startswith("t.yaml: ")
    return info.value


@pytest.mark.parametrize(("unit", "years"), [("mo", 5.0), ("wk", 60 * 7 / 365.25),
                                             ("d", 60 / 365.25), ("y", 60.0)])
def test_years_since_menopause_convert_their_time_unit(unit: str, years: float) -> None:
    age = 100 if unit == "y" else 65  # 60 y since menopause needs an old population
    doc = _doc(age={"mean": age, "sd": 5},
               years_since_menopause={"mean": 60, "sd": 12, "unit": unit})
    ysm = parse_trial_document(doc).arms[0].population.years_since_menopause
    assert ysm is not None and ysm.mean == pytest.approx(years)
    assert ysm.sd == pytest.approx(12 * years / 60)


def test_age_in_months_is_converted_to_years() -> None:
    doc = _doc(age={"mean": 780, "sd": 84, "min": 720, "unit": "mo"})
    age = parse_trial_document(doc).arms[0].population.age_y
    assert age is not None
    assert (age.mean, age.sd, age.minimum) == pytest.approx((65.0, 7.0, 60.0))


@pytest.mark.parametrize("key", ["age", "years_since_menopause"])
def test_a_unit_that_is_not_a_time_is_refused(key: str) -> None:
    doc = _doc(**{key: {"mean": 10, "sd": 2, "unit": "kg"}})
    err = _error(doc)
    assert err.field == f"population.{key}.unit" and err.value == "kg"
    assert all(unit in err.accepted for unit in ("y", "mo", "wk", "d"))


def test_an_age_given_in_months_by_mistake_is_implausible_in_years() -> None:
    err = _error(_doc(age={"mean": 65, "sd": 7, "unit": "mo"}))
    assert err.field == "population.age.mean" and err.value == "65 mo"
    assert err.accepted == "18 to 110 y"


def test_a_t_score_with_a_unit_is_refused() -> None:
    err = _error(_doc(baseline={"lumbar_spine_t_score": {"mean": -1.0, "sd": 1.0,
                                                         "unit": "g/cm2"}}))
    assert err.field == "population.baseline.lumbar_spine_t_score.unit"


@pytest.mark.parametrize("weight", [{"mean": 154, "sd": 20}, 70])
def test_weight_without_a_unit_is_refused(weight: Any) -> None:
    err = _error(_doc(weight=weight))
    assert err.field == "population.weight.unit" and err.value is None
    assert "kg" in err.accepted and "lb" in err.accepted


def test_a_weight_unit_that_does_not_fit_names_the_unit() -> None:
    err = _error(_doc(weight={"mean": 70, "sd": 10, "unit": "mg/dL"}))
    assert err.field == "population.weight.unit" and err.value == "mg/dL"
    assert err.accepted == "kg, lb"


def test_weight_in_pounds_is_converted() -> None:
    weight = parse_trial_document(_doc(weight={"mean": 154, "sd": 22, "unit": "lb"})
                                  ).arms[0].population.weight_kg
    assert weight is not None and weight.mean == pytest.approx(69.85, abs=0.01)


def test_years_since_menopause_must_fit_the_age() -> None:
    err = _error(_doc(years_since_menopause={"mean": 60, "sd": 12}))
    assert err.field == "population.years_since_menopause.mean" and err.value == "60 y"
    assert "0 to 35 y" in err.accepted and "population.age 65 y" in err.accepted
    assert "menopause at age 5" in err.problem
    # the same number in months is 5 years: menopause at 60, accepted
    ok = parse_trial_document(_doc(years_since_menopause={"mean": 60, "sd": 12, "unit": "mo"}))
    assert ok.arms[0].population.years_since_menopause is not None


def test_an_arm_override_is_checked_and_named() -> None:
    doc = _doc(years_since_menopause={"mean": 10})
    doc["arms"][1]["population"] = {"years_since_menopause": {"mean": 40}}
    err = _error(doc)
    assert err.field == "arms[1].population.years_since_menopause.mean"
    assert "population.age 65 y" in err.accepted
    # a negative value (menopause after study start) is fine at a menopausal age
    young = _doc(age={"mean": 48, "sd": 2}, years_since_menopause={"mean": -2},
                 menopausal_status="perimenopausal")
    assert parse_trial_document(young).arms[0].population.years_since_menopause is not None


def test_a_from_before_study_start_names_from() -> None:
    doc = copy.deepcopy(DOC)
    doc["endpoints"][0]["from"] = "-3 mo"
    err = _error(doc)
    assert err.field == "endpoints[0].from" and err.value == "-3 mo"
    assert "'from' before study start" in err.problem


@pytest.mark.parametrize("dose", ["-1 mg", "1 kg", "0 mg", "20 mg", {"value": -5, "unit": "mg"},
                                  "0.5 g"])
def test_an_implausible_dose_gives_the_drugs_own_limit(dose: Any) -> None:
    doc = copy.deepcopy(DOC)
    doc["arms"][0]["regimens"][0]["dose"] = dose
    err = _error(doc)
    assert err.field == "arms[0].regimens[0].dose" and err.problem == "implausible dose"
    assert err.accepted == "more than 0 and at most 10 mg of anastrozole per dose"


def test_a_dose_unit_that_does_not_fit_also_gives_the_limit() -> None:
    doc = copy.deepcopy(DOC)
    doc["arms"][0]["regimens"][0]["dose"] = "1 mL"
    err = _error(doc)
    assert err.problem == "unit does not fit"
    assert "mg" in err.accepted and "at most 10 mg of anastrozole" in err.accepted


def test_a_published_lab_value_keeps_its_unit_beside_the_converted_value() -> None:
    doc = copy.deepcopy(DOC)
    doc["population"]["sex"] = "male"
    doc["population"].pop("menopausal_status")
    doc["endpoints"].append({"arm": "ai", "quantity": "total_testosterone", "at": "12 mo",
                             "value": 17.6, "unit": "nmol/L", "sd": 4})
    change, level = parse_trial_document(doc).endpoints
    assert level.given_value == 17.6 and level.given_unit == "nmol/L"
    assert level.unit == "ng/dL" and level.value == pytest.approx(507.6, abs=0.5)
    assert level.model_unit == "ng/dL"
    assert change.given_value == -2.0 and change.given_unit == "%" and change.model_unit == "%"
