"""Jacobian structure (block-triangular order, colouring) and the block LU the solvers use."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from osteotwin.physiology import model
from osteotwin.physiology import states as S
from osteotwin.scale.block_lu import (
    block_inverse_factor,
    block_inverse_solve,
    block_lu_factor,
    block_lu_solve,
    block_lu_solve_sparse,
)
from osteotwin.scale.cpu_backend import solve_states
from osteotwin.scale.people import Batch
from osteotwin.scale.structure import (
    Structure,
    block_triangular_order,
    column_colors,
    model_structure,
)
from osteotwin.simulate.scenario import Regimen, Scenario, Subject


def _blocks(starts: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(starts.size - 1), np.diff(starts))


@pytest.mark.parametrize("seed", range(5))
def test_order_is_block_lower_triangular_with_strong_components_as_blocks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(1, 30))
        pattern = rng.random((n, n)) < rng.uniform(0.0, 0.25)
        order, starts = block_triangular_order(pattern)
        assert sorted(order.tolist()) == list(range(n))
        block = _blocks(starts)
        permuted = pattern[np.ix_(order, order)]
        assert not np.any(permuted & (block[None, :] > block[:, None]))  # nothing above
        count, _ = connected_components(
            csr_matrix(pattern | np.eye(n, dtype=bool)), directed=True, connection="strong"
        )
        assert starts.size - 1 == count


def test_colours_never_share_a_row() -> None:
    rng = np.random.default_rng(1)
    pattern = rng.random((30, 30)) < 0.15
    colors = column_colors(pattern)
    for c in np.unique(colors):
        assert pattern[:, colors == c].sum(axis=1).max() <= 1


def test_block_lu_solves_block_lower_triangular_systems() -> None:
    rng = np.random.default_rng(2)
    pattern = rng.random((25, 25)) < 0.12
    structure = Structure.of(pattern)
    order, starts = structure.order, structure.starts
    block = _blocks(starts)
    a = rng.normal(size=(25, 25)) * (block[None, :] <= block[:, None])
    a[np.diag_indices(25)] += 0.1  # some blocks need pivoting: small diagonal
    b = rng.normal(size=25)
    expected = np.linalg.solve(a, b)
    factors, piv = a.copy(), np.empty(25, dtype=np.int64)
    assert block_lu_factor(factors, piv, starts)
    x = b.copy()
    block_lu_solve(factors, piv, starts, x)
    np.testing.assert_allclose(x, expected, rtol=1e-9, atol=1e-12)
    left = (block[None, :] < block[:, None]) & (a != 0.0)  # off-block entries, CSR by row
    ptr = np.concatenate([[0], np.cumsum(left.sum(axis=1))]).astype(np.int64)
    rows, col = np.nonzero(left)
    val = a[rows, col]
    assert order.size == 25
    w = b.copy()
    block_lu_solve_sparse(factors, piv, starts, ptr, col, val, w)
    np.testing.assert_allclose(w, expected, rtol=1e-9, atol=1e-12)
    singular = np.zeros((25, 25))
    assert not block_lu_factor(singular, piv, starts)
    inverses = a.copy()
    assert block_inverse_factor(inverses, piv, starts)
    z = b.copy()
    block_inverse_solve(inverses, starts, ptr, col, val, z, np.empty(25))
    np.testing.assert_allclose(z, expected, rtol=1e-9, atol=1e-12)
    for lo, hi in itertools.pairwise(starts):  # each block is its inverse
        np.testing.assert_allclose(inverses[lo:hi, lo:hi], np.linalg.inv(a[lo:hi, lo:hi]),
                                   rtol=1e-9, atol=1e-12)
    assert not block_inverse_factor(np.zeros((25, 25)), piv, starts)


def test_model_jacobian_stays_inside_the_sampled_pattern_on_every_drug() -> None:
    """Full finite-difference Jacobians along simulated courses of every drug class have no entry
    outside the pattern the solvers use (so the block order and the colouring are exact)."""
    structure = model_structure()
    n = S.N_STATES
    pattern = np.zeros((n, n), dtype=bool)
    for j in range(n):
        pattern[structure.col_rows[structure.col_ptr[j] : structure.col_ptr[j + 1]], j] = True
    woman = Subject(
        sex="female", age_y=62.0, weight_kg=70.0, years_since_menopause=10.0, breast_cancer=True
    )
    young = Subject(
        sex="female", age_y=42.0, weight_kg=62.0, years_since_menopause=-6.0, breast_cancer=True
    )
    man = Subject(sex="male", age_y=66.0, weight_kg=85.0)
    scenarios = [
        Scenario(
            woman,
            (Regimen("letrozole", dose_mg=2.5), Regimen("alendronate", dose_mg=70.0, every_d=7.0)),
            years=1.0,
        ),
        Scenario(
            woman,
            (
                Regimen("exemestane", dose_mg=25.0),
                Regimen("denosumab", dose_mg=60.0, every_d=182.6, route="subcutaneous"),
            ),
            years=1.0,
        ),
        Scenario(
            young,
            (
                Regimen("tamoxifen", dose_mg=20.0),
                Regimen("goserelin", dose_mg=3.6, every_d=28.0, route="subcutaneous"),
            ),
            years=1.0,
        ),
        Scenario(
            man,
            (
                Regimen(
                    "testosterone_cypionate", dose_mg=100.0, every_d=7.0, route="intramuscular"
                ),
                Regimen("anastrozole", dose_mg=1.0),
                Regimen("zoledronic_acid", dose_mg=4.0, every_d=365.25, route="intravenous"),
            ),
            years=1.0,
        ),
    ]
    times = np.array([0.0, 20.0, 100.0, 365.25])
    batch, states, _ = solve_states(scenarios, None, times)
    assert isinstance(batch, Batch)
    scale = S.error_scale()
    outside = 0
    for i in range(len(scenarios)):
        for k in range(1, times.size + 1):
            t = float(batch.t_out[i, k])
            segment = int(np.searchsorted(batch.seg_t[i], t, side="right")) - 1
            segment = min(max(segment, 0), batch.seg_u.shape[1] - 1)
            u = batch.seg_u[i, segment]
            y = states[i, k]
            f0 = model.rhs(t, y, batch.p[i], u)
            for j in range(n):
                yp = y.copy()
                yp[j] += 1e-6 * max(abs(y[j]), scale[j])
                changed = model.rhs(t, yp, batch.p[i], u) != f0
                outside += int(np.sum(changed & ~pattern[:, j]))
    assert outside == 0
