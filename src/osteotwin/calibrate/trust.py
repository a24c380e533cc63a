"""Trust-region steps on a linear model of the scored predictions (pure numerics, no simulation).

Stage 1 of the calibration (``osteotwin.calibrate.fit``) models the endpoint means of the scored
population near the current point ``x`` as ``F(x + dx) ≈ F(x) + J·dx``: ``F(x)`` is the full
population's prediction (the anchor; output space mapping: the level comes from what is scored),
``J`` a finite-difference Jacobian of a small population with the same random numbers, refreshed
by Broyden updates from the anchors. ``model_step`` minimises the robust hinge objective of that
model inside a box (trust region); ``count_step`` instead maximises how many modelled means land
inside their scoring intervals, then inside the shrunk ones: a mixed-integer linear programme
(binaries per endpoint, big-M constraints; HiGHS through ``scipy.optimize.milp``) that can move
several endpoints across their interval edges at once where the smooth cost sees only a small
gain. The caller accepts or rejects either step on the full population.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteotwin.calibrate.objective import (
    hinge_residuals,
    hinge_slopes,
    robust_cost,
    robust_derivative,
)

#: Weight of the step-length penalty (search-space units): among equally good steps, the shortest.
DAMPING = 0.05


@dataclass(frozen=True)
class Targets:
    """Scoring intervals of the fitted endpoints (arrays in endpoint order) and the safety margin."""

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    margin: float = 0.25
    loss: str = "cauchy"  # robust loss of the hinge residuals (objective.LOSSES)

    def residuals(self, predicted: NDArray[np.float64]) -> NDArray[np.float64]:
        return hinge_residuals(predicted, self.low, self.high, self.margin)

    def cost(self, predicted: NDArray[np.float64]) -> float:
        """Robust cost of the hinge residuals (0 when every mean is inside its shrunk interval)."""
        return robust_cost(self.residuals(predicted), self.loss)

    def shrunk(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The scoring intervals shrunk by ``margin`` of their half-width on each side."""
        half = 0.5 * (self.high - self.low)
        return self.low + self.margin * half, self.high - self.margin * half

    def passed(self, predicted: NDArray[np.float64]) -> int:
        """How many predicted means lie inside their (unshrunk) scoring intervals."""
        return count_inside(predicted, self.low, self.high)

    def passed_with_margin(self, predicted: NDArray[np.float64]) -> int:
        """How many predicted means lie inside their intervals shrunk by the margin."""
        return count_inside(predicted, *self.shrunk())


def count_inside(predicted: NDArray[np.float64], low: NDArray[np.float64],
                 high: NDArray[np.float64], tolerance: float = 0.0) -> int:
    """How many finite ``predicted`` lie within [low − tolerance, high + tolerance]."""
    inside = (np.isfinite(predicted) & (predicted >= low - tolerance)
              & (predicted <= high + tolerance))
    return int(np.sum(inside))


