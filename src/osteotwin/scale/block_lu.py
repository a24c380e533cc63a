"""LU of a block lower-triangular matrix: dense partial-pivoting LU of each diagonal block only.

The matrix is stored dense in block order (``structure.block_triangular_order``): diagonal block
``b`` spans rows and columns ``starts[b]:starts[b + 1]``, everything above the diagonal blocks is
ignored (zero). Factorising costs Σ size³/3 instead of n³/3; a solve runs block forward
substitution (Duff, Erisman & Reid, Direct Methods for Sparse Matrices, ch. 6). Pivoting stays
inside a block, so the off-block part of each row is never swapped. With one block spanning
everything this is dense LU with partial pivoting.

A scalar block holds its reciprocal (a solve multiplies). The one-person Rosenbrock solver
(``simulate/solvers.py``) factorises on most steps (its steps change size between doses) and
takes LU with the entries left of the blocks as a sparse list (:func:`block_lu_solve_sparse`;
inverting the blocks instead took 1.12 times as long per simulation). The batch Rosenbrock solver
solves four systems per factorisation (one per stage) and factorises far less
often than it solves, so it uses explicit inverses of the diagonal blocks instead
(:func:`block_inverse_factor`, Gauss-Jordan with partial pivoting: Golub & Van Loan, Matrix
Computations, 4th ed., 3.2.12 and 3.4): a solve is then one matrix-vector product per block, whose
rows are independent, instead of forward and back substitution with a division in the chain of
every row. Forming an inverse costs m³ flops per block of size m against m³/3 for its LU; for the
model's 17-state block the solver runs about six solves per factorisation, which more than pays
for it (the error of a solve by explicit inverse is of the order of cond(A)·ε, as LU's, for these
diagonally shifted matrices).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def pivot_rows(a: Any, piv: Any, k: int, lo: int, hi: int) -> float:
    """Partial pivoting on rows ``[k, hi)`` of columns ``[lo, hi)``: swap into row ``k`` the row
    with the largest entry of column ``k`` at or below it (recorded in ``piv[k]``); returns that
    entry's magnitude (0 or not finite: the column is singular)."""
    p = k
    big = abs(a[k, k])
    for i in range(k + 1, hi):
        if abs(a[i, k]) > big:
            big = abs(a[i, k])
            p = i
    piv[k] = p
    if p != k:
        for j in range(lo, hi):
            tmp = a[k, j]
            a[k, j] = a[p, j]
            a[p, j] = tmp
    return float(big)


@njit(cache=True, error_model="numpy")
def block_lu_factor(a: Any, piv: Any, starts: Any) -> bool:
    """Factorise the diagonal blocks of ``a`` in place (L below, U on and above the diagonal of
    each block; pivots into ``piv``; a scalar block its reciprocal). False when a pivot is zero or
    not finite (singular)."""
    for b in range(starts.shape[0] - 1):
        lo = starts[b]
        hi = starts[b + 1]
        if hi - lo == 1:
            d = a[lo, lo]
            if d == 0.0 or not np.isfinite(d):
                return False
            a[lo, lo] = 1.0 / d
            continue
        for k in range(lo, hi):
            big = pivot_rows(a, piv, k, lo, hi)
            if big == 0.0 or not np.isfinite(big):
                return False
            inv = 1.0 / a[k, k]
            for i in range(k + 1, hi):
                a[i, k] *= inv
                f = a[i, k]
                if f != 0.0:
                    for j in range(k + 1, hi):
                        a[i, j] -= f * a[k, j]
    return True


@njit(cache=True, error_model="numpy")
def _solve_diagonal_block(a: Any, piv: Any, lo: int, hi: int, x: Any) -> None:
    """Solve the factorised diagonal block ``[lo, hi)`` (more than one state) in place: row
    pivots, then L (unit) and U."""
    for k in range(lo, hi):
        p = piv[k]
        if p != k:
            tmp = x[k]
            x[k] = x[p]
            x[p] = tmp
    for i in range(lo, hi):
        s = x[i]
        for j in range(lo, i):
            s -= a[i, j] * x[j]
        x[i] = s
    for i in range(hi - 1, lo - 1, -1):
        s = x[i]
        for j in range(i + 1, hi):
            s -= a[i, j] * x[j]
        x[i] = s / a[i, i]


