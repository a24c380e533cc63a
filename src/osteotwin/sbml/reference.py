"""The CC0 reference model BIOMD0000000613 (Peterson & Riggs 2010) run in libroadrunner.

Packaged copy: ``osteotwin/data/models/BIOMD0000000613.xml`` (BioModels, CC0 1.0; byte-exact copy of
``shared/data/models/BIOMD0000000613.xml``, see ``data/models/README.md``). Its time unit is the hour;
this module speaks days. Used by ``benchmarks/run.py`` to time our core against libroadrunner on the
same scenario, and to cross-check our calcium/PTH baseline against the published model.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

HOURS_PER_DAY = 24.0
#: Selections reported: plasma calcium (C1 = P/V1, mM), plasma PTH (C4 = PTH/V1, pM), osteoblasts,
#: osteoclasts (Peterson & Riggs 2010 Table/eqs; species notes in the SBML file).
REFERENCE_SELECTIONS: tuple[str, ...] = ("C1", "C4", "OB", "OC")


def reference_model_path() -> Path:
    """Path of the packaged BIOMD0000000613 SBML file."""
    return Path(str(files("osteotwin.data").joinpath("models", "BIOMD0000000613.xml")))


def load_roadrunner(sbml: str | Path) -> Any:
    """A RoadRunner instance for an SBML file path or an SBML document string."""
    import roadrunner

    return roadrunner.RoadRunner(str(sbml))


@dataclass(frozen=True)
class ReferenceRun:
    times_d: NDArray[np.float64]
    series: dict[str, NDArray[np.float64]]


def untreated(rr: Any) -> Any:
    """Switch off the model's built-in teriparatide doses (event dose set to 0 µg): no treatment."""
    rr.resetAll()
    rr["teri_dose_mcg"] = 0.0
    return rr


def simulate_reference(rr: Any, years: float, points_per_year: int = 12) -> ReferenceRun:
    """Run BIOMD0000000613 from its initial state for ``years`` and return series by day."""
    n_points = round(years * points_per_year) + 1
    rr.reset()  # initial state; changed parameters (e.g. ``untreated``) are kept
    rr.timeCourseSelections = ["time", *REFERENCE_SELECTIONS]
    result = np.asarray(rr.simulate(0.0, years * 365.25 * HOURS_PER_DAY, n_points))
    times_d = result[:, 0] / HOURS_PER_DAY
    return ReferenceRun(times_d=times_d,
                        series={name: result[:, i + 1] for i, name in enumerate(REFERENCE_SELECTIONS)})
