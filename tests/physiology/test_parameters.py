"""The parameter table: provenance, bounds, sampling, fitted-set loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from osteotwin.errors import UserInputError
from osteotwin.physiology.parameters import (
    NAMES,
    PARAMETER_TABLE,
    band_parameter_sets,
    calibratable_parameters,
    default_parameters,
    load_fitted_parameters,
    sample_parameters,
)


def test_every_parameter_has_unit_source_description_and_sits_in_its_bounds() -> None:
    assert len(set(NAMES)) == len(NAMES)
    for p in PARAMETER_TABLE:
        assert p.unit and p.source and p.description, p.name
        assert p.lower <= p.value <= p.upper, p.name
        assert p.cv >= 0.0


def test_calibratable_parameters_have_finite_bounds_around_the_default() -> None:
    names = {p.name for p in calibratable_parameters()}
    assert {"est_floor", "rob_est_gamma", "bmd_ls_gamma_oc", "ai_ki_anastrozole_ng_ml"} <= names
    for p in calibratable_parameters():
        assert np.isfinite(p.upper) and p.lower < p.upper


def test_samples_are_clipped_to_bounds_and_centred_on_the_base_values() -> None:
    base = default_parameters()
    draws = sample_parameters(4000, np.random.default_rng(7), base)
    assert draws.shape == (4000, len(NAMES))
    lower = np.array([p.lower for p in PARAMETER_TABLE])
    upper = np.array([p.upper for p in PARAMETER_TABLE])
    assert np.all(draws >= lower - 1e-12) and np.all(draws <= upper + 1e-12)
    fixed = np.array([p.cv == 0 for p in PARAMETER_TABLE])
    assert np.all(draws[:, fixed] == base.values[fixed])
    # log-normal with mean correction: the sample median sits slightly below the base value
    i = NAMES.index("rob_est_gamma")
    assert np.median(draws[:, i]) == pytest.approx(base["rob_est_gamma"], rel=0.1)
    assert np.std(np.log(draws[:, i])) == pytest.approx(np.sqrt(np.log1p(0.25**2)), rel=0.1)


def test_fitted_set_overrides_defaults_and_reports_its_label(tmp_path: Path) -> None:
    path = tmp_path / "fitted.yaml"
    path.write_text("parameters: {est_floor: 0.08}\nprovenance: {label: test fit, seed: 1}\n")
    fitted = load_fitted_parameters(path)
    assert fitted["est_floor"] == 0.08
    assert fitted["rob_est_gamma"] == default_parameters()["rob_est_gamma"]
    assert fitted.provenance == "test fit"


def test_fitted_set_is_parsed_once_per_file_version_and_callers_get_copies(tmp_path: Path) -> None:
    path = tmp_path / "fitted.yaml"
    path.write_text("parameters: {est_floor: 0.08}\n")
    first = load_fitted_parameters(path)
    first.values[:] = -1.0  # a caller scribbling on its copy must not reach the next caller
    second = load_fitted_parameters(path)
    assert second["est_floor"] == 0.08
    assert second["rob_est_gamma"] == default_parameters()["rob_est_gamma"]
    replacement = tmp_path / "new.yaml"
    replacement.write_text("parameters: {est_floor: 0.07}\nprovenance: {label: refit}\n")
    replacement.replace(path)  # a rewritten file (new inode, mtime, size) is read again
    third = load_fitted_parameters(path)
    assert third["est_floor"] == 0.07
    assert third.provenance == "refit"


def test_fitted_value_outside_bounds_or_unknown_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fitted.yaml"
    path.write_text("parameters: {est_floor: 0.9}\n")
    with pytest.raises(UserInputError, match="est_floor"):
        load_fitted_parameters(path)
    path.write_text("parameters: {no_such_parameter: 1}\n")
    with pytest.raises(UserInputError, match="no_such_parameter"):
        load_fitted_parameters(path)


def test_missing_fitted_file_gives_defaults(tmp_path: Path) -> None:
    params = load_fitted_parameters(tmp_path / "absent.yaml")
    assert np.array_equal(params.values, default_parameters().values)


def test_band_parameter_sets_are_reproducible_stratified_draws_around_the_base() -> None:
    base = default_parameters()
    sets = band_parameter_sets(40, 7, base)
    again = band_parameter_sets(40, 7, base)
    assert [list(a.values) for a in sets] == [list(b.values) for b in again]
    assert band_parameter_sets(0, 7, base) == []
    values = np.array([s.values for s in sets])
    varied = np.array([p.cv > 0 and p.value != 0 for p in PARAMETER_TABLE])
    # stratified normals are symmetric, so every median sits at the log-normal's own median,
    # base·exp(−σ²/2) (the draws keep the base as their mean); independent draws scatter around it
    cvs = np.array([p.cv for p in PARAMETER_TABLE])[varied]
    expected = np.exp(-0.5 * np.log1p(cvs**2))
    medians = np.median(values[:, varied], axis=0) / base.values[varied]
    assert np.allclose(medians, expected, rtol=0.01)
    assert all(s.provenance.endswith("(draw)") for s in sets)
