"""Unit conversions against independently computed values (molar masses from PubChem)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osteotwin.errors import UserInputError
from osteotwin.units import LAB_SPECS, convert_lab, lab_in, parse_quantity


@pytest.mark.parametrize(
    ("test", "value", "unit", "expected"),
    [
        ("estradiol", 36.71, "pmol/L", 36.71 / 3.6713),  # 1 pg/mL = 3.6713 pmol/L
        ("total_testosterone", 10.0, "nmol/L", 10.0 * 28.842),  # 1 nmol/L = 28.842 ng/dL
        ("vitamin_d_25oh", 75.0, "nmol/L", 75.0 / 2.4960),  # 1 ng/mL = 2.496 nmol/L
        ("calcium", 2.5, "mmol/L", 2.5 * 4.0078),  # 1 mmol/L = 4.008 mg/dL
        ("pth", 5.3, "pmol/L", 5.3 * 9.425),
        ("ldl_cholesterol", 3.0, "mmol/L", 3.0 * 38.665),
        ("ctx", 450.0, "pg/mL", 0.45),
        ("p1np", 45.0, "ug/L", 45.0),
        ("estradiol", 20.0, "PG/ML", 20.0),
    ],
)
def test_lab_conversion(test: str, value: float, unit: str, expected: float) -> None:
    assert convert_lab(test, value, unit) == pytest.approx(expected, rel=1e-3)


def test_wrong_unit_names_field_value_and_accepted() -> None:
    with pytest.raises(UserInputError) as info:
        convert_lab("estradiol", 9, "ng/dL", field="labs[0]")
    message = str(info.value)
    assert "labs[0].unit" in message and "ng/dL" in message and "pmol/L" in message


@pytest.mark.parametrize("raw", ["170 0)", "170 cm(", "170 ((cm"])
def test_unbalanced_unit_text_is_refused_with_the_field_named(raw: str) -> None:
    """pint tokenizes unit text as Python; unbalanced brackets must not escape as a crash."""
    with pytest.raises(UserInputError, match=r"patient\.height"):
        parse_quantity(raw, "height", "patient.height")


def test_implausible_lab_refused() -> None:
    with pytest.raises(UserInputError, match="implausible"):
        convert_lab("vitamin_d_25oh", 2000, "nmol/L")


@given(st.sampled_from(sorted(LAB_SPECS)), st.floats(min_value=0.0, max_value=1.0))
def test_round_trip_through_every_accepted_unit(test: str, fraction: float) -> None:
    spec = LAB_SPECS[test]
    canonical = spec.plausible[0] + fraction * (spec.plausible[1] - spec.plausible[0])
    for unit in spec.units:
        shown = lab_in(test, canonical, unit)
        assert math.isclose(convert_lab(test, shown, unit), canonical, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("178 cm", "height", 178.0),
        ({"value": 1.78, "unit": "m"}, "height", 178.0),
        ("200 lb", "weight", 90.718474),
        ("1.020 g/cm2", "bmd", 1.02),
        ("1020 mg/cm²", "bmd", 1.02),
        ("25 ug/d", "daily_iu", 1000.0),
        ("1 wk", "interval", 7.0),
        ("12 mo", "offset", 365.25),
        ("-5 y", "offset", -1826.25),
    ],
)
def test_parse_quantity(raw: object, kind: str, expected: float) -> None:
    assert parse_quantity(raw, kind, "f") == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["178", 178, "178 kg", {"value": "x", "unit": "cm"}, "cm", None])
def test_parse_quantity_refuses(raw: object) -> None:
    with pytest.raises(UserInputError) as info:
        parse_quantity(raw, "height", "patient.height")
    assert "patient.height" in str(info.value)


def test_count_units_read_in_the_singular_after_one() -> None:
    from osteotwin.clinic.model import Fact
    from osteotwin.units import count_unit

    assert count_unit(1, "sessions/week") == "session/week"
    assert count_unit(2, "sessions/week") == "sessions/week"
    assert count_unit(1.0, "mg/d") == "mg/d"
    assert Fact("resistance_sessions_per_week", 1.0, "sessions/week").display() == "1 session/week"
    assert Fact("ai_days", 1, "days").display() == "1 day"
