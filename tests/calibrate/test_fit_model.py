"""Stage-1 fit on the real model: one short trial, one parameter; bounded, reproducible, improving."""

from __future__ import annotations

from pathlib import Path

import pytest

from osteotwin.calibrate.fit import (
    FitResult,
    FitSettings,
    calibratable_bounds,
    fit_model,
    fitted_document,
)
from osteotwin.calibrate.model_access import central_parameters, default_simulator
from osteotwin.trials import load_trial_file

TRAIN = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "trials" / "train"
PARAMETER = "ai_ki_anastrozole_ng_ml"


@pytest.fixture(scope="module")
def label_fit() -> tuple[FitResult, FitSettings]:
    trial = load_trial_file(TRAIN / "anastrozole_label_postmenopausal.yaml")
    settings = FitSettings(n_surrogate=2, seed=1, max_evaluations=6, names=(PARAMETER,))
    simulator = default_simulator(workers=1, backend="single")
    try:
        return fit_model([trial], simulator, settings), settings
    finally:
        simulator.close()


def test_fit_improves_the_objective_within_bounds(label_fit: tuple[FitResult, FitSettings]) -> None:
    result, _ = label_fit
    low, high = calibratable_bounds([PARAMETER])[PARAMETER][1:]
    assert low <= result.fitted[PARAMETER] <= high
    assert result.cost_end <= result.cost_start
    assert result.evaluations >= 1


def test_provenance_names_what_was_fitted_to_what(label_fit: tuple[FitResult, FitSettings]) -> None:
    result, settings = label_fit
    document = fitted_document(result, settings,
                               [TRAIN / "anastrozole_label_postmenopausal.yaml"])
    provenance = document["provenance"]
    # a subset fit writes a complete set: the other calibratable parameters keep their fitted values
    assert set(document["parameters"]) == set(calibratable_bounds())
    current = central_parameters()
    for name in set(calibratable_bounds()) - {PARAMETER}:
        assert document["parameters"][name] == pytest.approx(float(current[name]), rel=1e-6)
    assert set(provenance["fitted"]) == {PARAMETER}
    assert provenance["seed"] == 1
    assert list(provenance["data"]["files"]) == ["anastrozole_label_postmenopausal.yaml"]
    assert len(provenance["data"]["files"]["anastrozole_label_postmenopausal.yaml"]) == 64
    assert "least squares" in provenance["objective"]
    assert provenance["fitted"][PARAMETER]["bounds"][0] <= document["parameters"][PARAMETER]
