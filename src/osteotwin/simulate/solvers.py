"""Solvers over dosing segments: a compiled Rosenbrock (fast) and scipy (reference).

Fast path: ROS34PW2 (Rang & Angermann 2005, BIT 45:761), a 3rd-order L-stable, stiffly accurate
Rosenbrock W-method with an embedded 2nd-order solution for step control. Being a W-method it keeps
its order with an approximate Jacobian, so the compiled finite-difference Jacobian is reused for up
to ``JAC_EVERY`` steps, and the factorised matrix while the step size would change by less than
the ``KEEP_LOW``-``KEEP_HIGH`` band (as the batch solver does). The linear algebra is the batch
solver's (``scale.structure``, ``scale.block_lu``): states in the Jacobian's block lower-triangular
order, only the diagonal blocks factorised (one block of 17 states, the rest scalars and a pair),
the Jacobian by compressed forward differences (one RHS call per column colour). All in numba
(``cache=True``). A dose jumps the PK states and restarts the step size
at the step predicted after the last dose of the same kind (``dose_steps.py``), so a repeating
schedule takes its post-dose steps without rejections. Coefficients are transformed to the
Hairer–Wanner form (A = αΓ⁻¹, C = diag(1/γ) − Γ⁻¹, m = bΓ⁻¹) at import.
Reference path: ``scipy.integrate.solve_ivp`` (Radau, rtol 1e-8) per segment with the same RHS
and the compiled Jacobian.
Outputs are recorded exactly at the requested times; at a dose time the pre-dose (trough) state
is recorded.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology.model import jacobian, rhs, rhs_into
from osteotwin.scale.block_lu import block_lu_factor, block_lu_solve_sparse
from osteotwin.scale.rosenbrock import model_jacobian, off_block_pattern
from osteotwin.scale.structure import model_structure
from osteotwin.simulate.dose_steps import DOSE_MEMORY, dose_kind, dose_slot, remembered_step
from osteotwin.simulate.ros34pw2 import (
    ERROR_WEIGHTS,
    GAMMA,
    STAGE_A,
    STAGE_ALPHA,
    STAGE_C,
    WEIGHTS,
)

JAC_EVERY = 20
#: Keep the step size, and so the factorised matrix, while the error would let it grow or shrink
#: by a factor within this band (1.4: a few more steps, fewer factorisations; 1.2 and 2.0 were
#: slower on ``benchmarks/bench_single.py``).
KEEP_LOW, KEEP_HIGH = 0.95, 1.4
#: A step that would leave less than this many more of itself before the next stop (a dose, an
#: output) is stretched to land on it (1.5: 9 % fewer steps on the spec's example than 1.25, no
#: rejections, BMD still within 0.01 points of the reference; 2.0 took rejected steps).
STOP_REACH = 1.5
MAX_ATTEMPTS = 5_000_000  # guard against a stalled integration (never reached in tests)
FIRST_STEP_NEW_DOSE_D = 0.1  # first step after a dose of a kind not seen before (days)
#: The compressed forward-difference Jacobian compiled for the model (one RHS call per column
#: colour; ``scale.rosenbrock``).
compressed_jacobian = model_jacobian()


@lru_cache(maxsize=1)
def _structure_arrays() -> tuple[NDArray[np.int64], ...]:
    """The model's Jacobian structure as the kernel takes it: block order, block starts, column
    colours and pattern (``scale.structure.model_structure``), and the pattern's entries left of
    the diagonal blocks by row (``ptr``, ``col``, and each one's model-order ``src``)."""
    st = model_structure()
    off_ptr, off_col, off_src = off_block_pattern(st.order, st.starts, st.col_ptr, st.col_rows)
    return (st.order, st.starts, st.colors, st.col_ptr, st.col_rows, off_ptr, off_col, off_src)


def rosenbrock_segments(y0: NDArray[np.float64], p: NDArray[np.float64],
                        seg_t: NDArray[np.float64], seg_u: NDArray[np.float64],
                        seg_bolus: NDArray[np.float64], t_out: NDArray[np.float64], rtol: float,
                        scale: NDArray[np.float64], h_init: float
                        ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64],
                                   int, int]:
    """Integrate across segments (``seg_t`` (k + 1,) bounds, inputs ``seg_u`` (k, q), doses
    ``seg_bolus`` (k, n) added at each segment's start); returns (states at ``t_out``, segment
    index per output, final state, accepted steps, rejected steps)."""
    return _segments(y0, p, seg_t, seg_u, seg_bolus, t_out, rtol, scale, h_init,
                     *_structure_arrays())


