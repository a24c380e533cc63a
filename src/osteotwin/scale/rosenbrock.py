"""A compiled, batched, stiff ODE solver: Rosenbrock-W method ROS34PW2 with Jacobian reuse.

ROS34PW2 (Rang & Angermann 2005, BIT Numer Math 45:761-787): 4 stages, order 3 with an embedded
order-2 error estimate, L-stable, stiffly accurate, and a *W-method*: it keeps its order with an
approximate Jacobian, so the finite-difference Jacobian is reused over many steps (recomputed
every ``JACOBIAN_AGE`` steps, or after a rejected step when older than ``STALE_AFTER_REJECT``) and
the LU factors are reused while the step size stays within a small band, as CVODE does with its
Newton matrices.

The stages are written in the transformed variables of Hairer & Wanner (Solving ODEs II, IV.7):
``(I/(hγ) - J) u_i = f(t + α_i h, y + Σ a_ij u_j) + Σ (c_ij / h) u_j``, ``y1 = y + Σ m_i u_i``.
The system is treated as autonomous within a step (no ∂f/∂t term): time-varying inputs must be
smooth between breakpoints, and the solver stops exactly at every breakpoint (dose starts/stops)
and at impulses (bolus doses added to a state), and it steps exactly onto every output time
(interpolating over long steps of a stiff problem is not accurate enough for slow states that
turn quickly, such as OPG after an aromatase inhibitor starts). After an impulse the first step is
the one predicted after the last impulse of the same kind (``simulate/dose_steps.py``), or the
start-step estimate for a new kind (steps and CPU time per person on a repeating schedule:
``benchmarks/bench_batch_doses.py``).

``solve_batch`` runs one adaptive solve per person in a ``numba.prange`` loop, so it uses every core
(numba threads); each person has their own step sizes, so fast and slow people do not hold each
other back. The right-hand side is any numba-compiled ``rhs(t, y, p, u) -> dy`` (the model's
allocation-free ``rhs_into`` is used for it).

With a ``structure.Structure`` of the Jacobian (the model's: ``structure.model_structure``) the
Jacobian costs one RHS call per column colour instead of per state (19 instead of 44 for the model)
and the linear algebra is block-triangular (``block_lu.py``): only the diagonal blocks are
inverted (four stage solves per factorisation: a solve is then a product with each block's
inverse), the solves skip the zeros between blocks. Without one, everything is dense.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numba
import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from osteotwin.scale.block_lu import (
    block_inverse_factor,
    block_inverse_solve,
)
from osteotwin.scale.structure import Structure, dense_structure
from osteotwin.simulate.dose_steps import DOSE_MEMORY, dose_slot, remembered_step, state_bit
from osteotwin.simulate.ros34pw2 import (
    ERROR_WEIGHTS,
    GAMMA,
    STAGE_A,
    STAGE_ALPHA,
    STAGE_C,
    WEIGHTS,
)

# ROS34PW2 coefficients in the transformed form (shared with the one-person solver).
A_T, C_T, M_T, E_T, C_STAGE = STAGE_A, STAGE_C, WEIGHTS, ERROR_WEIGHTS, STAGE_ALPHA

JACOBIAN_AGE = 10
#: After a rejected step the Jacobian is refreshed only if it is older than this many steps.
STALE_AFTER_REJECT = 2
SAFETY = 0.9
#: Keep the factorised matrix while the proposed step size is within this band of the current one
#: (1.7: fewer factorisations for a few more steps; 5 % less CPU on the benchmark women than 1.4,
#: errors against rtol 1e-7 no larger).
KEEP_LOW, KEEP_HIGH = 0.95, 1.7


def _jacobian(t: float, y: Any, f0: Any, p: Any, u: Any, colors: Any, col_ptr: Any,
              col_rows: Any, jac: Any) -> None:
    """Forward-difference Jacobian, compressed: the columns of one colour are perturbed together
    and each keeps the rows of its pattern (``structure.Structure``); other entries stay 0."""
    n = y.shape[0]
    yp = y.copy()
    fj = np.empty(n)
    dy = np.empty(n)
    for j in range(n):
        dy[j] = 1.5e-8 * max(abs(y[j]), 1e-6)
    n_colors = 0
    for j in range(n):
        n_colors = max(n_colors, colors[j] + 1)
    for c in range(n_colors):
        for j in range(n):
            if colors[j] == c:
                yp[j] = y[j] + dy[j]
        rhs_into(t, yp, p, u, fj)
        for j in range(n):
            if colors[j] == c:
                for k in range(col_ptr[j], col_ptr[j + 1]):
                    i = col_rows[k]
                    jac[i, j] = (fj[i] - f0[i]) / dy[j]
                yp[j] = y[j]


@njit(cache=True, error_model="numpy")
def _hermite(t0: float, y0: Any, f0: Any, t1: float, y1: Any, f1: Any, t: float, out: Any) -> None:
    """Cubic Hermite interpolant of a step, with end slopes limited so that a state that moves
    one way over the step does not overshoot (Fritsch & Carlson 1980, SIAM J Numer Anal 17:238):
    the derivative of a stiff quasi-steady state (PTH, plasma calcium) at a step end is
    amplified noise, and unlimited it can swing the interpolant far outside the step's values."""
    h = t1 - t0
    s = (t - t0) / h
    h00 = (1 + 2 * s) * (1 - s) ** 2
    h10 = s * (1 - s) ** 2
    h01 = s * s * (3 - 2 * s)
    h11 = s * s * (s - 1)
    for i in range(y0.shape[0]):
        d = y1[i] - y0[i]
        m0 = h * f0[i]
        m1 = h * f1[i]
        if d == 0.0:
            m0 = 0.0
            m1 = 0.0
        else:
            a = max(m0 / d, 0.0)
            b = max(m1 / d, 0.0)
            m0 = a * d
            m1 = b * d
            r = a * a + b * b
            if r > 9.0:
                m0 *= 3.0 / np.sqrt(r)
                m1 *= 3.0 / np.sqrt(r)
        out[i] = h00 * y0[i] + h10 * m0 + h01 * y1[i] + h11 * m1


