"""The assessment's kidney rules (``data/clinic/rules.yaml``) quote the bisphosphonate labels' limits
by hand; they must quote the numbers of the one kidney table, ``simulate.caveats.KIDNEY_LIMITS``,
which the report's what-if and the simulator's label-limit notes read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from osteotwin.simulate import caveats
from osteotwin.simulate.caveats import ACTONEL, BONEFOS, FOSAMAX, RECLAST, ZOMETA

RULES = Path(caveats.__file__).resolve().parents[1] / "data" / "clinic" / "rules.yaml"


@pytest.fixture(scope="module")
def rules() -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in yaml.safe_load(RULES.read_text(encoding="utf-8"))["rules"]}


def _egfr_bounds(rule: dict[str, Any]) -> dict[str, float]:
    """The rule's conditions on the eGFR fact, e.g. {"lt": 35.0}."""
    bounds: dict[str, float] = {}
    for cond in rule["when"]["all"]:
        if isinstance(cond, dict) and cond.get("fact") == "egfr":
            bounds.update({k: float(v) for k, v in cond.items() if k != "fact"})
    return bounds


def _says(rule: dict[str, Any], *phrases: str) -> None:
    text = " ".join(rule["message"].split())
    for phrase in phrases:
        assert phrase in text, f"{rule['id']}: {phrase!r} not in {text!r}"


def test_the_finding_and_its_threshold(rules: dict[str, dict[str, Any]]) -> None:
    rule = rules["kidney-function-limits-antiresorptive"]
    assert _egfr_bounds(rule) == {"lt": max(RECLAST.crcl_ml_min, FOSAMAX.crcl_ml_min)}
    zometa_top = max(band.high for band in ZOMETA.reduced)
    _says(rule, f"zoledronic acid 5 mg (osteoporosis) is {RECLAST.below} at a creatinine clearance "
                f"under {RECLAST.crcl_ml_min:g} mL/min",
          f"reduced below {zometa_top:g} and {ZOMETA.below} under {ZOMETA.crcl_ml_min:g}",
          f"alendronate is {FOSAMAX.below} under {FOSAMAX.crcl_ml_min:g}",
          f"risedronate under {ACTONEL.crcl_ml_min:g}")


def test_the_discussion_variants(rules: dict[str, dict[str, Any]]) -> None:
    between = rules["act-discuss-antiresorptive-kidney-30-35"]
    assert _egfr_bounds(between) == {"ge": ACTONEL.crcl_ml_min}
    _says(between, f"creatinine clearance under {RECLAST.crcl_ml_min:g} mL/min",
          f"risedronate down to a clearance of {ACTONEL.crcl_ml_min:g} mL/min")
    below = rules["act-discuss-antiresorptive-kidney-under-30"]
    assert _egfr_bounds(below) == {"lt": ACTONEL.crcl_ml_min}
    _says(below, f"below a creatinine clearance of {FOSAMAX.crcl_ml_min:g} mL/min and risedronate "
                 f"below {ACTONEL.crcl_ml_min:g}")
    review = rules["act-review-antiresorptive-kidney"]
    _says(review, f"alendronate (under {FOSAMAX.crcl_ml_min:g})",
          f"risedronate (under {ACTONEL.crcl_ml_min:g})",
          f"zoledronic acid 5 mg (under {RECLAST.crcl_ml_min:g})")


def test_the_adjuvant_bisphosphonate_bands(rules: dict[str, dict[str, Any]]) -> None:
    zometa_top = max(band.high for band in ZOMETA.reduced)
    clodronate_full = max(band.high for band in BONEFOS.reduced)
    upper = rules["act-consider-adjuvant-bisphosphonate-kidney-50-60"]
    assert _egfr_bounds(upper) == {"le": zometa_top, "ge": clodronate_full}
    _says(upper, f"{ZOMETA.crcl_ml_min:g}-{zometa_top:g} mL/min (Zometa label)",
          f"no reduction at {clodronate_full:g} mL/min or more")
    middle = rules["act-consider-adjuvant-bisphosphonate-kidney-30-50"]
    band = BONEFOS.reduced_dose(clodronate_full - 1.0)
    assert band is not None
    assert _egfr_bounds(middle) == {"lt": band.high, "ge": ZOMETA.crcl_ml_min}
    _says(middle, f"reduced to {band.dose} at {band.low:g} to below {band.high:g} mL/min")
    lowest = rules["act-consider-adjuvant-bisphosphonate-kidney-below-30"]
    low_band = BONEFOS.reduced_dose(BONEFOS.crcl_ml_min)
    assert low_band is not None
    assert _egfr_bounds(lowest) == {"lt": ZOMETA.crcl_ml_min}
    _says(lowest, f"{ZOMETA.below} below a creatinine clearance of {ZOMETA.crcl_ml_min:g} mL/min",
          f"reduced to {low_band.dose} at {low_band.low:g} to below {low_band.high:g} mL/min and "
          f"{BONEFOS.below} below {BONEFOS.crcl_ml_min:g}")
