"""Stage-1 fit on the real model: one short trial, one parameter; bounded, reproducible, improving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from osteotwin.calibrate.fit import (
    FitResult,
    FitSettings,
    PopulationPredictions,
    SearchSpace,
    calibratable_bounds,
    fit_model,
    fitted_document,
    packaged_values,
)
from osteotwin.calibrate.model_access import central_parameters, default_simulator
from osteotwin.trials import load_trial_file

TRAIN = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "trials" / "train"
PARAMETER = "ai_ki_anastrozole_ng_ml"


@pytest.fixture(scope="module")
def label_fit() -> tuple[FitResult, FitSettings]:
    trial = load_trial_file(TRAIN / "anastrozole_label_postmenopausal.yaml")
    settings = FitSettings(
        n_surrogate=3,
        n_anchor=12,
        n_coarse=6,
        coarse_fraction=0.5,
        seed=1,
        max_anchors=5,
        budget_s=600.0,
        names=(PARAMETER,),
        warm_start=False,
    )
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
    assert result.evaluations >= 2  # the start and at least one step on the full population
    assert result.history[0].cost == result.cost_start
    # a coarse phase (6 per arm) came first, then the search went on with the scored population
    sizes = [a.n for a in result.history]
    assert sizes[0] == 12 and 6 in sizes and sizes[-1] == 12
    assert sizes.index(12, 1) > sizes.index(6)
    # the kept point is the best anchor: no anchor passes more endpoints at a lower cost
    full = [a for a in result.history if a.n == 12]
    assert result.cost_end == min(a.cost for a in full if a.passed == max(b.passed for b in full))


def test_fit_is_reproducible(label_fit: tuple[FitResult, FitSettings]) -> None:
    result, settings = label_fit
    trial = load_trial_file(TRAIN / "anastrozole_label_postmenopausal.yaml")
    simulator = default_simulator(workers=1, backend="single")
    try:
        again = fit_model([trial], simulator, settings)
    finally:
        simulator.close()
    assert again.fitted == result.fitted
    assert [a.cost for a in again.history] == [a.cost for a in result.history]


def test_provenance_names_what_was_fitted_to_what(label_fit: tuple[FitResult, FitSettings]) -> None:
    result, settings = label_fit
    document = fitted_document(result, settings, [TRAIN / "anastrozole_label_postmenopausal.yaml"])
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
    assert "hinge" in provenance["objective"]
    assert provenance["verification"]["n_per_arm"] == settings.n_anchor
    assert provenance["verification"]["total"] == result.passed_end[1]
    assert provenance["fitted"][PARAMETER]["bounds"][0] <= document["parameters"][PARAMETER]


def test_packaged_values_skip_unknown_names_and_clip_to_bounds(tmp_path: Path) -> None:
    spec = calibratable_bounds()
    name = next(iter(spec))
    high = spec[name][2]
    path = tmp_path / "fitted.yaml"
    path.write_text(
        f"parameters:\n  {name}: {high * 10 + 1}\n  renamed_long_ago: 3.0\n", encoding="utf-8"
    )
    assert packaged_values(path) == {name: high}
    assert packaged_values(tmp_path / "absent.yaml") == {}


def test_overrides_keep_the_written_precision_inside_the_bounds() -> None:
    space = SearchSpace({"p": (0.5, 0.1234567891, 0.7654321987), "q": (0.3, 0.0, 1.0)})
    model = PopulationPredictions([], lambda *_: {}, space, seed=0, held={"r": 2.0})
    lower, upper = space.bounds()
    at_upper = model.overrides(np.array([upper[0], 0.123456789]))
    assert at_upper["p"] <= 0.7654321987 and at_upper["q"] == 0.123457 and at_upper["r"] == 2.0
    assert model.overrides(lower)["p"] >= 0.1234567891


def test_count_steps_never_keep_fewer_passes_than_the_start() -> None:
    """``step_rule="count"``: a step is kept only when the scored population passes at least as
    many endpoints (more, or as many with more inside the shrunk intervals or at a lower cost)."""
    trial = load_trial_file(TRAIN / "anastrozole_label_postmenopausal.yaml")
    settings = FitSettings(n_surrogate=3, n_anchor=12, n_coarse=0, seed=1, max_anchors=4,
                           budget_s=600.0, names=(PARAMETER,), warm_start=False, step_rule="count")
    simulator = default_simulator(workers=1, backend="single")
    try:
        result = fit_model([trial], simulator, settings)
    finally:
        simulator.close()
    assert result.passed_kept >= result.passed_start[0]
    current = result.history[0].passed
    for anchor in result.history[1:]:
        if anchor.accepted:  # no kept step passes fewer than the point it started from
            assert anchor.passed >= current
            current = anchor.passed
    low, high = calibratable_bounds([PARAMETER])[PARAMETER][1:]
    assert low <= result.fitted[PARAMETER] <= high
