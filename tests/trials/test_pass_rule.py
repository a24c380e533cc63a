"""The spec's pass rule on hand-made endpoints."""

from __future__ import annotations

import math

import pytest

from osteotwin.trials.model import Endpoint, Uncertainty
from osteotwin.trials.pass_rule import Z95, passes, scoring_interval


def _endpoint(quantity: str, value: float, unc: Uncertainty | None = None, *, arm: str = "a",
              contrast: tuple[str, str] | None = None, unit: str | None = None) -> Endpoint:
    return Endpoint(quantity=quantity, at_d=365.25, at_text="12 mo", value=value, unit=unit,
                    uncertainty=unc or Uncertainty(), arm=None if contrast else arm,
                    contrast=contrast)


SIZES = {"a": 25, "b": 100, "unknown": None}


def test_ci95_wider_than_floor_is_used_as_published() -> None:
    e = _endpoint("lumbar_spine_bmd_change_pct", -1.7, Uncertainty(ci95=(-3.1, -0.3)))
    interval = scoring_interval(e, SIZES)
    assert (interval.low, interval.high, interval.basis) == (-3.1, -0.3, "ci95")
    assert passes(-3.05, e, SIZES) is True
    assert passes(-3.15, e, SIZES) is False
    assert passes(-0.25, e, SIZES) is False


def test_narrow_ci95_is_widened_to_half_a_percentage_point() -> None:
    e = _endpoint("total_hip_bmd_change_pct", 3.3, Uncertainty(ci95=(3.1, 3.5)))
    interval = scoring_interval(e, SIZES)
    assert interval.low == pytest.approx(2.8) and interval.high == pytest.approx(3.8)
    assert passes(2.81, e, SIZES) is True and passes(2.79, e, SIZES) is False


def test_asymmetric_ci_is_widened_only_on_the_narrow_side() -> None:
    e = _endpoint("ctx_change_pct", 10.0, Uncertainty(ci95=(9.9, 14.0)))
    interval = scoring_interval(e, SIZES)
    assert interval.low == pytest.approx(9.5) and interval.high == pytest.approx(14.0)


def test_se_becomes_1_96_se() -> None:
    e = _endpoint("lumbar_spine_bmd_change_pct", 0.6, Uncertainty(se=0.5))
    interval = scoring_interval(e, SIZES)
    assert interval.high - 0.6 == pytest.approx(Z95 * 0.5)
    assert interval.basis == "se"


def test_sd_uses_arm_size() -> None:
    e = _endpoint("estradiol", 17.6, Uncertainty(sd=6.5), unit="pg/mL")
    interval = scoring_interval(e, SIZES)
    half = Z95 * 6.5 / math.sqrt(25)
    assert interval.low == pytest.approx(17.6 - half) and interval.high == pytest.approx(17.6 + half)
    assert half > 0.1 * 17.6  # wider than the 10 % floor here, so the SD interval is used


def test_absolute_lab_floor_is_ten_percent_of_value() -> None:
    e = _endpoint("total_testosterone", 572.0, Uncertainty(sd=10.0), arm="b", unit="ng/dL")
    interval = scoring_interval(e, SIZES)
    assert interval.low == pytest.approx(572 * 0.9) and interval.high == pytest.approx(572 * 1.1)
    assert passes(515.0, e, SIZES) is True and passes(514.0, e, SIZES) is False


def test_sd_with_unknown_n_is_reported_not_scored() -> None:
    e = _endpoint("estradiol", 12.0, Uncertainty(sd=4.0), arm="unknown", unit="pg/mL")
    interval = scoring_interval(e, SIZES)
    assert interval.scored is False
    assert passes(12.0, e, SIZES) is None


def test_no_uncertainty_uses_the_floor_alone() -> None:
    bmd = _endpoint("femoral_neck_bmd_change_pct", -5.44)
    interval = scoring_interval(bmd, SIZES)
    assert (interval.low, interval.high) == (pytest.approx(-5.94), pytest.approx(-4.94))
    assert interval.basis == "floor"
    lab = _endpoint("estradiol_change_pct", -87.0)
    assert scoring_interval(lab, SIZES).high == pytest.approx(-86.5)  # a change: ±0.5 pp
    level = _endpoint("estradiol", 20.0, unit="pg/mL")
    assert scoring_interval(level, SIZES).high == pytest.approx(22.0)
    fracture = _endpoint("fracture_incidence_pct", 9.6)
    assert scoring_interval(fracture, SIZES).low == pytest.approx(9.1)


def test_contrast_sd_combines_both_arm_sizes() -> None:
    e = _endpoint("lumbar_spine_bmd_change_pct", -2.3, Uncertainty(sd=3.0), contrast=("a", "b"))
    interval = scoring_interval(e, SIZES)
    assert interval.high + 2.3 == pytest.approx(Z95 * 3.0 * math.sqrt(1 / 25 + 1 / 100))
    unknown = _endpoint("lumbar_spine_bmd_change_pct", -2.3, Uncertainty(sd=3.0),
                        contrast=("a", "unknown"))
    assert scoring_interval(unknown, SIZES).scored is False


def test_nan_prediction_fails() -> None:
    e = _endpoint("lumbar_spine_bmd_change_pct", -1.0)
    assert passes(math.nan, e, SIZES) is False


def test_small_n_reason_withholds_a_verdict_below_1000_people() -> None:
    from osteotwin.trials.pass_rule import small_n_reason

    assert small_n_reason(1000) is None
    assert small_n_reason(200) == "unscored: 200 virtual people, below the 1,000 the pass rule needs"
    assert small_n_reason(1) is not None and "1 virtual person," in str(small_n_reason(1))


def test_monte_carlo_standard_error_and_borderline_verdicts() -> None:
    import numpy as np

    from osteotwin.trials.pass_rule import (
        BORDERLINE_SE,
        ScoringInterval,
        is_borderline,
        standard_error,
    )

    values = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    assert standard_error(values) == pytest.approx(np.sqrt(5.0 / 3.0) / 2.0)
    assert math.isnan(standard_error(np.array([1.0])))
    interval = ScoringInterval(-7.74, -6.74, scored=True, basis="floor")
    # ATAC's hip at 60 mo: -6.81 passes, but 0.05 from the edge with an SE of 0.1 is a coin flip
    assert BORDERLINE_SE == 2.0
    assert is_borderline(interval, -6.81, 0.1) is True
    assert is_borderline(interval, -7.24, 0.1) is False
    assert is_borderline(interval, -6.6, 0.1) is True  # a fail just outside is borderline too
    assert is_borderline(interval, -5.0, 0.1) is False
    assert is_borderline(ScoringInterval(0, 1, scored=False, basis="sd without n"), 0.5, 0.1) is None
    assert is_borderline(interval, math.nan, 0.1) is None
