"""Review of the diff (findings 7 and 13): ``KIDNEY_LIMITS`` is the one bisphosphonate kidney table
(product, drug, dose rule, limit, what the label says below it, reduced-dose bands, source), and the
module says truthfully who reads it."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pytest
import yaml

from osteotwin.simulate import Regimen, Scenario, Subject, caveats
from osteotwin.simulate.caveats import Egfr, kidney_caveats, kidney_limit

CITATIONS = Path(caveats.__file__).resolve().parents[1] / "data" / "clinic" / "citations.yaml"
WOMAN = Subject(sex="female", age_y=64.0, years_since_menopause=12.0, breast_cancer=True)


def _egfr(value: float) -> Egfr:
    return Egfr(value, dt.date(2025, 5, 1))


def test_every_limit_has_its_product_dose_rule_and_a_registered_source() -> None:
    registry = yaml.safe_load(CITATIONS.read_text(encoding="utf-8"))
    products = {limit.product: limit for limit in caveats.KIDNEY_LIMITS}
    assert set(products) == {"Reclast", "Zometa", "Fosamax", "Actonel", "Bonefos"}
    for limit in caveats.KIDNEY_LIMITS:
        assert limit.dose_rule and limit.source and limit.below in ("contraindicated", "not recommended")
        assert limit.citation in registry
    assert [(b.low, b.high, b.dose_mg) for b in products["Zometa"].reduced] == [
        (50.0, 60.0, 3.5), (40.0, 50.0, 3.3), (30.0, 40.0, 3.0)]
    assert [(b.low, b.high, b.dose_mg) for b in products["Bonefos"].reduced] == [
        (30.0, 50.0, 1200.0), (10.0, 30.0, 800.0)]


@pytest.mark.parametrize(("dose", "product"), [(4.0, "Zometa"), (5.0, "Reclast"), (None, "Reclast")])
def test_zoledronic_acid_is_read_by_dose(dose: float | None, product: str) -> None:
    limit = kidney_limit(Regimen("zoledronic_acid", dose, route="intravenous", every_d=182.625))
    assert limit is not None and limit.product == product


@pytest.mark.parametrize(("egfr", "dose"), [(55.0, "3.5 mg"), (45.0, "3.3 mg"), (49.5, "3.3 mg"),
                                            (32.0, "3.0 mg")])
def test_zoledronic_acid_4mg_in_the_zometa_reduced_band_carries_the_reduced_dose(
        egfr: float, dose: str) -> None:
    scenario = Scenario(WOMAN, (Regimen("zoledronic_acid", 4.0, route="intravenous",
                                        every_d=182.625),), 2.0)
    found = {c.code: c for c in kidney_caveats(scenario, _egfr(egfr))}
    assert set(found) == {"BISPHOSPHONATE_KIDNEY_DOSE_ZOMETA"}
    assert f"reduces zoledronic acid 4 mg to {dose}" in found["BISPHOSPHONATE_KIDNEY_DOSE_ZOMETA"].message
    assert not found["BISPHOSPHONATE_KIDNEY_DOSE_ZOMETA"].departure


@pytest.mark.parametrize("egfr", [61.0, 29.0])
def test_no_reduced_dose_outside_the_band(egfr: float) -> None:
    scenario = Scenario(WOMAN, (Regimen("zoledronic_acid", 4.0, route="intravenous",
                                        every_d=182.625),), 2.0)
    codes = {c.code for c in kidney_caveats(scenario, _egfr(egfr))}
    assert "BISPHOSPHONATE_KIDNEY_DOSE_ZOMETA" not in codes
    assert ("BISPHOSPHONATE_KIDNEY_LIMIT_ZOMETA" in codes) == (egfr < 30)


def test_the_module_does_not_claim_the_assessment_quotes_the_table() -> None:
    """Finding 13: the comment said the assessment's KIDNEY_FUNCTION_LIMITS_ANTIRESORPTIVE "quotes
    the same"; its text and its single eGFR-under-35 condition do not."""
    source = inspect.getsource(caveats)
    assert "quotes the same" not in source
    assert "do not read this table" in source
