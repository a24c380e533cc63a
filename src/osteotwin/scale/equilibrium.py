"""Each virtual person's untreated steady state, compiled and batched.

The simulate API equilibrates a person by integrating 150 years with the clocks frozen and then
polishing with Newton steps (``osteotwin.simulate.single.steady_state``; ~40 ms per person).
For populations we solve the same steady-state equations ``f(y) = 0`` directly by pseudo-transient
continuation (Kelley & Keyes 1998, SIAM J Numer Anal 35:508): damped Newton steps
``(I/Δt - J) δ = f`` whose pseudo-time step ``Δt`` grows as the residual falls (switched evolution
relaxation), which follows the physical transient while it matters and becomes Newton near the
solution; the Jacobian is reused while the residual falls fast (``REUSE_RATE``). The pure
integrator states (cumulative urinary, faecal and oral calcium; bone calcium) are excluded from the
equations and reset as in ``steady_state``. People whose iteration does not converge fall back to
the integrate-then-polish path of ``steady_state``. Tests check agreement with ``steady_state`` on
random virtual people.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numba import prange  # prange: used by the bound kernel
from numpy.typing import NDArray

from osteotwin.scale.block_lu import block_lu_factor, block_lu_solve

MAX_ITERATIONS = 400
TOLERANCE = 1e-11
#: First pseudo-time step (days): long against the bone and calcium time scales (weeks), so the
#: iteration is nearly Newton from the start (about 7 iterations instead of 15 from 1 day, same
#: solutions to 1e-14 on every training population; non-converging people fall back anyway).
INITIAL_DT = 1000.0
#: The Jacobian is kept from one iteration to the next while the residual falls at least this much
#: per iteration (chord steps; a Jacobian costs 19 RHS calls, an iteration otherwise one): about
#: 7.6 iterations instead of 7.3 at ~45 % less CPU, same solutions to 1e-13 on the benchmark women.
REUSE_RATE = 0.1


def rhs_into(t: float, y: Any, p: Any, u: Any, dy: Any) -> None:  # pragma: no cover - rebound
    raise NotImplementedError


def jacobian_into(y: Any, p: Any, u: Any, f0: Any, scale: Any, colors: Any, col_ptr: Any,
                  col_rows: Any, yp: Any, f1: Any, jac: Any) -> None:
    """Forward-difference ∂f/∂y at t = 0 (perturbations as ``model.jacobian``), compressed by the
    column colouring of ``structure.Structure``; entries outside the pattern are not touched."""
    n = y.shape[0]
    n_colors = 0
    for j in range(n):
        yp[j] = y[j]
        n_colors = max(n_colors, colors[j] + 1)
    for c in range(n_colors):
        for j in range(n):
            if colors[j] == c:
                yp[j] = y[j] + 1e-7 * max(abs(y[j]), scale[j] * 1e-3)
        rhs_into(0.0, yp, p, u, f1)
        for j in range(n):
            if colors[j] == c:
                h = yp[j] - y[j]
                for k in range(col_ptr[j], col_ptr[j + 1]):
                    i = col_rows[k]
                    jac[i, j] = (f1[i] - f0[i]) / h
                yp[j] = y[j]


def equilibrate_person(y_start: Any, p: Any, u: Any, keep: Any, starts: Any, colors: Any,
                       col_ptr: Any, col_rows: Any, scale: Any, out: Any) -> int:
    """Pseudo-transient continuation to ``f(y)[keep] = 0``; returns iterations, -1 if not converged.

    ``keep`` lists the solved states in block lower-triangular order with diagonal blocks
    ``starts`` (``structure.py``), so each iteration factorises only the diagonal blocks."""
    n = y_start.shape[0]
    n_keep = keep.shape[0]
    y = y_start.copy()
    dt = INITIAL_DT
    res_old = -1.0
    a = np.zeros((n_keep, n_keep))
    b = np.empty(n_keep)
    piv = np.empty(n_keep, dtype=np.int64)
    f = np.empty(n)
    jac = np.zeros((n, n))
    yp = np.empty(n)
    f1 = np.empty(n)
    for it in range(MAX_ITERATIONS):
        rhs_into(0.0, y, p, u, f)
        res = 0.0
        for i in range(n_keep):
            r = f[keep[i]] / max(abs(y[keep[i]]), scale[keep[i]])
            res = max(res, abs(r))
        if not np.isfinite(res):
            return -1
        if res_old > 0.0:
            dt = dt * min(max(res_old / max(res, 1e-300), 0.5), 10.0)
        if it == 0 or res > REUSE_RATE * res_old:
            jacobian_into(y, p, u, f, scale, colors, col_ptr, col_rows, yp, f1, jac)
        res_old = res
        for i in range(n_keep):
            for j in range(n_keep):
                a[i, j] = -jac[keep[i], keep[j]]
            a[i, i] += 1.0 / dt
            b[i] = f[keep[i]]
        if not block_lu_factor(a, piv, starts):
            return -1
        block_lu_solve(a, piv, starts, b)
        step = 0.0
        for i in range(n_keep):
            k = keep[i]
            y[k] += b[i]
            step = max(step, abs(b[i]) / max(abs(y[k]), scale[k]))
        if step < TOLERANCE and dt > 1e6:
            for i in range(y.shape[0]):
                out[i] = y[i]
            return it + 1
    return -1


def equilibrate_batch(y_start: Any, p: Any, u: Any, keep: Any, starts: Any, colors: Any,
                      col_ptr: Any, col_rows: Any, scale: Any, out: Any, iterations: Any) -> None:
    for i in prange(p.shape[0]):
        iterations[i] = equilibrate_person(y_start[i], p[i], u[i], keep, starts, colors, col_ptr,
                                           col_rows, scale, out[i])


@lru_cache(maxsize=1)
def _kernel() -> Any:
    """``equilibrate_batch`` compiled against the model (disk-cached per model version)."""
    from osteotwin.physiology import model
    from osteotwin.scale.kernels import bind, model_tag

    tag = model_tag()
    jac = bind(jacobian_into, {"rhs_into": model.rhs_into}, tag=tag)
    person = bind(equilibrate_person, {"rhs_into": model.rhs_into, "jacobian_into": jac},
                  tag=tag)
    return bind(equilibrate_batch, {"equilibrate_person": person}, tag=tag, parallel=True)


def equilibrate(y_start: NDArray[np.float64], p: NDArray[np.float64],
                u_frozen: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Steady states (N, n) of untreated people with frozen clocks; iterations (-1 = failed)."""
    from osteotwin.physiology import states as S
    from osteotwin.scale.structure import model_structure

    integrators = (S.CA_BONE, S.CA_URINE, S.CA_FECES, S.CA_INTAKE)
    structure = model_structure()
    keep, starts = structure.restricted([i for i in range(S.N_STATES) if i not in integrators])
    out = y_start.copy()
    iterations = np.empty(p.shape[0], dtype=np.int64)
    _kernel()(np.ascontiguousarray(y_start), np.ascontiguousarray(p),
              np.ascontiguousarray(u_frozen), keep, starts, structure.colors, structure.col_ptr,
              structure.col_rows, S.error_scale(), out, iterations)
    out[:, S.CA_URINE] = out[:, S.CA_FECES] = out[:, S.CA_INTAKE] = 0.0
    return out, iterations
