"""Each virtual person's untreated steady state, compiled and batched.

The simulate API equilibrates a person by integrating 150 years with the clocks frozen and then
polishing with Newton steps (``osteotwin.simulate.single.steady_state``; ~40 ms per person).
For populations we solve the same steady-state equations ``f(y) = 0`` directly by pseudo-transient
continuation (Kelley & Keyes 1998, SIAM J Numer Anal 35:508): damped Newton steps
``(I/Δt - J) δ = f`` whose pseudo-time step ``Δt`` grows as the residual falls (switched evolution
relaxation), which follows the physical transient while it matters and becomes Newton near the
solution. The pure integrator states (cumulative urinary, faecal and oral calcium; bone calcium) are
excluded from the equations and reset as in ``steady_state``. People whose iteration does not
converge fall back to the integrate-then-polish path of ``steady_state``. Tests check agreement with
``steady_state`` on random virtual people.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numba import prange  # prange: used by the bound kernel
from numpy.typing import NDArray

from osteotwin.simulate.dense_lu import solve_dense

MAX_ITERATIONS = 400
TOLERANCE = 1e-11


def rhs(t: float, y: Any, p: Any, u: Any) -> Any:  # pragma: no cover - rebound in _kernel
    raise NotImplementedError


def jacobian(t: float, y: Any, p: Any, u: Any, f0: Any, scale: Any) -> Any:  # pragma: no cover
    raise NotImplementedError


def equilibrate_person(y_start: Any, p: Any, u: Any, keep: Any, scale: Any, out: Any) -> int:
    """Pseudo-transient continuation to ``f(y)[keep] = 0``; returns iterations, -1 if not converged."""
    n_keep = keep.shape[0]
    y = y_start.copy()
    dt = 1.0
    res_old = -1.0
    a = np.empty((n_keep, n_keep))
    b = np.empty(n_keep)
    for it in range(MAX_ITERATIONS):
        f = rhs(0.0, y, p, u)
        res = 0.0
        for i in range(n_keep):
            r = f[keep[i]] / max(abs(y[keep[i]]), scale[keep[i]])
            res = max(res, abs(r))
        if not np.isfinite(res):
            return -1
        if res_old > 0.0:
            dt = dt * min(max(res_old / max(res, 1e-300), 0.5), 10.0)
        res_old = res
        jac = jacobian(0.0, y, p, u, f, scale)
        for i in range(n_keep):
            for j in range(n_keep):
                a[i, j] = -jac[keep[i], keep[j]]
            a[i, i] += 1.0 / dt
            b[i] = f[keep[i]]
        if not solve_dense(a, b):
            return -1
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


def equilibrate_batch(y_start: Any, p: Any, u: Any, keep: Any, scale: Any, out: Any,
                      iterations: Any) -> None:
    for i in prange(p.shape[0]):
        iterations[i] = equilibrate_person(y_start[i], p[i], u[i], keep, scale, out[i])


@lru_cache(maxsize=1)
def _kernel() -> Any:
    """``equilibrate_batch`` compiled against the model (disk-cached per model version)."""
    from osteotwin.physiology import model
    from osteotwin.scale.kernels import bind, model_tag

    tag = model_tag()
    person = bind(equilibrate_person, {"rhs": model.rhs, "jacobian": model.jacobian}, tag=tag)
    return bind(equilibrate_batch, {"equilibrate_person": person}, tag=tag, parallel=True)


def equilibrate(y_start: NDArray[np.float64], p: NDArray[np.float64],
                u_frozen: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Steady states (N, n) of untreated people with frozen clocks; iterations (-1 = failed)."""
    from osteotwin.physiology import states as S

    integrators = (S.CA_BONE, S.CA_URINE, S.CA_FECES, S.CA_INTAKE)
    keep = np.array([i for i in range(S.N_STATES) if i not in integrators], dtype=np.int64)
    out = y_start.copy()
    iterations = np.empty(p.shape[0], dtype=np.int64)
    _kernel()(np.ascontiguousarray(y_start), np.ascontiguousarray(p),
              np.ascontiguousarray(u_frozen), keep, S.error_scale(), out, iterations)
    out[:, S.CA_URINE] = out[:, S.CA_FECES] = out[:, S.CA_INTAKE] = 0.0
    return out, iterations