@njit(cache=True, error_model="numpy")
def _start_step(y: Any, f: Any, rtol: float, atol: Any) -> float:
    """A first step: 5 % of the time scale |y| / |f| in the error norm (Hairer, Nørsett & Wanner,
    Solving ODEs I, II.4, take 1 %; the model's first steps after a dose start then had errors
    ~1e-3 of the tolerance and needed several growth-limited steps); +inf when nothing moves."""
    d0 = 0.0
    d1 = 0.0
    for i in range(y.shape[0]):
        sc = atol[i] + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (f[i] / sc) ** 2
    return np.inf if d1 <= 1e-10 else 0.05 * float(np.sqrt(d0 / d1))


@njit(cache=True, error_model="numpy")
def off_block_pattern(order: Any, starts: Any, col_ptr: Any, col_rows: Any) -> Any:
    """The pattern's entries left of the diagonal blocks in block order, by row (CSR: ``ptr``,
    ``col``), with the (row, column) of each in model order (``src``)."""
    n = order.shape[0]
    where = np.empty(n, dtype=np.int64)  # position of each state in ``order``
    first = np.empty(n, dtype=np.int64)  # first column of each position's diagonal block
    for b in range(starts.shape[0] - 1):
        for a in range(starts[b], starts[b + 1]):
            where[order[a]] = a
            first[a] = starts[b]
    count = np.zeros(n + 1, dtype=np.int64)
    for j in range(n):
        for k in range(col_ptr[j], col_ptr[j + 1]):
            a = where[col_rows[k]]
            if where[j] < first[a]:
                count[a + 1] += 1
    ptr = np.cumsum(count)
    col = np.empty(ptr[n], dtype=np.int64)
    src = np.empty((ptr[n], 2), dtype=np.int64)
    fill = ptr[:n].copy()
    for j in range(n):
        for k in range(col_ptr[j], col_ptr[j + 1]):
            a = where[col_rows[k]]
            if where[j] < first[a]:
                col[fill[a]] = where[j]
                src[fill[a], 0] = col_rows[k]
                src[fill[a], 1] = j
                fill[a] += 1
    return ptr, col, src


