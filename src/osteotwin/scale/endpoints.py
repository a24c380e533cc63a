"""Per-person endpoint columns of a virtual trial, evaluated with the trial package's endpoint rules.

One column per distinct (quantity, ``at``, ``from``) of the trial file; every arm gets every column,
so arm-minus-arm contrasts can be paired per person. Values come from
``osteotwin.trials.endpoints.person_values`` (the same rules ``osteotwin validate`` scores with).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from osteotwin.trials.model import Endpoint, Trial, Uncertainty

#: Endpoints written when a trial file names none (at the trial horizon).
DEFAULT_QUANTITIES: tuple[str, ...] = (
    "estradiol", "total_testosterone", "lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct",
    "femoral_neck_bmd_change_pct",
)
#: Spacing of the simulated output grid (days): monthly, so fracture hazards integrate smoothly.
GRID_STEP_D = 30.4375


@dataclass(frozen=True)
class EndpointColumn:
    """One per-person output column: ``quantity`` at ``at_d`` days, measured from ``from_d`` days."""

    quantity: str
    at_d: float
    from_d: float
    at_text: str

    @property
    def name(self) -> str:
        base = f"{self.quantity}@{self.at_text}"
        return base if self.from_d == 0.0 else f"{base} from {self.from_d:g} d"

    def as_endpoint(self) -> Endpoint:
        """An endpoint with this column's quantity and times (value unknown), for evaluation."""
        return Endpoint(quantity=self.quantity, at_d=self.at_d, at_text=self.at_text,
                        value=math.nan, unit=None, uncertainty=Uncertainty(), arm="",
                        from_d=self.from_d)


def endpoint_columns(trial: Trial) -> tuple[EndpointColumn, ...]:
    """The distinct endpoint columns of a trial, in file order (defaults when it names none)."""
    seen: dict[str, EndpointColumn] = {}
    for e in trial.endpoints:
        column = EndpointColumn(e.quantity, e.at_d, e.from_d, e.at_text)
        seen.setdefault(column.name, column)
    if not seen:
        at_d = 5 * 365.25
        for quantity in DEFAULT_QUANTITIES:
            column = EndpointColumn(quantity, at_d, 0.0, "5 y")
            seen[column.name] = column
    return tuple(seen.values())


def horizon_d(columns: tuple[EndpointColumn, ...]) -> float:
    """Latest time any column needs (days)."""
    return max(c.at_d for c in columns)


def output_times(columns: tuple[EndpointColumn, ...]) -> NDArray[np.float64]:
    """Sorted output times (days): a monthly grid to the horizon plus every ``at`` and ``from``."""
    end = horizon_d(columns)
    grid = np.arange(0.0, end, GRID_STEP_D)
    extra = [c.at_d for c in columns] + [c.from_d for c in columns] + [0.0, end]
    times = np.unique(np.concatenate([grid, np.array(extra, dtype=np.float64)]))
    return times[times >= 0.0]
