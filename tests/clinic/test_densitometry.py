"""ISCD score choice, WHO categories, T-score from g/cm² (Looker 1998) and least significant change."""

from __future__ import annotations

import datetime as dt

import pytest

from osteotwin.clinic.densitometry import (
    bmd_change,
    least_significant_change_pct,
    score_kind,
    t_score_from_bmd,
    who_category,
    z_category,
)
from osteotwin.records import DxaScan


@pytest.mark.parametrize(("sex", "age", "status", "kind"), [
    ("male", 50.0, None, "T"),
    ("male", 49.9, None, "Z"),
    ("female", 45.0, "postmenopausal", "T"),
    ("female", 48.0, "perimenopausal", "T"),
    ("female", 55.0, "premenopausal", "Z"),
    ("female", 62.0, None, "T"),
    ("female", 35.0, None, "Z"),
])
def test_iscd_score_choice(sex: str, age: float, status: str | None, kind: str) -> None:
    assert score_kind(sex, age, status).kind == kind


@pytest.mark.parametrize(("t", "category"), [
    (0.3, "normal"), (-1.0, "normal"), (-1.1, "low_bone_mass"), (-2.4, "low_bone_mass"),
    (-2.5, "osteoporosis"), (-3.6, "osteoporosis"),
])
def test_who_categories(t: float, category: str) -> None:
    assert who_category(t) == category


def test_z_score_cut_off() -> None:
    assert z_category(-2.0) == "low_bone_mass"
    assert z_category(-1.9) == "normal"


def test_t_score_from_femoral_neck_bmd_uses_nhanes_iii() -> None:
    # NHANES III White women 20-29: 0.858 g/cm², SD 0.120 (Looker 1998)
    assert t_score_from_bmd(0.858, "femoral_neck", "Hologic Horizon A") == 0.0
    assert t_score_from_bmd(0.618, "femoral_neck", "hologic") == -2.0


@pytest.mark.parametrize(("site", "device"), [
    ("femoral_neck", "GE Lunar iDXA"), ("lumbar_spine", "hologic"), ("total_hip", "hologic"),
    ("femoral_neck", None),
])
def test_no_t_score_without_published_reference(site: str, device: str | None) -> None:
    assert t_score_from_bmd(0.8, site, device) is None


def _scan(day: int, bmd: float, site: str = "lumbar_spine", device: str = "hologic") -> DxaScan:
    return DxaScan(date=dt.date(2020, 1, 1) + dt.timedelta(days=day), site=site,  # type: ignore[arg-type]
                   bmd_g_cm2=bmd, device=device)


def test_least_significant_change_from_iscd_precision() -> None:
    # LSC = 2.77 x precision (1.9 %, 1.8 %, 2.5 %)
    for site, precision in (("lumbar_spine", 1.9), ("total_hip", 1.8), ("femoral_neck", 2.5)):
        assert least_significant_change_pct(site) == pytest.approx(2.77 * precision, abs=0.06)


def test_change_beyond_lsc_is_significant() -> None:
    change = bmd_change(_scan(0, 1.000), _scan(400, 0.940))
    assert change is not None and change.change_pct == -6.0 and change.significant_loss
    small = bmd_change(_scan(0, 1.000), _scan(400, 0.960))
    assert small is not None and not small.significant_loss and not small.significant_gain


def test_change_not_computed_across_manufacturers_or_sites() -> None:
    assert bmd_change(_scan(0, 1.0, device="lunar"), _scan(400, 0.9)) is None
    assert bmd_change(_scan(0, 1.0, site="total_hip"), _scan(400, 0.9)) is None
    assert bmd_change(_scan(400, 1.0), _scan(0, 0.9)) is None


def test_older_adult_with_only_a_z_score_is_not_classified() -> None:
    from tests.clinic.builders import make, run, scan

    result = run(make(sex="male", age=65, dxa=[scan("lumbar_spine", z=-2.5)]))
    site = result.densitometry.sites["lumbar_spine"]
    assert site.category is None and site.note is not None and "T-score" in site.note
    assert not {"BMD_LOW", "BMD_NORMAL", "BMD_OSTEOPOROSIS"} & set(result.finding_codes())
