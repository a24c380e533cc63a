"""What-if parsing and application."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import load_patient_file
from osteotwin.simulate import Scenario
from osteotwin.simulate.what_if import apply_what_if, parse_what_if


def test_parse_dose_interval_and_units() -> None:
    what_if = parse_what_if("anastrozole=0.5mg/3.5d")
    regimen = what_if.regimens["anastrozole"]
    assert regimen is not None
    assert (regimen.dose_mg, regimen.every_d, regimen.start_d) == (0.5, 3.5, 0.0)
    daily = parse_what_if("anastrozole=1 mg/d").regimens["anastrozole"]
    assert daily is not None and daily.every_d == 1.0
    weekly = parse_what_if("alendronate=70mg/wk").regimens["alendronate"]
    assert weekly is not None and weekly.every_d == 7.0
    patch = parse_what_if("estradiol_transdermal=50ug").regimens["estradiol_transdermal"]
    assert patch is not None and patch.dose_mg == pytest.approx(0.05) and patch.every_d is None
    assert parse_what_if("anastrozole=none").regimens == {"anastrozole": None}


def test_parse_lifestyle_items() -> None:
    what_if = parse_what_if("training=2xhigh, impact=3, calcium=1000, vitamin_d=2000IU")
    assert what_if.lifestyle == {"resistance_sessions_per_week": 2.0,
                                 "resistance_intensity": "high", "impact_sessions_per_week": 3.0,
                                 "supplemental_calcium_mg_d": 1000.0, "vitamin_d_iu_d": 2000.0}


@pytest.mark.parametrize(("text", "field"), [
    ("anastrozol=1mg/d", "--what-if"),
    ("anastrozole=100mg/d", "--what-if anastrozole.dose"),
    ("anastrozole=lots", "--what-if anastrozole"),
    ("training=often", "--what-if training"),
    ("calcium=9000", "--what-if calcium"),
    ("anastrozole", "--what-if"),
])
def test_bad_overrides_name_the_field(text: str, field: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_what_if(text)
    assert info.value.field == field


def test_apply_stops_current_regimen_at_t0_and_starts_the_new_one(
        example_patient_path: Path) -> None:
    base = Scenario.from_record(load_patient_file(example_patient_path), 5.0)
    changed = apply_what_if(base, parse_what_if("anastrozole=1mg/d,training=2xhigh"))
    ana = [r for r in changed.regimens if r.drug == "anastrozole"]
    assert [(r.start_d < 0, r.stop_d) for r in ana] == [(True, 0.0), (False, None)]
    assert ana[1].dose_mg == 1.0 and ana[1].every_d == 1.0
    assert changed.lifestyle_from_t0 is not None
    assert changed.lifestyle_from_t0.resistance_intensity == "high"
    assert changed.lifestyle_from_t0.supplemental_calcium_mg_d == 500.0  # kept from the file
    stopped = apply_what_if(base, parse_what_if("anastrozole=none"))
    assert [r.stop_d for r in stopped.regimens if r.drug == "anastrozole"] == [0.0]
    assert changed.label == "anastrozole=1mg/d,training=2xhigh"


@pytest.mark.parametrize(("text", "field", "pointer"), [
    ("vitamin_d3=none", "--what-if vitamin_d3", "vitamin_d=0"),
    ("vitamin_d3=2000IU/d", "--what-if vitamin_d3", "vitamin_d="),
    ("calcium_carbonate=none", "--what-if calcium_carbonate", "calcium=0"),
    ("calcium_carbonate=1000mg/d", "--what-if calcium_carbonate", "calcium="),
    ("calcium_citrate=500mg/d", "--what-if calcium_citrate", "calcium="),
])
def test_supplement_keys_are_refused_naming_the_lifestyle_key(
        text: str, field: str, pointer: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_what_if(text)
    assert info.value.field == field
    assert pointer in info.value.one_line()


def test_calcium_and_vitamin_d_replace_the_supplements_on_file(example_patient_path: Path) -> None:
    base = Scenario.from_record(load_patient_file(example_patient_path), 2.0)
    assert (base.subject.lifestyle.supplemental_calcium_mg_d,
            base.subject.lifestyle.vitamin_d_iu_d) == (500.0, 1000.0)  # lifestyle.supplements
    more = apply_what_if(base, parse_what_if("calcium=1000mg/d,vitamin_d=50ug"))
    assert more.lifestyle_from_t0 is not None
    assert more.lifestyle_from_t0.supplemental_calcium_mg_d == 1000.0  # replaced, not 1500
    assert more.lifestyle_from_t0.vitamin_d_iu_d == 2000.0
    stopped = apply_what_if(base, parse_what_if("calcium=0,vitamin_d=0"))
    assert stopped.lifestyle_from_t0 is not None
    assert (stopped.lifestyle_from_t0.supplemental_calcium_mg_d,
            stopped.lifestyle_from_t0.vitamin_d_iu_d) == (0.0, 0.0)
    assert not any(r.drug in ("vitamin_d3", "calcium_carbonate") for r in stopped.regimens)


def test_stopping_a_drug_not_taken_is_refused_naming_the_drugs_taken(
        example_patient_path: Path) -> None:
    base = Scenario.from_record(load_patient_file(example_patient_path), 2.0)
    with pytest.raises(UserInputError) as info:
        apply_what_if(base, parse_what_if("letrozole=none"))
    assert info.value.field == "--what-if letrozole"
    assert "letrozole is not taken" in info.value.problem
    assert "anastrozole, testosterone_cypionate" in info.value.accepted
    # a drug stopped before t = 0 is not taken either: stopping it again would change nothing
    ended = replace(base, regimens=tuple(replace(r, stop_d=-10.0) if r.drug == "anastrozole"
                                         else r for r in base.regimens))
    with pytest.raises(UserInputError, match="anastrozole is not taken"):
        apply_what_if(ended, parse_what_if("anastrozole=none"))
    # starting a drug not on file stays allowed
    started = apply_what_if(base, parse_what_if("letrozole=2.5mg/d"))
    assert [r.start_d for r in started.regimens if r.drug == "letrozole"] == [0.0]


@pytest.mark.parametrize(("text", "field"), [
    ("anastrozole=1mg/d,anastrozole=none", "--what-if anastrozole"),
    ("calcium=1000, Calcium=500", "--what-if calcium"),
    ("training=2xhigh,impact=1,training=1xlight", "--what-if training"),
])
def test_duplicate_keys_are_refused(text: str, field: str) -> None:
    with pytest.raises(UserInputError, match="given more than once") as info:
        parse_what_if(text)
    assert info.value.field == field


@pytest.mark.parametrize(("text", "dose_mg", "dose_iu", "every_d"), [
    ("denosumab=60mg/6mo", 60.0, None, 182.625),
    ("zoledronic_acid=5mg/y", 5.0, None, 365.25),
    ("zoledronic_acid=4 mg / 6 mo", 4.0, None, 182.625),
    ("alendronate=70mg/1wk", 70.0, None, 7.0),
    ("testosterone_cypionate=0.1g/2wk", 100.0, None, 14.0),
    ("estradiol_transdermal=50mcg", 0.05, None, None),
    ("hcg=1500IU/3.5d", None, 1500.0, 3.5),
])
def test_drug_doses_and_intervals_take_patient_file_units(
        text: str, dose_mg: float | None, dose_iu: float | None, every_d: float | None) -> None:
    regimen = next(iter(parse_what_if(text).regimens.values()))
    assert regimen is not None
    assert regimen.dose_mg == (None if dose_mg is None else pytest.approx(dose_mg))
    assert (regimen.dose_iu, regimen.every_d) == (dose_iu, every_d)


@pytest.mark.parametrize(("text", "field", "value"), [
    ("calcium=1000", "supplemental_calcium_mg_d", 1000.0),
    ("calcium=1000mg/d", "supplemental_calcium_mg_d", 1000.0),
    ("calcium=1g/d", "supplemental_calcium_mg_d", 1000.0),
    ("calcium=7000 mg/wk", "supplemental_calcium_mg_d", 1000.0),
    ("dietary_calcium=1.2g/d", "dietary_calcium_mg_d", 1200.0),
    ("vitamin_d=2000", "vitamin_d_iu_d", 2000.0),
    ("vitamin_d=2000IU", "vitamin_d_iu_d", 2000.0),
    ("vitamin_d=2000IU/d", "vitamin_d_iu_d", 2000.0),
    ("vitamin_d=50ug", "vitamin_d_iu_d", 2000.0),
    ("vitamin_d=50 µg/d", "vitamin_d_iu_d", 2000.0),
])
def test_daily_amounts_take_patient_file_units_or_a_bare_number(
        text: str, field: str, value: float) -> None:
    assert parse_what_if(text).lifestyle == {field: pytest.approx(value)}


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("denosumab=60mg/6mth", "--what-if denosumab.every", "unknown time unit"),
    ("denosumab=60mg/6mo/2", "--what-if denosumab", "invalid value"),
    ("anastrozole=1kg/d", "--what-if anastrozole", "invalid value"),
    ("zoledronic_acid=5mg/5y", "--what-if zoledronic_acid.every", "implausible dosing interval"),
    ("calcium=2000IU/d", "--what-if calcium", "unit does not fit"),
    ("calcium=4g/d", "--what-if calcium", "out of range"),
    ("calcium=-5", "--what-if calcium", "out of range"),
    ("vitamin_d=2mg/d", "--what-if vitamin_d", "out of range"),  # 80000 IU/d
    ("vitamin_d=lots", "--what-if vitamin_d", "not a number or an amount with a unit"),
])
def test_bad_units_and_amounts_are_refused(text: str, field: str, problem: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_what_if(text)
    assert (info.value.field, info.value.problem) == (field, problem)
