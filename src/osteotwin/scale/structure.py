"""Structure of the model's Jacobian: sparsity pattern and block-triangular order (Tarjan).

The model's states feed each other one way at the top level (drug PK → hormones → bone and
calcium core → BMD and the cumulative calcium balances); only the core is a coupled loop. Ordering
the states by the strongly connected components of the dependency graph (Tarjan 1972, SIAM J
Comput 1:146; the block-triangular form of Duff & Reid 1978, ACM TOMS 4:137) makes the Jacobian
block *lower* triangular, so the stiff solvers factorise only the diagonal blocks (one block of
~17 states plus scalars instead of a dense 40 × 40 matrix; ``block_lu.py``).

The pattern is read off forward differences of the compiled RHS at random states and inputs
around the model's reference (union over the samples, always with the diagonal); it depends only on
the model, never on the people being simulated, so every chunking of a run solves the same
equations the same way. Entries the sampling might miss cost accuracy nothing: ROS34PW2 is a
W-method (order kept with any approximate Jacobian) and its error control judges every step.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

SAMPLES = 24


def sparsity_pattern(
    rhs: Any,
    points: list[tuple[float, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]],
    scale: NDArray[np.float64],
) -> NDArray[np.bool_]:
    """(n, n) union of the nonzeros of forward-difference Jacobians of ``rhs(t, y, p, u)`` at
    ``points`` (t, y, p, u), with the diagonal; ``scale`` sets each column's perturbation."""
    n = scale.shape[0]
    pattern = np.eye(n, dtype=np.bool_)
    for t, y, p, u in points:
        f0 = np.asarray(rhs(t, y, p, u))
        for j in range(n):
            yp = y.copy()
            yp[j] += 1e-6 * max(abs(y[j]), scale[j])
            pattern[:, j] |= np.asarray(rhs(t, yp, p, u)) != f0
    return pattern


def block_triangular_order(
    pattern: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(order, starts): a state order in which ``pattern`` (row i depends on column j) is block
    lower triangular, and the start of each diagonal block (len = blocks + 1).

    Blocks are the strongly connected components of the graph j → i (Tarjan's algorithm, which
    emits components in reverse topological order); states keep their model order within a block.
    """
    n = pattern.shape[0]
    successors = [np.flatnonzero(pattern[:, j] & (np.arange(n) != j)).tolist() for j in range(n)]
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, 0)]  # iterative Tarjan: (node, next successor position)
        while work:
            v, pos = work.pop()
            if pos == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack[v] = True
            advanced = False
            while pos < len(successors[v]):
                w = successors[v][pos]
                pos += 1
                if index[w] < 0:
                    work.append((v, pos))
                    work.append((w, 0))
                    advanced = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    component.append(w)
                    if w == v:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    components.reverse()  # sources (states nothing else feeds) first
    order = np.array([v for c in components for v in c], dtype=np.int64)
    starts = np.cumsum([0, *(len(c) for c in components)]).astype(np.int64)
    return order, starts


def column_colors(pattern: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Groups of columns that share no row (greedy colouring, largest columns first; Curtis,
    Powell & Reid 1974, IMA J Appl Math 13:117): one RHS evaluation per group gives all their
    forward differences."""
    n = pattern.shape[1]
    clash = (pattern.T.astype(np.int64) @ pattern.astype(np.int64)) > 0
    colors = np.full(n, -1, dtype=np.int64)
    for j in sorted(range(n), key=lambda k: (-int(pattern[:, k].sum()), k)):
        used = set(colors[clash[j] & (colors >= 0)].tolist())
        colors[j] = next(c for c in range(n) if c not in used)
    return colors


class Structure(NamedTuple):
    """What the solvers use of a Jacobian's structure (arrays for the compiled kernels)."""

    order: NDArray[np.int64]  # states in block lower-triangular order
    starts: NDArray[np.int64]  # start of each diagonal block in ``order`` (len blocks + 1)
    colors: NDArray[np.int64]  # column groups for compressed finite differences
    col_ptr: NDArray[np.int64]  # pattern by column (CSC): rows of column j are
    col_rows: NDArray[np.int64]  # ``col_rows[col_ptr[j]:col_ptr[j + 1]]``

    @classmethod
    def of(cls, pattern: NDArray[np.bool_]) -> Structure:
        order, starts = block_triangular_order(pattern)
        rows = [np.flatnonzero(pattern[:, j]) for j in range(pattern.shape[1])]
        col_ptr = np.cumsum([0, *(r.size for r in rows)]).astype(np.int64)
        return cls(
            order, starts, column_colors(pattern), col_ptr, np.concatenate(rows).astype(np.int64)
        )

    def restricted(self, states: list[int]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(order, starts) of the block order kept to ``states`` (blocks left empty dropped)."""
        wanted = set(states)
        order: list[int] = []
        starts = [0]
        for lo, hi in zip(self.starts[:-1], self.starts[1:], strict=True):
            members = [int(v) for v in self.order[lo:hi] if int(v) in wanted]
            if members:
                order.extend(members)
                starts.append(len(order))
        return np.array(order, dtype=np.int64), np.array(starts, dtype=np.int64)


def dense_structure(n: int) -> Structure:
    """No structure assumed: model order, one dense block, every column on its own."""
    return Structure.of(np.ones((n, n), dtype=np.bool_))


@lru_cache(maxsize=1)
def model_structure() -> Structure:
    """Block-triangular order and column colouring of the model's Jacobian (module docstring).

    Sample points: untreated inputs of a man and of women before and after menopause, every
    input that is zero for them (drug rates, the clock switch) set to a random positive value,
    and states scattered around the reference state with every drug state positive."""
    from osteotwin.physiology import model
    from osteotwin.physiology import states as S
    from osteotwin.physiology.parameters import current_parameters
    from osteotwin.simulate.scenario import Subject
    from osteotwin.simulate.single import subject_inputs

    params = current_parameters()
    subjects = (
        Subject(sex="male", age_y=60.0, weight_kg=85.0),
        Subject(sex="female", age_y=50.0, weight_kg=65.0, years_since_menopause=-1.0),
        Subject(sex="female", age_y=68.0, weight_kg=75.0, years_since_menopause=15.0),
    )
    rng = np.random.default_rng(20050)
    scale = S.error_scale()
    reference = S.reference_state()
    points = []
    for k in range(SAMPLES):
        u = subject_inputs(subjects[k % len(subjects)], params)
        zero = u == 0.0
        u[zero] = rng.uniform(0.05, 1.0, int(zero.sum()))
        y = (
            reference * np.exp(rng.normal(0.0, 0.3, reference.size))
            + rng.uniform(0.05, 0.5, reference.size) * scale
        )
        points.append((float(rng.uniform(-3650.0, 3650.0)), y, params.values, u))
    return Structure.of(sparsity_pattern(model.rhs, points, scale))
