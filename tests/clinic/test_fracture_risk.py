"""Garvan women's Model I (nomogram approximation), external FRAX, and risk bands."""

from __future__ import annotations

import pytest

from osteotwin.clinic.fracture_risk import (
    garvan_5y_pct,
    garvan_10y_pct,
    garvan_points,
    risk_band,
)
from tests.clinic.builders import hip_spine, make, run


def test_garvan_worked_example_from_the_shared_notes() -> None:
    # guidelines_risk.md 1.1: woman 70, T -2.5, one fracture, one fall -> 96 points,
    # 5-year about 22.5 %, 10-year about 40.2 %.
    points = garvan_points(70, -2.5, 1, 1)
    assert points == pytest.approx(96.0)
    assert garvan_5y_pct(points)[0] == pytest.approx(22.5, abs=0.2)
    assert garvan_10y_pct(points)[0] == pytest.approx(40.2, abs=0.2)


def test_garvan_caps_fractures_and_falls_at_three() -> None:
    assert garvan_points(70, -1.0, 5, 9) == garvan_points(70, -1.0, 3, 3)


def test_garvan_open_ends_are_marked() -> None:
    assert garvan_10y_pct(20.0) == (5.0, "below")
    assert garvan_10y_pct(180.0)[1] == "above"


def test_risk_rises_with_lower_t_score() -> None:
    low = garvan_10y_pct(garvan_points(72, -0.5, 0, 0))[0]
    high = garvan_10y_pct(garvan_points(72, -2.5, 0, 0))[0]
    assert high > low


@pytest.mark.parametrize(("mof", "hip", "band"), [
    (25.0, None, "high"), (20.0, 1.0, "high"), (12.0, 3.0, "high"), (15.0, 2.9, "moderate"),
    (9.9, 1.0, "low"), (None, None, None),
])
def test_bands(mof: float | None, hip: float | None, band: str | None) -> None:
    assert risk_band(mof, hip) == band


def test_garvan_not_used_under_60_or_for_men() -> None:
    young = run(make(sex="female", age=55, dxa=hip_spine(-2.0)))
    assert young.fracture_risk.primary is None
    assert any("valid from age 60" in r for r in young.fracture_risk.not_estimated)
    man = run(make(sex="male", age=75, dxa=hip_spine(-2.0)))
    assert man.fracture_risk.primary is None


def test_external_frax_is_preferred_and_garvan_kept() -> None:
    result = run(make(sex="female", age=70, dxa=hip_spine(-1.5),
                      frax={"tool": "FRAX", "major_osteoporotic_10y_pct": 14,
                            "hip_10y_pct": 2.2, "country": "US"}))
    models = [e.model for e in result.fracture_risk.estimates]
    assert models[0].startswith("FRAX") and "Garvan" in models[1]
    assert result.fracture_risk.primary is not None
    assert result.fracture_risk.primary.band == "moderate"


def test_garvan_needs_fall_history() -> None:
    doc = make(sex="female", age=70, dxa=hip_spine(-1.5))
    del doc["history"]["falls_last_12_months"]
    result = run(doc)
    assert result.fracture_risk.primary is None
    assert any("falls_last_12_months" in r for r in result.fracture_risk.not_estimated)
