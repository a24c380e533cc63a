"""Age-related background loss by sex, and the calcium / vitamin D → PTH response, against sources."""

from __future__ import annotations

import pytest

from osteotwin.physiology.bone import age_loss_rate, age_loss_shape
from osteotwin.physiology.parameters import default_parameters
from osteotwin.simulate import Lifestyle, Regimen, Scenario, Subject, simulate

P = default_parameters()


def _loss_rate_pct_y(age_y: float, female: float) -> float:
    """Background loss rate (%/y) the age factor exp(−rate·shape/100) implies at ``age_y``
    (central difference of its log, as ``bone_rhs`` forms it)."""
    h = 0.01

    def ln_factor(age: float) -> float:
        return -age_loss_rate(female, P.values) / 100.0 * age_loss_shape(age, female)[0]

    return -100.0 * (ln_factor(age_y + h) - ln_factor(age_y - h)) / (2 * h)


def test_men_lose_like_mros_and_women_accelerate_like_sof() -> None:
    # MrOS (Cawthon 2009): femoral neck ~0.37 %/y at ~74 y, ~0.2 at 65 and ~0.6 at 85
    assert _loss_rate_pct_y(74.0, 0.0) == pytest.approx(0.37, abs=0.1)
    assert 0.1 < _loss_rate_pct_y(65.0, 0.0) < 0.35
    # SOF (Ensrud 1995): total hip ~0.3 %/y at 67-69 y rising to ~1.6 %/y at >= 85 y
    assert 0.2 < _loss_rate_pct_y(68.0, 1.0) < 0.45
    assert 1.0 < _loss_rate_pct_y(87.0, 1.0) < 2.0
    # loss accelerates more with age in women than in men
    women = _loss_rate_pct_y(85.0, 1.0) / _loss_rate_pct_y(68.0, 1.0)
    men = _loss_rate_pct_y(85.0, 0.0) / _loss_rate_pct_y(68.0, 0.0)
    assert women > men > 1.0
    # no background loss before 50
    assert _loss_rate_pct_y(40.0, 1.0) < 0.01
    assert _loss_rate_pct_y(40.0, 0.0) < 0.01


@pytest.mark.parametrize("female", [0.0, 1.0])
@pytest.mark.parametrize("age_y", [45.0, 50.0, 62.0, 81.0])
def test_the_age_shape_slope_is_its_derivative(age_y: float, female: float) -> None:
    """The PA spine's age factor moves at the shape's slope (it is integrated, not re-evaluated)."""
    h = 1e-4
    shape_up, _ = age_loss_shape(age_y + h, female)
    shape_down, _ = age_loss_shape(age_y - h, female)
    _, slope = age_loss_shape(age_y, female)
    assert slope == pytest.approx((shape_up - shape_down) / (2 * h), rel=1e-5, abs=1e-9)


def test_b_able_vitamin_d_raises_25ohd_in_deficient_women() -> None:
    # NG10-02: +32.6 ng/mL (28.1-37.0) at 3 months on 800 IU/d plus 16,000 IU every 2 weeks
    woman = Subject(sex="female", age_y=63.0, years_since_menopause=12.0, vitamin_d_25oh_ng_ml=15.0)
    regimens = (
        Regimen("vitamin_d3", dose_iu=800.0, every_d=1.0, start_d=0.0),
        Regimen("vitamin_d3", dose_iu=16000.0, every_d=14.0, start_d=0.0),
    )
    trajectory = simulate(Scenario(woman, regimens, 0.25), params=P)
    rise = trajectory.at("vitamin_d_25oh_ng_ml", 91.0) - trajectory.at("vitamin_d_25oh_ng_ml", 0.0)
    assert 22.0 < rise < 42.0


def test_calcium_and_vitamin_d_lower_pth_by_a_clinical_amount() -> None:
    # Ca 1-1.2 g + D3 800 IU in deficient older women lowers PTH by ~15-45 % (Chapuy 1992: -44 %)
    woman = Subject(
        sex="female",
        age_y=70.0,
        years_since_menopause=19.0,
        vitamin_d_25oh_ng_ml=12.0,
        lifestyle=Lifestyle(dietary_calcium_mg_d=600.0),
    )
    supplemented = Lifestyle(
        dietary_calcium_mg_d=600.0, supplemental_calcium_mg_d=1000.0, vitamin_d_iu_d=800.0
    )
    trajectory = simulate(Scenario(woman, (), 1.0, lifestyle_from_t0=supplemented), params=P)
    pth = trajectory.series["pth_pg_ml"]
    assert 0.55 < pth[-1] / pth[0] < 0.88
