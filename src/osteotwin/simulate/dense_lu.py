"""Dense LU factorisation with partial pivoting (numba-compiled), shared by the stiff solvers."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit


@njit(cache=True)
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


@njit(cache=True)
def lu_factor(a: Any, piv: Any, tiny_pivot: float) -> bool:
    """Factorise ``a`` in place (L below the diagonal, U on and above), pivots into ``piv``.

    A zero pivot is replaced by ``tiny_pivot`` when that is positive (the factorisation goes on and
    the caller's error control judges the step); with ``tiny_pivot = 0`` a zero or non-finite pivot
    returns False (singular) so that the caller can shrink its step.
    """
    n = a.shape[0]
    for k in range(n):
        big = pivot_rows(a, piv, k, 0, n)
        if tiny_pivot <= 0.0 and (big == 0.0 or not np.isfinite(big)):
            return False
        if a[k, k] == 0.0:
            a[k, k] = tiny_pivot
        inv = 1.0 / a[k, k]
        for i in range(k + 1, n):
            a[i, k] *= inv
            f = a[i, k]
            if f != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= f * a[k, j]
    return True


@njit(cache=True)
def lu_solve(a: Any, piv: Any, b: Any) -> None:
    """Solve ``A x = b`` in place with the factors from :func:`lu_factor`."""
    n = a.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= a[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= a[i, j] * b[j]
        b[i] = s / a[i, i]


@njit(cache=True)
def solve_dense(a: Any, b: Any) -> bool:
    """Solve ``A x = b`` in place (``b`` gets x, ``a`` is overwritten); False when singular."""
    piv = np.empty(a.shape[0], np.int64)
    if not lu_factor(a, piv, 0.0):
        return False
    lu_solve(a, piv, b)
    return True