def broyden_update(
    jac: NDArray[np.float64], dx: NDArray[np.float64], df: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Broyden's rank-one update: the new Jacobian maps ``dx`` exactly onto the observed ``df``.

    Rows whose change is not finite (a missing prediction) are left as they were.
    """
    norm = float(dx @ dx)
    if norm <= 0.0:
        return jac
    mismatch = df - jac @ dx
    mismatch = np.where(np.isfinite(mismatch), mismatch, 0.0)
    updated: NDArray[np.float64] = jac + np.outer(mismatch, dx) / norm
    return updated


def model_step(
    predicted: NDArray[np.float64],
    jac: NDArray[np.float64],
    targets: Targets,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> tuple[NDArray[np.float64], float]:
    """(dx, model cost): the box-bounded step minimising the hinge cost of ``predicted + jac·dx``.

    ``lower``/``upper`` bound ``dx`` (trust region intersected with the parameter bounds; they must
    bracket 0). Missing predictions (NaN) are held fixed.
    """
    from scipy.optimize import minimize

    base = np.where(np.isfinite(predicted), predicted, np.nan)
    size = jac.shape[1]
    if size == 0 or not np.any(upper > lower):
        return np.zeros(size), targets.cost(base)
    j = np.where(np.isfinite(jac), jac, 0.0)

    def model(dx: NDArray[np.float64]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = base + j @ dx
        return result

    def objective(dx: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """Robust hinge cost of the model plus the step penalty, and its gradient."""
        m = model(dx)
        r = targets.residuals(m)
        slopes = hinge_slopes(m, targets.low, targets.high, targets.margin)
        gradient = j.T @ (slopes * robust_derivative(r, targets.loss)) + 2.0 * DAMPING**2 * dx
        return robust_cost(r, targets.loss) + float(DAMPING**2 * dx @ dx), gradient

    # L-BFGS-B: robust from a start on the box's faces (trust-region-reflective stalls there)
    box = list(zip(np.minimum(lower, 0.0), np.maximum(upper, 0.0), strict=True))
    solution = minimize(
        objective,
        np.zeros(size),
        jac=True,
        method="L-BFGS-B",
        bounds=box,
        options={"maxiter": 1000},
    )
    dx: NDArray[np.float64] = np.clip(solution.x, np.minimum(lower, 0.0), np.maximum(upper, 0.0))
    return dx, targets.cost(model(dx))


#: Share of each interval's half-width the count step keeps clear of the edges it aims for.
COUNT_EDGE_INSET = 0.02
#: Wall-time limit of one mixed-integer solve (seconds); the best solution found by then is used.
COUNT_STEP_TIME_LIMIT_S = 30.0


def count_step(
    predicted: NDArray[np.float64],
    jac: NDArray[np.float64],
    targets: Targets,
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> tuple[NDArray[np.float64], int]:
    """(dx, endpoints the model puts inside the scoring intervals): the box-bounded step that
    maximises, in this order, the number of ``predicted + jac·dx`` inside their scoring intervals,
    the number also inside their intervals shrunk by ``targets.margin`` (a safety margin for the
    linear model's error), and the shortness of the step (L1) — the order in which the caller
    accepts steps (``Targets.passed``, ``Targets.passed_with_margin``), so a step it rejected
    for a reason the model saw is not proposed again.

    Endpoint i counts at a level (binary = 1) only if lo ≤ F_i + J_i·dx ≤ hi for that level's
    interval; with the binary 0 the rows are relaxed by M_i, larger than any value the box lets
    J_i·dx reach. Lexicographic weights: 1 per scored pass, 1/(m + 1) per margin pass (m
    endpoints), and a step-length weight too small to trade for either. A step the model does not
    rank above standing still is returned as zero (the caller then stops). Missing predictions are
    left out.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    size = jac.shape[1]
    lo_box, hi_box = np.minimum(lower, 0.0), np.maximum(upper, 0.0)
    rows = np.flatnonzero(np.isfinite(predicted) & np.all(np.isfinite(jac), axis=1))
    if size == 0 or rows.size == 0 or not np.any(hi_box > lo_box):
        return np.zeros(size), 0
    m = rows.size
    margin_weight = 1.0 / (m + 1.0)
    shrunk_low, shrunk_high = targets.shrunk()
    levels = [(targets.low[rows], targets.high[rows], 1.0),
              (shrunk_low[rows], shrunk_high[rows], margin_weight)]
    f = predicted[rows]
    j = jac[rows]
    reach_box = np.maximum(np.abs(lo_box), np.abs(hi_box))
    length_weight = margin_weight / (10.0 * (1.0 + float(np.sum(reach_box))))
    reach = np.abs(j) @ reach_box
    # variables: dx (size), |dx| (size), one binary per endpoint and level (m each)
    constraints = []
    for level, (lo_level, hi_level, _) in enumerate(levels):
        # aim a hair inside each interval: the step is rounded to the written precision and the
        # solver meets constraints only to its tolerance, so a mean placed on an edge may miss it
        inset = COUNT_EDGE_INSET * 0.5 * (hi_level - lo_level)
        lo, hi = lo_level + inset, hi_level - inset
        big = reach + np.abs(f - lo) + np.abs(f - hi) + 1.0
        pick = np.zeros((m, 2 * m))
        pick[:, level * m:(level + 1) * m] = np.diag(big)
        step = np.hstack([j, np.zeros((m, size))])
        constraints.append(LinearConstraint(np.hstack([step, pick]), -np.inf, hi - f + big))
        constraints.append(LinearConstraint(np.hstack([step, -pick]), lo - f - big, np.inf))
    ident = np.eye(size)
    abs_rows = np.vstack([np.hstack([ident, -ident]), np.hstack([-ident, -ident])])
    constraints.append(LinearConstraint(np.hstack([abs_rows, np.zeros((2 * size, 2 * m))]),
                                        -np.inf, 0.0))  # ±dx - |dx| <= 0
    objective = np.concatenate([np.zeros(size), np.full(size, length_weight),
                                *(np.full(m, -weight) for _, _, weight in levels)])
    bounds = Bounds(np.concatenate([lo_box, np.zeros(size + 2 * m)]),
                    np.concatenate([hi_box, reach_box, np.ones(2 * m)]))
    integrality = np.concatenate([np.zeros(2 * size), np.ones(2 * m)])
    with _native_stdout_silenced():  # HiGHS' MIP solver prints progress lines from C++
        solution = milp(objective, constraints=constraints, bounds=bounds,
                        integrality=integrality,
                        options={"time_limit": COUNT_STEP_TIME_LIMIT_S, "disp": False})
    if solution.x is None:
        return np.zeros(size), 0
    dx: NDArray[np.float64] = np.clip(solution.x[:size], lo_box, hi_box)

    def counts(means: NDArray[np.float64]) -> tuple[int, ...]:
        return tuple(count_inside(means, lo, hi, 1e-9) for lo, hi, _ in levels)

    now, then = counts(f), counts(f + j @ dx)
    if then <= now:  # within the solver's optimality gap any step of equal counts is "optimal"
        return np.zeros(size), now[0]
    return dx, then[0]


@contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null for the duration (output written by native code)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
