"""The packaged CC0 reference model BIOMD0000000613 loads and runs in libroadrunner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from osteotwin.sbml.reference import (
    load_roadrunner,
    reference_model_path,
    simulate_reference,
    untreated,
)


def test_packaged_copy_is_byte_exact(shared_dir: Path) -> None:
    packaged = reference_model_path().read_bytes()
    assert packaged == (shared_dir / "data" / "models" / "BIOMD0000000613.xml").read_bytes()
    assert packaged.count(b"\r\n") > 1000  # CRLF line endings kept


def test_untreated_reference_stays_at_its_published_baseline() -> None:
    run = simulate_reference(untreated(load_roadrunner(reference_model_path())), years=5)
    assert run.times_d[-1] == pytest.approx(5 * 365.25)
    # Peterson & Riggs 2010 baseline: plasma calcium 2.35 mM, PTH 3.85 pM; no drift without treatment
    assert run.series["C1"][0] == pytest.approx(2.35)
    assert run.series["C4"][0] == pytest.approx(3.85)
    for name, values in run.series.items():
        assert np.ptp(values) / abs(values[0]) < 0.01, name


def test_reference_teriparatide_doses_raise_pth() -> None:
    rr = load_roadrunner(reference_model_path())
    rr.resetAll()
    rr.timeCourseSelections = ["time", "C4"]
    result = np.asarray(rr.simulate(0.0, 14.0, 15))  # hours; first 20 µg dose at 12 h
    assert result[13, 1] > 3.0 * result[0, 1]
