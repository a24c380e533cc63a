"""Trust-region steps on a linear model of the scored predictions (pure numerics, no simulation).

Stage 1 of the calibration (``osteotwin.calibrate.fit``) models the endpoint means of the scored
population near the current point ``x`` as ``F(x + dx) ≈ F(x) + J·dx``: ``F(x)`` is the full
population's prediction (the anchor; output space mapping: the level comes from what is scored),
``J`` a finite-difference Jacobian of a small population with the same random numbers, refreshed
by Broyden updates from the anchors. ``model_step`` minimises the robust hinge objective of that
model inside a box (trust region); the caller accepts or rejects the step on the full population.
"""

from __future__ import annotations

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

    def passed(self, predicted: NDArray[np.float64]) -> int:
        """How many predicted means lie inside their (unshrunk) scoring intervals."""
        inside = np.isfinite(predicted) & (predicted >= self.low) & (predicted <= self.high)
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