@njit(cache=True, error_model="numpy")
def block_lu_solve(a: Any, piv: Any, starts: Any, x: Any) -> None:
    """Solve ``A x = b`` in place (``x`` holds b on entry) with the factors of
    :func:`block_lu_factor`; the strictly lower off-block part of ``a`` is used as it stands."""
    for b in range(starts.shape[0] - 1):
        lo = starts[b]
        hi = starts[b + 1]
        for i in range(lo, hi):  # subtract what earlier blocks contribute
            s = x[i]
            for j in range(lo):
                s -= a[i, j] * x[j]
            x[i] = s
        if hi - lo == 1:
            x[lo] *= a[lo, lo]
            continue
        _solve_diagonal_block(a, piv, lo, hi, x)


@njit(cache=True, error_model="numpy")
def block_lu_solve_sparse(a: Any, piv: Any, starts: Any, ptr: Any, col: Any, val: Any,
                          x: Any) -> None:
    """:func:`block_lu_solve` with the entries left of the diagonal blocks given row by row (CSR,
    as :func:`block_inverse_solve` takes them) instead of read from ``a``. The off-block loop and
    the scalar case are written out here as there: through a shared helper, and with the scalar
    case inside ``_solve_diagonal_block``, the one-person solver ran 1.5 times as long."""
    for b in range(starts.shape[0] - 1):
        lo = starts[b]
        hi = starts[b + 1]
        for i in range(lo, hi):  # subtract what earlier blocks contribute
            s = x[i]
            for k in range(ptr[i], ptr[i + 1]):
                s -= val[k] * x[col[k]]
            x[i] = s
        if hi - lo == 1:
            x[lo] *= a[lo, lo]
            continue
        _solve_diagonal_block(a, piv, lo, hi, x)


@njit(cache=True, error_model="numpy")
def block_inverse_factor(a: Any, piv: Any, starts: Any) -> bool:
    """Replace each diagonal block of ``a`` by its inverse, in place (Gauss-Jordan with partial
    pivoting; ``piv`` (n,) is workspace). Entries left of the blocks are kept, those above
    ignored. False when a pivot is zero or not finite (singular)."""
    for b in range(starts.shape[0] - 1):
        lo = starts[b]
        hi = starts[b + 1]
        if hi - lo == 1:
            d = a[lo, lo]
            if d == 0.0 or not np.isfinite(d):
                return False
            a[lo, lo] = 1.0 / d
            continue
        for k in range(lo, hi):
            big = pivot_rows(a, piv, k, lo, hi)
            if big == 0.0 or not np.isfinite(big):
                return False
            inv = 1.0 / a[k, k]
            a[k, k] = 1.0  # column k of the identity becomes column k of the inverse
            for j in range(lo, hi):
                a[k, j] *= inv
            for i in range(lo, hi):
                if i != k:
                    f = a[i, k]
                    if f != 0.0:
                        a[i, k] = 0.0
                        for j in range(lo, hi):
                            a[i, j] -= f * a[k, j]
        for k in range(hi - 1, lo - 1, -1):  # the row interchanges, undone on the columns
            p = piv[k]
            if p != k:
                for i in range(lo, hi):
                    tmp = a[i, k]
                    a[i, k] = a[i, p]
                    a[i, p] = tmp
    return True


@njit(cache=True, error_model="numpy")
def block_inverse_solve(a: Any, starts: Any, ptr: Any, col: Any, val: Any, x: Any,
                        work: Any) -> None:
    """Solve ``A x = b`` in place (``x`` holds b on entry) with the block inverses of
    :func:`block_inverse_factor` and the entries left of the diagonal blocks given row by row
    (CSR: row ``i``'s are ``val[ptr[i]:ptr[i + 1]]`` in columns ``col[ptr[i]:ptr[i + 1]]``);
    ``work`` (n,) is workspace."""
    for b in range(starts.shape[0] - 1):
        lo = starts[b]
        hi = starts[b + 1]
        for i in range(lo, hi):  # subtract what earlier blocks contribute
            s = x[i]
            for k in range(ptr[i], ptr[i + 1]):
                s -= val[k] * x[col[k]]
            x[i] = s
        if hi - lo == 1:
            x[lo] *= a[lo, lo]
            continue
        for i in range(lo, hi):
            s = 0.0
            for j in range(lo, hi):
                s += a[i, j] * x[j]
            work[i] = s
        for i in range(lo, hi):
            x[i] = work[i]
