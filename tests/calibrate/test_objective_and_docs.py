"""Calibration objective, fitted-file round trip and the validation docs section."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from osteotwin.calibrate.fitted import load_fracture_parameters, write_fitted_document
from osteotwin.calibrate.objective import (
    pass_count,
    soft_l1_cost,
)
from osteotwin.calibrate.report import SECTION_END, SECTION_START, replace_section
from osteotwin.physiology.fracture import FRACTURE_BOUNDS, FractureParameters
from osteotwin.trials.endpoints import EndpointResult


def _result(
    predicted: float,
    *,
    observed: float = -2.0,
    interval: tuple[float, float] = (-3.0, -1.5),
    scored: bool = True,
) -> EndpointResult:
    passed = (interval[0] <= predicted <= interval[1]) if scored else None
    return EndpointResult(
        trial="t",
        arm="a",
        contrast=None,
        quantity="lumbar_spine_bmd_change_pct",
        at="12 mo",
        from_d=0.0,
        observed=observed,
        unit=None,
        interval=interval,
        basis="ci95",
        scored=scored,
        predicted=predicted,
        prediction_interval=(predicted - 1, predicted + 1),
        passed=passed,
        n_virtual=10,
    )


def test_soft_l1_cost_and_pass_count() -> None:
    results = [_result(-2.0), _result(-1.0), _result(0.0, scored=False)]
    assert soft_l1_cost(np.array([0.0, 2.0])) == pytest.approx(2 * (math.sqrt(5) - 1))
    assert soft_l1_cost(np.array([100.0])) < 100.0**2  # robust to hopeless endpoints
    assert pass_count(results) == (1, 2)


def test_fitted_fracture_parameters_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "fitted.yaml"
    assert load_fracture_parameters(path) == FractureParameters()  # no file: defaults
    write_fitted_document(
        {"parameters": {}, "fracture_parameters": {"women_rate_at_65_per_y": 0.03, "unknown": 1.0}},
        path,
    )
    loaded = load_fracture_parameters(path)
    assert loaded.women_rate_at_65_per_y == 0.03
    assert loaded.rr_per_sd_bmd_decrease == FractureParameters().rr_per_sd_bmd_decrease


def test_fracture_defaults_lie_inside_their_bounds() -> None:
    defaults = FractureParameters()
    for name, (low, high) in FRACTURE_BOUNDS.items():
        assert low <= getattr(defaults, name) <= high


def test_validation_section_is_replaced_or_appended() -> None:
    text = f"# Model\n\nstates...\n\n{SECTION_START}\nold\n{SECTION_END}\n\n## After\n"
    updated = replace_section(text, "new table")
    assert "old" not in updated and "new table" in updated and updated.endswith("## After\n")
    assert replace_section(updated, "newer").count(SECTION_START) == 1
    bare = replace_section("# Model\n", "table")
    assert bare.endswith(f"{SECTION_START}\ntable\n{SECTION_END}\n")
    open_marker = replace_section(f"# Model\n{SECTION_START}\n## Next\n", "t")
    assert f"{SECTION_START}\nt\n{SECTION_END}" in open_marker and "## Next" in open_marker
