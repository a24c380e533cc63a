"""The assembled right-hand side ``rhs(t, y, p, u)`` (pure, array-based, numba-compiled).

State order and input layout: ``osteotwin.physiology.states``; parameters:
``osteotwin.physiology.parameters`` (vector order of ``PARAMETER_TABLE``). Time in days.
Piecewise kinks of the published model are smoothed (urinary calcium uses a smooth max; the
menopause clock is logistic; the age ramp is a softplus) so the RHS is differentiable.
The same function serves the scipy reference solver and the compiled fast solver.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.bone import bone_rhs
from osteotwin.physiology.calcium import calcium_rhs
from osteotwin.physiology.endocrine import clock_d, hormone_levels, lh_rhs, reservoir_rhs
from osteotwin.physiology.pk import pk_rhs
from osteotwin.physiology.states import (
    CA_BONE,
    CA_FECES,
    CA_INTAKE,
    CA_URINE,
    E2_RESERVOIR,
    LH,
    N_STATES,
    U_AGE0,
)


@njit(cache=True, error_model="numpy")
def rhs_into(t: float, y: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
             dy: NDArray[np.float64]) -> None:
    """Evaluate the RHS into ``dy`` (no allocation)."""
    _e2, testosterone, lh_goal, est, peripheral = hormone_levels(t, y, p, u)
    pk_rhs(y, p, u, dy)
    dy[LH] = lh_rhs(lh_goal, y, p)
    dy[E2_RESERVOIR] = reservoir_rhs(peripheral, y, p)
    age = u[U_AGE0] + clock_d(t, u) / 365.25
    bone_rhs(y, p, u, est, age, testosterone, dy)
    calcium_rhs(y, p, u, est, dy)


@njit(cache=True, error_model="numpy")
def rhs(t: float, y: NDArray[np.float64], p: NDArray[np.float64],
        u: NDArray[np.float64]) -> NDArray[np.float64]:
    """dy/dt at time ``t`` (days) for state ``y``, parameters ``p`` and inputs ``u``."""
    dy = np.empty(N_STATES)
    rhs_into(t, y, p, u, dy)
    return dy


@njit(cache=True, error_model="numpy")
def jacobian(t: float, y: NDArray[np.float64], p: NDArray[np.float64], u: NDArray[np.float64],
             f0: NDArray[np.float64], scale: NDArray[np.float64]) -> NDArray[np.float64]:
    """Compiled forward-difference Jacobian ∂f/∂y (columns perturbed relative to ``scale``).

    Columns of the bone-calcium pool and the cumulative calcium states are exactly zero (no
    derivative depends on them) and are not evaluated."""
    n = y.size
    jac = np.zeros((n, n))
    yp = y.copy()
    f1 = np.empty(n)
    for j in range(n):
        if j == CA_BONE or j == CA_URINE or j == CA_FECES or j == CA_INTAKE:
            continue
        h = 1e-7 * max(abs(y[j]), scale[j] * 1e-3)
        yp[j] = y[j] + h
        rhs_into(t, yp, p, u, f1)
        for i in range(n):
            jac[i, j] = (f1[i] - f0[i]) / h
        yp[j] = y[j]
    return jac
