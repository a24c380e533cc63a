"""Trajectory: the time series one simulation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Series every trajectory carries (spec/cli.md and the simulate API).
REQUIRED_SERIES: tuple[str, ...] = (
    "estradiol_pg_ml",
    "total_testosterone_ng_dl",
    "lh_iu_l",
    "ctx_change_pct",
    "p1np_change_pct",
    "lumbar_spine_bmd_change_pct",
    "total_hip_bmd_change_pct",
    "femoral_neck_bmd_change_pct",
    "vitamin_d_25oh_ng_ml",
    "pth_pg_ml",
    "serum_calcium_mg_dl",
)


@dataclass
class Trajectory:
    """Time points (days from scenario start) and named series of the same length.

    Changes (``*_change_pct``) are relative to the value at t = 0. Absolute ``<site>_bmd_g_cm2``
    and ``<site>_t_score`` are present when the baseline BMD at that site is known.
    """

    times_d: NDArray[np.float64]
    series: dict[str, NDArray[np.float64]]
    label: str = "current course"
    meta: dict[str, Any] = field(default_factory=dict)

    def at(self, name: str, time_d: float) -> float:
        """Linearly interpolated value of series ``name`` at ``time_d`` days."""
        return float(np.interp(time_d, self.times_d, self.series[name]))

    def to_json(self) -> dict[str, Any]:
        """JSON shape of spec/cli.md: ``{"times_d": [...], "series": {name: [...]}}``."""
        return {
            "label": self.label,
            "times_d": [round(float(t), 4) for t in self.times_d],
            "series": {k: [round(float(x), 6) for x in v] for k, v in self.series.items()},
        }
