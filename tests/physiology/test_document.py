"""docs/model.md is generated from the code and must be up to date."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from osteotwin.physiology.document import VALIDATION_END, VALIDATION_START, render
from osteotwin.physiology.parameters import (
    FITTED_PARAMETERS_PATH,
    PARAMETER_TABLE,
    PARAMETERS_ENV,
    current_parameters,
    load_fitted_parameters,
)
from osteotwin.physiology.states import STATE_NAMES
from osteotwin.yamlio import safe_load

DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def test_model_doc_is_regenerated_from_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, "run: python -m osteotwin.physiology.document"


def test_model_doc_lists_every_parameter_and_state() -> None:
    text = render(None)
    for p in PARAMETER_TABLE:
        assert f"`{p.name}`" in text
    for name in STATE_NAMES:
        assert f"`{name}`" in text


def test_validation_section_is_kept() -> None:
    existing = render(None).replace(
        VALIDATION_START, VALIDATION_START + "\n| trial | pass |\n| x | yes |", 1)
    kept = render(existing)
    assert "| x | yes |" in kept
    assert kept.index(VALIDATION_START) < kept.index("| x | yes |") < kept.index(VALIDATION_END)


def _table(text: str) -> dict[str, list[str]]:
    """The parameter table's rows by name: the cells after the name."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            name = cells[0].strip("`")
            if name in {p.name for p in PARAMETER_TABLE}:
                rows[name] = cells[1:]
    return rows


def test_parameter_table_shows_the_values_the_model_runs_with(monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """value = the packaged fitted set (what commands use without OSTEOTWIN_PARAMETERS); the
    literature / start value only where it differs; fitted or fixed; on-bound fitted flagged."""
    monkeypatch.delenv(PARAMETERS_ENV, raising=False)
    in_use = current_parameters()
    assert np.array_equal(in_use.values, load_fitted_parameters().values)
    fitted = set(safe_load(FITTED_PARAMETERS_PATH.read_text(encoding="utf-8"))["parameters"])
    rows = _table(DOC.read_text(encoding="utf-8"))
    assert set(rows) == {p.name for p in PARAMETER_TABLE}
    on_bound = set()
    for p in PARAMETER_TABLE:
        value, start, unit, _, _, _, fitted_cell, _ = rows[p.name]
        assert float(value) == pytest.approx(in_use[p.name], rel=1e-5, abs=1e-12), p.name
        assert unit == p.unit
        if in_use[p.name] == p.value:
            assert start == "", p.name
        else:
            assert float(start) == pytest.approx(p.value, rel=1e-5), p.name
        assert fitted_cell.startswith("fitted") == (p.name in fitted), p.name
        assert fitted_cell.startswith("fixed") == (p.name not in fitted), p.name
        if "bound" in fitted_cell:
            on_bound.add(p.name)
            side = "lower" if "lower" in fitted_cell else "upper"
            assert in_use[p.name] == pytest.approx(getattr(p, side), abs=1e-12), p.name
    assert on_bound == {"testicular_estradiol_fraction", "menopause_midpoint_y",
                        "remodel_space_formation_period_d", "mech_sclerostin_gain",
                        "pth_calcitriol_gamma"}
    assert rows["bp_emax"][:2] == ["0.191989", "0.45"]
    assert rows["pth_calcitriol_gamma"][:2] == ["0", "0.5"]


def test_pth_departure_is_stated_with_the_number_the_model_gives() -> None:
    """The fitted pth_calcitriol_gamma contradicts its source's rationale (~15 % lower PTH with
    calcium 1 g + vitamin D3): the page says so with the simulated figures."""
    from osteotwin.physiology.document import pth_response

    in_use = load_fitted_parameters()
    response = pth_response(in_use)
    assert -2.0 < response.d3_alone_pct < 0.0  # vitamin D alone barely moves PTH
    text = DOC.read_text(encoding="utf-8")
    assert "*Vitamin D and PTH.* `pth_calcitriol_gamma`" in text
    assert f"lowers it by only {-response.d3_alone_pct:.1f} %" in text
    assert f"has a PTH {-response.calcium_and_d3_pct:.1f} % lower at 1 year" in text


def test_outside_check_counts_of_the_past_are_marked_and_todays_match_validation_md() -> None:
    text = DOC.read_text(encoding="utf-8")
    unmarked = re.findall(r"\b\d+\s+of\s+(?:65|43)\b", text)  # "N of the then 65" instead
    assert unmarked == [], unmarked
    assert "the shipped set, after the refill-time bound: 26" not in text
    validation = (DOC.parent / "validation.md").read_text(encoding="utf-8")
    counts = re.findall(r"\*\*(\d+) of (\d+) scored endpoints pass", validation)
    (train, train_total), (outside, outside_total) = counts[0], counts[-1]
    assert (f"The set shipped today passes {train} of the {train_total} training endpoints and "
            f"{outside} of the {outside_total} outside checks") in " ".join(text.split())
    assert f"where the shipped set passes {outside} of the {outside_total} scored outside checks" \
        in " ".join(text.split())