def solve_person(y0: Any, p: Any, u_seg: Any, t_out: Any, breaks: Any, imp_t: Any,
                 imp_idx: Any, imp_amt: Any, rtol: float, atol: Any, h_max: float,
                 max_steps: int, a_t: Any, c_t: Any, m_t: Any, e_t: Any, c_stage: Any,
                 order: Any, starts: Any, colors: Any, col_ptr: Any, col_rows: Any, hard: Any,
                 t_history: float, history_factor: float, out: Any) -> int:
    """Integrate one person from ``t_out[0]``; fills ``out`` (len(t_out), n). Returns the number of
    steps taken, or -1 when the step size underflows or ``max_steps`` is exceeded.

    Inputs are piecewise constant: ``u_seg[0]`` until ``breaks[0]``, then ``u_seg[1]`` until
    ``breaks[1]``, ... (``breaks`` sorted, padded with +inf). Impulses: at ``imp_t[k]`` (sorted,
    padded with +inf) add ``imp_amt[k]`` to state ``imp_idx[k]``.

    The linear algebra runs in the block lower-triangular state ``order`` with diagonal blocks
    ``starts`` (``structure.py``): only the diagonal blocks are inverted, Jacobian entries above
    them are left out (zero for the model; a W-method keeps its order with such an approximation).

    Steps that start before ``t_history`` are judged with tolerances (relative and absolute)
    ``history_factor`` times looser; ``t_history`` should be a hard output, so that no step
    straddles it.
    """
    n = y0.shape[0]
    n_out = t_out.shape[0]
    y = y0.copy()
    t = t_out[0]
    t_end = t_out[n_out - 1]
    for i in range(n):
        out[0, i] = y[i]
    k_out = 1
    while k_out < n_out and t_out[k_out] <= t:  # outputs at the start: before any dose there
        for i in range(n):
            out[k_out, i] = y[i]
        k_out += 1
    k_brk = 0
    while k_brk < breaks.shape[0] and breaks[k_brk] <= t:
        k_brk += 1
    u = u_seg[k_brk]
    k_imp = 0
    while k_imp < imp_t.shape[0] and imp_t[k_imp] <= t:
        if imp_t[k_imp] == t:
            y[imp_idx[k_imp]] += imp_amt[k_imp]
        k_imp += 1
    f = np.empty(n)
    rhs_into(t, y, p, u, f)
    f_new = np.empty(n)
    jac = np.zeros((n, n))
    mat = np.zeros((n, n))
    piv = np.empty(n, dtype=np.int64)
    x = np.empty(n)
    work = np.empty(n)
    off_ptr, off_col, off_src = off_block_pattern(order, starts, col_ptr, col_rows)
    off_val = np.empty(off_col.shape[0])
    stages = np.empty((4, n))
    ys = np.empty(n)
    y_new = np.empty(n)
    rhs_v = np.empty(n)
    h = _start_step(y, f, rtol, atol)
    h = min(max(1e-3 if h == np.inf else h, 1e-6), h_max)
    jac_age = JACOBIAN_AGE + 1
    mat_h = -1.0
    steps = 0
    dose_kinds = np.full(DOSE_MEMORY, -1, dtype=np.int64)  # first step after a dose, per kind
    dose_h = np.zeros(DOSE_MEMORY)
    slot = -1  # the kind whose first step is pending (-1: none)
    while t < t_end:
        if steps >= max_steps:
            return -1
        # next hard stop: output time, breakpoint, impulse or the end
        stop = t_end
        k_hard = k_out  # outputs not marked ``hard`` are interpolated, not stepped onto
        while k_hard < n_out and not hard[k_hard]:
            k_hard += 1
        if k_hard < n_out and t_out[k_hard] < stop:
            stop = t_out[k_hard]
        if k_brk < breaks.shape[0] and breaks[k_brk] < stop:
            stop = breaks[k_brk]
        if k_imp < imp_t.shape[0] and imp_t[k_imp] < stop:
            stop = imp_t[k_imp]
        h_try = min(h, h_max)
        hit = False
        if t + h_try >= stop - 1e-12 * max(1.0, abs(stop)):
            h_try = stop - t
            hit = True
        if jac_age > JACOBIAN_AGE:
            _jacobian(t, y, f, p, u, colors, col_ptr, col_rows, jac)
            jac_age = 0
            mat_h = -1.0
        if mat_h != h_try:
            for b in range(starts.shape[0] - 1):  # diagonal blocks, dense
                for a in range(starts[b], starts[b + 1]):
                    for c in range(starts[b], starts[b + 1]):
                        mat[a, c] = -jac[order[a], order[c]]
                    mat[a, a] += 1.0 / (GAMMA * h_try)
            for k in range(off_col.shape[0]):  # left of them: the pattern's entries only
                off_val[k] = -jac[off_src[k, 0], off_src[k, 1]]
            if not block_inverse_factor(mat, piv, starts):
                h = h_try * 0.25
                jac_age = JACOBIAN_AGE + 1
                if h < 1e-10:
                    return -1
                continue
            mat_h = h_try
        for s in range(4):
            if s == 0:
                for i in range(n):
                    rhs_v[i] = f[i]
            else:
                for i in range(n):
                    acc = y[i]
                    for j in range(s):
                        acc += a_t[s, j] * stages[j, i]
                    ys[i] = acc
                rhs_into(t + c_stage[s] * h_try, ys, p, u, rhs_v)
            for j in range(s):
                cj = c_t[s, j] / h_try
                for i in range(n):
                    rhs_v[i] += cj * stages[j, i]
            for a in range(n):
                x[a] = rhs_v[order[a]]
            block_inverse_solve(mat, starts, off_ptr, off_col, off_val, x, work)
            for a in range(n):
                stages[s, order[a]] = x[a]
        err = 0.0
        ok = True
        loosen = history_factor if t < t_history else 1.0
        for i in range(n):
            acc = y[i]
            est = 0.0
            for s in range(4):
                acc += m_t[s] * stages[s, i]
                est += e_t[s] * stages[s, i]
            y_new[i] = acc
            if not np.isfinite(acc):
                ok = False
            sc = (atol[i] + rtol * max(abs(y[i]), abs(acc))) * loosen
            err += (est / sc) ** 2
        err = np.sqrt(err / n) if ok else 1e10
        steps += 1
        if err <= 1.0:
            t_new = stop if hit else t + h_try
            rhs_into(t_new, y_new, p, u, f_new)
            while k_out < n_out and t_out[k_out] <= t_new + 1e-9:
                if abs(t_out[k_out] - t_new) <= 1e-9:
                    for i in range(n):
                        out[k_out, i] = y_new[i]
                else:
                    _hermite(t, y, f, t_new, y_new, f_new, t_out[k_out], out[k_out])
                k_out += 1
            t = t_new
            for i in range(n):
                y[i] = y_new[i]
                f[i] = f_new[i]
            jac_age += 1
            factor = SAFETY * max(err, 1e-10) ** (-1.0 / 3.0)
            factor = min(5.0, max(0.2, factor))
            if slot >= 0:  # first step after a dose of this kind: remember what it predicts
                dose_h[slot] = remembered_step(h_try, factor)
                slot = -1
            jumped = False
            kind = 0
            if hit:
                while k_brk < breaks.shape[0] and breaks[k_brk] <= t:
                    k_brk += 1
                    u = u_seg[k_brk]
                    jumped = True
                while k_imp < imp_t.shape[0] and imp_t[k_imp] <= t:
                    y[imp_idx[k_imp]] += imp_amt[k_imp]
                    kind |= state_bit(imp_idx[k_imp])
                    k_imp += 1
                    jumped = True
                if jumped:
                    rhs_into(t, y, p, u, f)
            if hit:
                h = max(h, h_try * factor) if factor > 1.0 else h_try * factor
            elif KEEP_LOW <= factor <= KEEP_HIGH:
                h = h_try
            else:
                h = h_try * factor
            if jumped:  # a dose changed the problem: at most a step fit for its time scale
                known = False
                if kind != 0:
                    slot, known = dose_slot(dose_kinds, kind)
                if known:  # the step the last dose of this kind predicted
                    h = min(h, dose_h[slot])
                else:
                    h = min(h, max(_start_step(y, f, rtol, atol), 1e-6))
        else:
            factor = SAFETY * err ** (-1.0 / 3.0)
            h = h_try * min(0.5, max(0.1, factor))
            if jac_age > STALE_AFTER_REJECT:
                jac_age = JACOBIAN_AGE + 1  # a stale Jacobian may be the problem: refresh it
            if h < 1e-12 * max(1.0, abs(t)):
                return -1
    return steps


