"""Simulation of one person (and the API shared by batch, trial and validation code).

``simulate(scenario, params=None, method="fast"|"reference", times_d=None) -> Trajectory``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from osteotwin.simulate.scenario import Lifestyle, Regimen, Scenario, Subject
from osteotwin.simulate.trajectory import Trajectory

if TYPE_CHECKING:
    from osteotwin.simulate.single import simulate

__all__ = ["Lifestyle", "Regimen", "Scenario", "Subject", "Trajectory", "simulate"]


def __getattr__(name: str) -> object:
    # ``simulate`` pulls in numpy/scipy/numba: import it lazily.
    if name == "simulate":
        from osteotwin.simulate.single import simulate

        return simulate
    raise AttributeError(name)
