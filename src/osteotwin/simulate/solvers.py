"""Solvers over dosing segments: a compiled Rosenbrock (fast) and scipy (reference).

Fast path: ROS2 (Verwer et al. 1999, SIAM J Sci Comput 20:1456), a 2nd-order L-stable
Rosenbrock W-method (order kept with an approximate Jacobian, so the compiled finite-difference
Jacobian is reused for up to ``JAC_EVERY`` steps), embedded linearly-implicit Euler for the error
estimate, own LU with partial pivoting; all in numba (``cache=True``).
Reference path: ``scipy.integrate.solve_ivp`` (Radau, rtol 1e-8) per segment with the same RHS
and the compiled Jacobian.
Outputs are recorded exactly at the requested times; at a dose time the pre-dose (trough) state
is recorded.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.model import jacobian, rhs, rhs_into

JAC_EVERY = 12
GAMMA = 1.0 + 1.0 / math.sqrt(2.0)


@njit(cache=True)
def _lu_factor(a: NDArray[np.float64], piv: NDArray[np.int64]) -> None:
    n = a.shape[0]
    for k in range(n):
        p = k
        big = abs(a[k, k])
        for i in range(k + 1, n):
            if abs(a[i, k]) > big:
                big = abs(a[i, k])
                p = i
        piv[k] = p
        if p != k:
            for j in range(n):
                tmp = a[k, j]
                a[k, j] = a[p, j]
                a[p, j] = tmp
        d = a[k, k]
        if d == 0.0:
            d = 1e-300
            a[k, k] = d
        for i in range(k + 1, n):
            a[i, k] /= d
            f = a[i, k]
            if f != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= f * a[k, j]


@njit(cache=True)
def _lu_solve(a: NDArray[np.float64], piv: NDArray[np.int64], b: NDArray[np.float64]) -> None:
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
def ros2_segments(y0: NDArray[np.float64], p: NDArray[np.float64],
                  seg_t: NDArray[np.float64], seg_u: NDArray[np.float64],
                  seg_bolus: NDArray[np.float64], t_out: NDArray[np.float64], rtol: float,
                  scale: NDArray[np.float64], h_init: float
                  ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], int]:
    """Integrate across segments; returns (states at t_out, segment index per output,
    final state, number of accepted steps)."""
    n = y0.size
    n_out = t_out.size
    out = np.zeros((n_out, n))
    out_seg = np.zeros(n_out, dtype=np.int64)
    io = 0
    y = y0.copy()
    f0 = np.empty(n)
    f1 = np.empty(n)
    k1 = np.empty(n)
    k2 = np.empty(n)
    ytmp = np.empty(n)
    w = np.empty((n, n))
    piv = np.zeros(n, dtype=np.int64)
    jac = np.zeros((n, n))
    h_nat = h_init
    steps = 0
    n_seg = seg_t.size - 1
    for k in range(n_seg):
        ta = seg_t[k]
        tb = seg_t[k + 1]
        while io < n_out and t_out[io] <= ta + 1e-9:
            out[io] = y
            out_seg[io] = max(k - 1, 0)
            io += 1
        for i in range(n):
            y[i] += seg_bolus[k, i]
        u = seg_u[k]
        t = ta
        need_jac = True
        since_jac = 0
        h_nat = min(h_nat, max(tb - ta, 1e-6))
        if np.any(seg_bolus[k] != 0.0):
            h_nat = min(h_nat, 0.05)
        while t < tb - 1e-9:
            stop = tb
            if io < n_out and t_out[io] < tb:
                stop = t_out[io]
            h = min(h_nat, stop - t)
            hit_stop = h >= stop - t - 1e-12
            rhs_into(t, y, p, u, f0)
            if need_jac:
                jac = jacobian(t, y, p, u, f0, scale)
                need_jac = False
                since_jac = 0
            for i in range(n):
                for j in range(n):
                    w[i, j] = -GAMMA * h * jac[i, j]
                w[i, i] += 1.0
            _lu_factor(w, piv)
            for i in range(n):
                k1[i] = f0[i]
            _lu_solve(w, piv, k1)
            for i in range(n):
                ytmp[i] = y[i] + h * k1[i]
            rhs_into(t + h, ytmp, p, u, f1)
            for i in range(n):
                k2[i] = f1[i] - 2.0 * k1[i]
            _lu_solve(w, piv, k2)
            err = 0.0
            finite = True
            for i in range(n):
                ynew = y[i] + 1.5 * h * k1[i] + 0.5 * h * k2[i]
                ytmp[i] = ynew
                if not math.isfinite(ynew):
                    finite = False
                sc = rtol * max(max(abs(y[i]), abs(ynew)), scale[i])
                e = 0.5 * h * (k1[i] + k2[i]) / sc
                err += e * e
            err = math.sqrt(err / n) if finite else 1e10
            if err <= 1.0:
                t = stop if hit_stop else t + h
                for i in range(n):
                    y[i] = ytmp[i]
                steps += 1
                since_jac += 1
                if since_jac >= JAC_EVERY:
                    need_jac = True
                factor = 5.0 if err < 1e-10 else min(5.0, max(0.2, 0.9 / math.sqrt(err)))
                if not hit_stop or factor < 1.0:
                    h_nat = h * factor
                if io < n_out and abs(t - t_out[io]) < 1e-9:
                    out[io] = y
                    out_seg[io] = k
                    io += 1
            else:
                h_nat = h * max(0.1, 0.9 / math.sqrt(err))
                need_jac = True
                if h_nat < 1e-12:
                    raise RuntimeError("step size underflow")
    while io < n_out:
        out[io] = y
        out_seg[io] = n_seg - 1
        io += 1
    return out, out_seg, y, steps


def reference_segments(y0: NDArray[np.float64], p: NDArray[np.float64],
                       seg_t: NDArray[np.float64], seg_u: NDArray[np.float64],
                       seg_bolus: NDArray[np.float64], t_out: NDArray[np.float64],
                       scale: NDArray[np.float64], rtol: float = 1e-8
                       ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """The same integration with scipy ``solve_ivp`` (Radau, tight tolerances)."""
    from scipy.integrate import solve_ivp

    n = y0.size
    out = np.zeros((t_out.size, n))
    out_seg = np.zeros(t_out.size, dtype=np.int64)
    y = y0.copy()
    io = 0
    atol = rtol * scale
    for k in range(seg_t.size - 1):
        ta, tb = float(seg_t[k]), float(seg_t[k + 1])
        while io < t_out.size and t_out[io] <= ta + 1e-9:
            out[io] = y
            out_seg[io] = max(k - 1, 0)
            io += 1
        y = y + seg_bolus[k]
        u = seg_u[k]
        inside = [t for t in t_out[io:] if ta < t < tb - 1e-9]

        def fun(t: float, yy: NDArray[np.float64], u: NDArray[np.float64] = u
                ) -> NDArray[np.float64]:
            return rhs(t, yy, p, u)

        def jac(t: float, yy: NDArray[np.float64], u: NDArray[np.float64] = u
                ) -> NDArray[np.float64]:
            return jacobian(t, yy, p, u, rhs(t, yy, p, u), scale)

        sol = solve_ivp(fun, (ta, tb), y, method="Radau", rtol=rtol, atol=atol, jac=jac,
                        t_eval=[*inside, tb] if inside else None, dense_output=False)
        if not sol.success:
            raise RuntimeError(f"reference solver failed: {sol.message}")
        for j in range(len(inside)):
            out[io] = sol.y[:, j]
            out_seg[io] = k
            io += 1
        y = sol.y[:, -1].copy()
    while io < t_out.size:
        out[io] = y
        out_seg[io] = seg_t.size - 2
        io += 1
    return out, out_seg, y