def solve_batch(y0: Any, p: Any, u: Any, t_out: Any, breaks: Any, imp_t: Any,
                imp_idx: Any, imp_amt: Any, rtol: float, atol: Any, h_max: float, max_steps: int,
                a_t: Any, c_t: Any, m_t: Any, e_t: Any, c_stage: Any, order: Any, starts: Any,
                colors: Any, col_ptr: Any, col_rows: Any, hard: Any, t_history: float,
                history_factor: float, out: Any, steps: Any) -> None:
    """``solve_person`` for every row of ``y0``/``p``/``u`` in parallel (numba threads).

    Shapes: y0 (N, n), p (N, k), u (N, nb + 1, q), t_out (N, T) (each row starts at that
    person's initial time), breaks (N, nb) padded with +inf, impulses (N, ni) padded with +inf
    times; out (N, T, n); steps (N,) gets the step counts (-1 = failed).
    """
    for i in prange(y0.shape[0]):
        steps[i] = solve_person(y0[i], p[i], u[i], t_out[i], breaks[i], imp_t[i], imp_idx[i],
                                imp_amt[i], rtol, atol, h_max, max_steps, a_t, c_t, m_t, e_t,
                                c_stage, order, starts, colors, col_ptr, col_rows, hard,
                                t_history, history_factor, out[i])


