"""Name-keyed standard normals for virtual people (``physiology/draws.py``)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from osteotwin.physiology.draws import named_standard_normals, stratify_by_rank
from osteotwin.physiology.parameters import (
    NAMES,
    PARAMETER_TABLE,
    current_parameters,
    parameters_for_people,
    sample_parameters,
)


def test_a_draw_depends_on_the_name_not_on_the_other_names() -> None:
    people = np.arange(500, dtype=np.int64)
    both = named_standard_normals(["est_hill", "bp_emax"], people, key=11)
    alone = named_standard_normals(["bp_emax"], people, key=11)
    widened = named_standard_normals(["new_parameter", "bp_emax", "est_hill"], people, key=11)
    assert np.array_equal(both[:, 1], alone[:, 0])
    assert np.array_equal(both[:, 0], widened[:, 2])
    assert not np.allclose(both[:, 0], both[:, 1])  # names give different draws


def test_a_draw_depends_on_the_person_and_the_key() -> None:
    draws = named_standard_normals(["x"], np.arange(2_000, dtype=np.int64), key=3)
    later = named_standard_normals(["x"], np.arange(1_000, 2_000, dtype=np.int64), key=3)
    assert np.array_equal(draws[1_000:], later)  # person i is person i, whatever the batch
    assert np.corrcoef(draws[:, 0], named_standard_normals(["x"], np.arange(2_000), 4)[:, 0])[0, 1] < 0.1


def test_draws_are_independent_standard_normals() -> None:
    draws = named_standard_normals(["a", "b", "c"], np.arange(40_000, dtype=np.int64), key=0)
    for j in range(3):
        assert stats.kstest(draws[:, j], "norm").pvalue > 1e-3
    correlation = np.corrcoef(draws.T)
    assert np.max(np.abs(correlation - np.eye(3))) < 0.03
    assert np.all(np.isfinite(draws))


def test_each_parameter_column_is_its_own_name_keyed_draw() -> None:
    """A parameter's column is a log-normal of its own name's draw, so adding a parameter to the
    table (or moving one) leaves the other columns of every person unchanged."""
    key, people = 5, np.arange(300, dtype=np.int64)
    base = current_parameters()
    full = parameters_for_people(people, key, base)
    for j in [j for j, p in enumerate(PARAMETER_TABLE) if p.cv > 0][::7]:
        spec = PARAMETER_TABLE[j]
        sigma = np.sqrt(np.log1p(spec.cv**2))
        z = named_standard_normals([NAMES[j]], people, key)[:, 0]
        expected = np.clip(base.values[j] * np.exp(sigma * z - 0.5 * sigma**2),
                           min(spec.lower, base.values[j]), max(spec.upper, base.values[j]))
        assert np.allclose(full[:, j], expected, rtol=1e-12), spec.name


def test_sample_parameters_is_seeded_by_its_generator() -> None:
    a = sample_parameters(50, np.random.default_rng(1))
    b = sample_parameters(50, np.random.default_rng(1))
    c = sample_parameters(50, np.random.default_rng(2))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_stratified_draws_cover_every_stratum_once_and_keep_the_pairing() -> None:
    """A Latin hypercube in rank form: each column holds the n stratum midpoints exactly once, and
    a person keeps the rank he had in every column (the keyed draws decide who is paired with whom)."""
    n = 400
    draws = named_standard_normals(["a", "b", "c"], np.arange(n, dtype=np.int64), key=2)
    stratified = stratify_by_rank(draws)
    midpoints = stats.norm.ppf((np.arange(n) + 0.5) / n)
    for j in range(3):
        assert np.allclose(np.sort(stratified[:, j]), midpoints, rtol=0, atol=1e-12)
        assert np.array_equal(np.argsort(stratified[:, j]), np.argsort(draws[:, j]))
    assert abs(stratified.mean()) < 1e-12
    assert np.max(np.abs(np.corrcoef(stratified.T) - np.eye(3))) < 0.15


def test_stratified_parameter_rows_have_the_same_distribution_with_less_sampling_error() -> None:
    """Means over 300 people of a stratified sample wander far less between keys than independent
    draws do, around the same centre."""
    people = np.arange(300, dtype=np.int64)
    base = current_parameters()
    j = NAMES.index("bp_emax")  # CV 30 %, bounds far from its value: draws are rarely clipped
    iid = np.array([parameters_for_people(people, k, base)[:, j].mean() for k in range(30)])
    lhs = np.array([parameters_for_people(people, k, base, stratified=True)[:, j].mean()
                    for k in range(30)])
    assert lhs.std() < 0.2 * iid.std()
    assert abs(lhs.mean() - iid.mean()) < 3 * iid.std() / np.sqrt(30)
    rows = sample_parameters(300, np.random.default_rng(4), base, stratified=True)
    assert np.array_equal(rows, sample_parameters(300, np.random.default_rng(4), base,
                                                  stratified=True))
