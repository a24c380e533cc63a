"""What-if parsing and application."""

from __future__ import annotations

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