def rhs(t: float, y: Any, p: Any, u: Any) -> Any:  # pragma: no cover - rebound by ``solver``
    """Placeholder for the right-hand side; ``solver(rhs)`` binds the real one."""
    raise NotImplementedError


def rhs_into(t: float, y: Any, p: Any, u: Any, dy: Any) -> None:
    """``dy[:] = rhs(t, y, p, u)``: the generic in-place form (the model has its own,
    ``model.rhs_into``, which allocates nothing)."""
    f = rhs(t, y, p, u)
    for i in range(dy.shape[0]):
        dy[i] = f[i]


_SOLVERS: dict[int, Any] = {}


@lru_cache(maxsize=1)
def model_jacobian() -> Any:
    """``_jacobian`` compiled for the model's RHS (``model.rhs_into``), disk-cached per model
    version; shared by the batch solver and the one-person fast path."""
    from osteotwin.physiology import model
    from osteotwin.scale.kernels import bind, model_tag

    return bind(_jacobian, {"rhs_into": model.rhs_into}, tag=model_tag())


def solver(rhs_function: Any) -> Any:
    """``solve_batch`` compiled for ``rhs_function``; the model's RHS gets a disk-cached kernel."""
    from osteotwin.physiology import model
    from osteotwin.scale.kernels import bind, model_tag

    key = id(rhs_function)
    if key not in _SOLVERS:
        if rhs_function is model.rhs:
            tag: str | None = model_tag()
            into = model.rhs_into
            jac = model_jacobian()
        else:
            tag = None
            into = bind(rhs_into, {"rhs": rhs_function}, tag=None)
            jac = bind(_jacobian, {"rhs_into": into}, tag=None)
        person = bind(solve_person, {"rhs_into": into, "_jacobian": jac}, tag=tag)
        _SOLVERS[key] = bind(solve_batch, {"solve_person": person}, tag=tag, parallel=True,
                             nogil=True)  # other Python threads run while people are solved
    return _SOLVERS[key]


