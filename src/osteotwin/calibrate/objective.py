"""Calibration objective: how far the model's trial predictions fall from the published intervals.

Each scored endpoint contributes a hinge residual (``hinge_residuals``): 0 inside its scoring
interval (published 95 % interval widened by the spec's floor) shrunk by a safety margin, else the
distance outside in half-widths. The fit minimises a robust loss of them (``robust_cost``: Cauchy or
soft-L1, so an endpoint the model structure cannot reach does not drag all others). Endpoints that
are reported but not scored (SD with unknown n) carry no residual; a missing prediction (NaN) gets
a fixed large residual.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from osteotwin.trials.endpoints import EndpointResult

MISSING_RESIDUAL = 10.0


def soft_l1_cost(residuals: NDArray[np.float64]) -> float:
    """Σ 2(√(1 + r²) − 1): quadratic near 0, linear for large |r| (scipy's soft_l1 loss)."""
    return float(np.sum(2.0 * (np.sqrt(1.0 + residuals**2) - 1.0)))


def pass_count(results: Sequence[EndpointResult]) -> tuple[int, int]:
    """(passed, scored) over the results."""
    scored = [r for r in results if r.scored]
    return sum(1 for r in scored if r.passed), len(scored)


def hinge_residuals(
    predicted: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    margin: float = 0.25,
) -> NDArray[np.float64]:
    """Distance of each predicted mean outside its scoring interval shrunk by a safety margin.

    With h the interval's half-width, the interval is shrunk by ``margin``·h on each side; the
    residual is 0 inside it and (distance outside) / h otherwise, signed (negative below). So a
    residual of ``1 - margin`` or less in size means the endpoint passes. A missing prediction (NaN)
    gets ``MISSING_RESIDUAL``.
    """
    half = np.maximum(0.5 * (high - low), 1e-9)
    lo = low + margin * half
    hi = high - margin * half
    r = (
        np.where(predicted > hi, predicted - hi, np.where(predicted < lo, predicted - lo, 0.0))
        / half
    )
    result: NDArray[np.float64] = np.where(np.isfinite(predicted), r, MISSING_RESIDUAL)
    return result


def hinge_slopes(
    predicted: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    margin: float = 0.25,
) -> NDArray[np.float64]:
    """d(hinge residual)/d(predicted): 1/h outside the shrunk interval, 0 inside (and for NaN)."""
    half = np.maximum(0.5 * (high - low), 1e-9)
    outside = (predicted > high - margin * half) | (predicted < low + margin * half)
    result: NDArray[np.float64] = np.where(outside & np.isfinite(predicted), 1.0 / half, 0.0)
    return result


#: Robust losses of a residual r (scipy's names): value ρ(r) and dρ/dr.
LOSSES = ("cauchy", "soft_l1")


def robust_cost(residuals: NDArray[np.float64], loss: str = "cauchy") -> float:
    """Σ ρ(r): ``soft_l1`` 2(√(1 + r²) − 1) grows linearly; ``cauchy`` ln(1 + r²) grows only
    logarithmically, so an endpoint far outside (one the structure cannot reach) hardly pulls."""
    if loss == "soft_l1":
        return soft_l1_cost(residuals)
    if loss == "cauchy":
        return float(np.sum(np.log1p(residuals**2)))
    raise ValueError(f"unknown loss {loss!r} (known: {', '.join(LOSSES)})")


def robust_derivative(residuals: NDArray[np.float64], loss: str = "cauchy") -> NDArray[np.float64]:
    """dρ/dr of ``robust_cost``'s terms."""
    if loss == "soft_l1":
        result: NDArray[np.float64] = 2.0 * residuals / np.sqrt(1.0 + residuals**2)
        return result
    if loss == "cauchy":
        cauchy: NDArray[np.float64] = 2.0 * residuals / (1.0 + residuals**2)
        return cauchy
    raise ValueError(f"unknown loss {loss!r} (known: {', '.join(LOSSES)})")
