"""Nutrient targets against the reference values recorded in shared/data/literature (IOM 2011)."""

from __future__ import annotations

import csv

import pytest

from osteotwin.plan.nutrition.targets import nutrient_targets, resting_energy_kcal
from tests.plan.conftest import SHARED


def _iom_rows() -> dict[str, dict[str, str]]:
    path = SHARED / "data" / "literature" / "clinical_facts.csv"
    if not path.is_file():
        pytest.skip("shared literature facts not available")
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle) if row["id"].startswith("IOM-")}


def test_calcium_and_vitamin_d_match_the_iom_facts() -> None:
    rows = _iom_rows()
    woman_60 = nutrient_targets("female", 60, 65, 165)
    assert woman_60.get("calcium_mg").minimum == float(rows["IOM-03"]["value"])  # women 51-70: 1200
    assert woman_60.get("vitamin_d_iu").minimum == float(rows["IOM-01"]["value"])  # 51-70: 600 IU
    assert "UL 4000 IU" in rows["IOM-01"]["notes"]
    assert woman_60.get("vitamin_d_iu").maximum == 4000
    assert "men 51-70: 1000 mg" in rows["IOM-03"]["notes"]
    assert nutrient_targets("male", 60, 80, 178).get("calcium_mg").minimum == 1000
    assert ">70 y RDA 800 IU" in rows["IOM-01"]["notes"]
    assert nutrient_targets("male", 72, 80, 178).get("vitamin_d_iu").minimum == 800
    assert nutrient_targets("male", 72, 80, 178).get("calcium_mg").minimum == 1200


@pytest.mark.parametrize(("sex", "age", "calcium_ul"), [("female", 45, 2500), ("male", 51, 2000)])
def test_calcium_upper_level_by_age(sex: str, age: float, calcium_ul: float) -> None:
    target = nutrient_targets(sex, age, 70, 170).get("calcium_mg")
    assert target.maximum == calcium_ul and target.maximum_includes_supplements


def test_protein_scales_with_weight_and_falls_back_to_the_rda() -> None:
    assert nutrient_targets("female", 65, 58.0, 160).get("protein_g").minimum == pytest.approx(58.0)
    no_weight = nutrient_targets("female", 65, None, None)
    assert no_weight.get("protein_g").minimum == 46 and "IOM2005" in no_weight.get("protein_g").sources
    assert "reference value" in no_weight.energy_basis


def test_energy_uses_mifflin_st_jeor() -> None:
    # Mifflin 1990 worked form: 10 W + 6.25 H - 5 A + 5 (men) / - 161 (women)
    assert resting_energy_kcal("male", 50, 80, 180) == pytest.approx(800 + 1125 - 250 + 5)
    assert resting_energy_kcal("female", 50, 60, 160) == pytest.approx(600 + 1000 - 250 - 161)
    t = nutrient_targets("female", 50, 60, 160)
    assert t.energy_kcal == pytest.approx(1189 * 1.5)


def test_every_target_names_a_known_source() -> None:
    from osteotwin.plan.sources import SOURCES

    t = nutrient_targets("male", 70, 80, 175)
    for target in t.targets:
        assert target.sources and all(k in SOURCES for k in target.sources)
    assert t.headline()["sodium_mg"] == 2300


@pytest.mark.parametrize(("age", "calcium_man", "vitamin_d"), [
    (50.9, 1000, 600), (70.5, 1000, 600), (71.0, 1200, 800), (85.0, 1200, 800)])
def test_iom_age_bands_run_to_the_birthday(age: float, calcium_man: float, vitamin_d: float) -> None:
    # IOM "51-70 y" lasts until the 71st birthday
    t = nutrient_targets("male", age, 80, 175)
    assert t.get("calcium_mg").minimum == calcium_man
    assert t.get("vitamin_d_iu").minimum == vitamin_d


def test_an_aromatase_inhibitor_raises_vitamin_d_to_the_asco_minimum() -> None:
    on_ai = nutrient_targets("female", 60, 65, 165, on_aromatase_inhibitor=True).get("vitamin_d_iu")
    assert on_ai.minimum == 800 and "ASCO2019" in on_ai.sources and on_ai.maximum == 4000
    older = nutrient_targets("female", 75, 65, 165, on_aromatase_inhibitor=True).get("vitamin_d_iu")
    assert older.minimum == 800 and older.sources == ("IOM2011",)  # the RDA is already 800 at 71+