def integrate(rhs: Any, y0: NDArray[np.float64], p: NDArray[np.float64],
              u: NDArray[np.float64], t_out: NDArray[np.float64], *,
              breaks: NDArray[np.float64] | None = None,
              impulses: tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]] | None = None,
              rtol: float = 1e-6, atol: float | NDArray[np.float64] = 1e-9,
              h_max: float = np.inf, max_steps: int = 200_000,
              structure: Structure | None = None, hard: NDArray[np.bool_] | None = None,
              history: tuple[float, float] = (-np.inf, 1.0),
              ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Solve N independent problems; returns (states (N, T, n), steps (N,)).

    ``u`` is (N, q) for constant inputs or (N, nb + 1, q) with ``breaks`` (N, nb); ``t_out`` is
    shared (T,) or per person (N, T); its first column is each person's initial time.
    ``structure``: order, blocks and column colouring of the Jacobian (``structure.py``);
    default dense (no structure assumed). ``hard`` (T,): the output times the solver steps
    exactly onto (default all); the others are read off the cubic Hermite interpolant of the
    step that spans them. ``history`` (t, factor): steps before time t (which should be a hard
    output) are judged with tolerances ``factor`` times looser (default: none).
    """
    n_people, n = y0.shape
    if u.ndim == 2:
        u = u[:, None, :]
    if breaks is None:
        breaks = np.full((n_people, u.shape[1] - 1 if u.shape[1] > 1 else 1), np.inf)
    if breaks.shape[1] + 1 != u.shape[1]:
        u = np.concatenate([u, np.repeat(u[:, -1:, :], breaks.shape[1] + 1 - u.shape[1], axis=1)],
                           axis=1)
    if impulses is None:
        impulses = (np.full((n_people, 1), np.inf), np.zeros((n_people, 1), np.int64),
                    np.zeros((n_people, 1)))
    atol_v = np.broadcast_to(np.asarray(atol, dtype=np.float64), (n,)).copy()
    if t_out.ndim == 1:
        t_out = np.repeat(t_out[None, :], n_people, axis=0)
    out = np.empty((n_people, t_out.shape[1], n))
    steps = np.empty(n_people, dtype=np.int64)
    st = structure if structure is not None else dense_structure(n)
    solver(rhs)(np.ascontiguousarray(y0), np.ascontiguousarray(p), np.ascontiguousarray(u),
                np.ascontiguousarray(t_out, dtype=np.float64), np.ascontiguousarray(breaks),
                *(np.ascontiguousarray(a) for a in impulses), float(rtol), atol_v, float(h_max),
                int(max_steps), A_T, C_T, M_T, E_T, C_STAGE,
                *(np.ascontiguousarray(a, dtype=np.int64) for a in st),
                np.ones(t_out.shape[1], np.bool_) if hard is None else np.asarray(hard, np.bool_),
                float(history[0]), float(history[1]), out, steps)
    return out, steps


def threads() -> int:
    """numba threads the batch solver uses (every core unless NUMBA_NUM_THREADS says otherwise)."""
    return int(numba.get_num_threads())