@njit(cache=True, error_model="numpy")
def _segments(y0: NDArray[np.float64], p: NDArray[np.float64], seg_t: NDArray[np.float64],
              seg_u: NDArray[np.float64], seg_bolus: NDArray[np.float64],
              t_out: NDArray[np.float64], rtol: float, scale: NDArray[np.float64], h_init: float,
              order: NDArray[np.int64], starts: NDArray[np.int64], colors: NDArray[np.int64],
              col_ptr: NDArray[np.int64], col_rows: NDArray[np.int64],
              off_ptr: NDArray[np.int64], off_col: NDArray[np.int64],
              off_src: NDArray[np.int64]
              ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], int, int]:
    """:func:`rosenbrock_segments` with the Jacobian's structure (``_structure_arrays``)."""
    n = y0.size
    n_out = t_out.size
    out = np.zeros((n_out, n))
    out_seg = np.zeros(n_out, dtype=np.int64)
    io = 0
    y = y0.copy()
    f0 = np.empty(n)
    fs = np.empty(n)
    stages = np.zeros((4, n))
    ytmp = np.empty(n)
    ynew = np.empty(n)
    jac = np.zeros((n, n))
    mat = np.zeros((n, n))
    piv = np.empty(n, dtype=np.int64)
    x = np.empty(n)
    off_val = np.empty(off_col.size)
    mat_h = -1.0
    h_nat = h_init
    dose_kinds = np.full(DOSE_MEMORY, -1, dtype=np.int64)
    dose_h = np.zeros(DOSE_MEMORY)
    slot = 0
    rejected = False
    attempts = 0
    steps = 0
    rejections = 0
    need_jac = True
    since_jac = 0
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
        if k == 0:
            need_jac = True
        kind = dose_kind(seg_bolus[k] != 0.0)
        first_step = kind != 0
        if first_step:  # start at the step predicted after the last dose of the same kind
            slot, known = dose_slot(dose_kinds, kind)
            h_nat = min(h_nat, dose_h[slot] if known else FIRST_STEP_NEW_DOSE_D)
        while t < tb - 1e-9:
            stop = tb
            if io < n_out and t_out[io] < tb:
                stop = t_out[io]
            # stretch by up to ``STOP_REACH`` to land on the stop, except right after a rejection
            reach = 1.0 if rejected else STOP_REACH
            h = h_nat if t + reach * h_nat < stop else stop - t
            hit_stop = h >= stop - t - 1e-12
            rhs_into(t, y, p, u, f0)
            if need_jac:
                compressed_jacobian(t, y, f0, p, u, colors, col_ptr, col_rows, jac)
                need_jac = False
                since_jac = 0
                mat_h = -1.0
            if h != mat_h:  # W / (γh) = I / (γh) − J: factorise its diagonal blocks
                for b in range(starts.size - 1):
                    for a in range(starts[b], starts[b + 1]):
                        for c in range(starts[b], starts[b + 1]):
                            mat[a, c] = -jac[order[a], order[c]]
                        mat[a, a] += 1.0 / (GAMMA * h)
                for j in range(off_col.size):
                    off_val[j] = -jac[off_src[j, 0], off_src[j, 1]]
                if not block_lu_factor(mat, piv, starts):  # singular: a smaller step
                    mat_h = -1.0
                    rejected = True
                    rejections += 1
                    h_nat = 0.25 * h
                    need_jac = True
                    if h_nat < 1e-12:
                        raise RuntimeError("step size underflow")
                    continue
                mat_h = h
            for st in range(4):
                if st == 0:
                    for i in range(n):
                        fs[i] = f0[i]
                else:
                    for i in range(n):
                        acc = y[i]
                        for j in range(st):
                            acc += STAGE_A[st, j] * stages[j, i]
                        ytmp[i] = acc
                    rhs_into(t + STAGE_ALPHA[st] * h, ytmp, p, u, fs)
                    for j in range(st):
                        cj = STAGE_C[st, j] / h
                        for i in range(n):
                            fs[i] += cj * stages[j, i]
                for a in range(n):
                    x[a] = fs[order[a]]
                block_lu_solve_sparse(mat, piv, starts, off_ptr, off_col, off_val, x)
                for a in range(n):
                    stages[st, order[a]] = x[a]
            err = 0.0
            finite = True
            for i in range(n):
                acc = y[i]
                e = 0.0
                for j in range(4):
                    acc += WEIGHTS[j] * stages[j, i]
                    e += ERROR_WEIGHTS[j] * stages[j, i]
                ynew[i] = acc
                if not math.isfinite(acc):
                    finite = False
                sc = rtol * max(max(abs(y[i]), abs(acc)), scale[i])
                err += (e / sc) ** 2
            err = math.sqrt(err / n) if finite else 1e10
            attempts += 1
            if attempts > MAX_ATTEMPTS:
                raise RuntimeError("too many solver steps")
            rejected = err > 1.0
            if not rejected:
                t = stop if hit_stop else t + h
                for i in range(n):
                    y[i] = ynew[i]
                steps += 1
                since_jac += 1
                if since_jac >= JAC_EVERY:
                    need_jac = True
                factor = 5.0 if err < 1e-12 else min(5.0, max(0.2, 0.9 * err ** (-1.0 / 3.0)))
                if first_step:
                    dose_h[slot] = remembered_step(h, factor)
                    first_step = False
                if not hit_stop or factor < 1.0:
                    # keep the step (and the factorised matrix) while it would change little
                    h_nat = h if KEEP_LOW <= factor <= KEEP_HIGH else h * factor
                if io < n_out and abs(t - t_out[io]) < 1e-9:
                    out[io] = y
                    out_seg[io] = k
                    io += 1
            else:
                rejections += 1
                h_nat = h * max(0.1, 0.9 * err ** (-1.0 / 3.0))
                need_jac = True
                if h_nat < 1e-12:
                    raise RuntimeError("step size underflow")
    while io < n_out:
        out[io] = y
        out_seg[io] = n_seg - 1
        io += 1
    return out, out_seg, y, steps, rejections


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
