"""Solvers over dosing segments: a compiled Rosenbrock (fast) and scipy (reference).

Fast path: ROS34PW2 (Rang & Angermann 2005, BIT 45:761), a 3rd-order L-stable, stiffly accurate
Rosenbrock W-method with an embedded 2nd-order solution for step control. Being a W-method it keeps
its order with an approximate Jacobian, so the compiled finite-difference Jacobian is reused for up
to ``JAC_EVERY`` steps. Linear algebra exploits the Jacobian's block structure (own LU with partial
pivoting); all in numba (``cache=True``). A dose jumps the PK states and restarts the step size
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

import numpy as np
from numba import njit
from numpy.typing import NDArray

from osteotwin.physiology import states as S
from osteotwin.physiology.model import jacobian, rhs, rhs_into
from osteotwin.simulate.dense_lu import lu_factor, lu_solve
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
MAX_ATTEMPTS = 5_000_000  # guard against a stalled integration (never reached in tests)
FIRST_STEP_NEW_DOSE_D = 0.1  # first step after a dose of a kind not seen before (days)



# Block structure of the Jacobian (exact zeros, by construction of the RHS): the PK states depend
# only on PK states; nothing depends on the bone-calcium pool or the cumulative calcium states
# ("leaves"). W = I − γhJ is therefore block lower-triangular [PK | core | leaves]; only the PK
# (12×12) and core (24×24) blocks are factorised, instead of the full 40×40 matrix.
_LEAVES = (S.CA_BONE, S.CA_URINE, S.CA_FECES, S.CA_INTAKE)
PK_IDX = np.arange(0, S.LH, dtype=np.int64)
CORE_IDX = np.array([i for i in range(S.LH, S.N_STATES) if i not in _LEAVES], dtype=np.int64)
LEAF_IDX = np.array(_LEAVES, dtype=np.int64)


@njit(cache=True)
def _factor_blocks(jac: NDArray[np.float64], gh: float, wp: NDArray[np.float64],
                   pp: NDArray[np.int64], wc: NDArray[np.float64], pc: NDArray[np.int64]) -> None:
    """Factorise the PK and core diagonal blocks of W = I − gh·J."""
    for a in range(PK_IDX.size):
        for b in range(PK_IDX.size):
            wp[a, b] = -gh * jac[PK_IDX[a], PK_IDX[b]]
        wp[a, a] += 1.0
    lu_factor(wp, pp, 1e-300)
    for a in range(CORE_IDX.size):
        for b in range(CORE_IDX.size):
            wc[a, b] = -gh * jac[CORE_IDX[a], CORE_IDX[b]]
        wc[a, a] += 1.0
    lu_factor(wc, pc, 1e-300)


@njit(cache=True)
def _solve_blocks(jac: NDArray[np.float64], gh: float, wp: NDArray[np.float64],
                  pp: NDArray[np.int64], wc: NDArray[np.float64], pc: NDArray[np.int64],
                  x: NDArray[np.float64], bp: NDArray[np.float64],
                  bc: NDArray[np.float64]) -> None:
    """Solve W·x = x in place by block forward substitution."""
    for a in range(PK_IDX.size):
        bp[a] = x[PK_IDX[a]]
    lu_solve(wp, pp, bp)
    for a in range(PK_IDX.size):
        x[PK_IDX[a]] = bp[a]
    for a in range(CORE_IDX.size):
        i = CORE_IDX[a]
        s = x[i]
        for b in range(PK_IDX.size):
            s += gh * jac[i, PK_IDX[b]] * bp[b]
        bc[a] = s
    lu_solve(wc, pc, bc)
    for a in range(CORE_IDX.size):
        x[CORE_IDX[a]] = bc[a]
    for a in range(LEAF_IDX.size):
        i = LEAF_IDX[a]
        s = x[i]
        for b in range(PK_IDX.size):
            s += gh * jac[i, PK_IDX[b]] * bp[b]
        for b in range(CORE_IDX.size):
            s += gh * jac[i, CORE_IDX[b]] * bc[b]
        x[i] = s


@njit(cache=True)
def rosenbrock_segments(y0: NDArray[np.float64], p: NDArray[np.float64],
                  seg_t: NDArray[np.float64], seg_u: NDArray[np.float64],
                  seg_bolus: NDArray[np.float64], t_out: NDArray[np.float64], rtol: float,
                  scale: NDArray[np.float64], h_init: float
                  ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], int, int]:
    """Integrate across segments; returns (states at t_out, segment index per output,
    final state, number of accepted steps, number of rejected steps)."""
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
    wp = np.empty((PK_IDX.size, PK_IDX.size))
    pp = np.zeros(PK_IDX.size, dtype=np.int64)
    wc = np.empty((CORE_IDX.size, CORE_IDX.size))
    pc = np.zeros(CORE_IDX.size, dtype=np.int64)
    bp = np.empty(PK_IDX.size)
    bc = np.empty(CORE_IDX.size)
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
            # stretch by up to 25 % to land on the stop, except right after a rejection
            reach = 1.0 if rejected else 1.25
            h = h_nat if t + reach * h_nat < stop else stop - t
            hit_stop = h >= stop - t - 1e-12
            rhs_into(t, y, p, u, f0)
            if need_jac:
                jac = jacobian(t, y, p, u, f0, scale)
                need_jac = False
                since_jac = 0
            gh = GAMMA * h
            _factor_blocks(jac, gh, wp, pp, wc, pc)
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
                    for i in range(n):
                        acc = fs[i]
                        for j in range(st):
                            acc += STAGE_C[st, j] / h * stages[j, i]
                        fs[i] = acc
                _solve_blocks(jac, gh, wp, pp, wc, pc, fs, bp, bc)
                for i in range(n):
                    stages[st, i] = gh * fs[i]
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
                    h_nat = h * factor
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
