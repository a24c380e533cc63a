"""CPU backend: every person's own adaptive stiff solve, compiled, across all cores.

Per chunk: individual inputs and dosing segments (``people.prepare_batch``), batched steady states
(``equilibrium.py``), then the ROS34PW2 Rosenbrock-W solver of ``rosenbrock.py`` on the model's
numba RHS in a ``numba.prange`` loop (one thread per core; ``--workers`` sets the thread count),
both using the block-triangular structure of the model's Jacobian (``structure.py``).
Tolerances: rtol 1e-4 with absolute floors ``rtol × error_scale`` (the model's typical magnitudes),
tighter than the single-person fast path (rtol 1e-3); agreement with the reference path is tested.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from osteotwin.simulate.scenario import Scenario

RTOL = 1e-4
#: People handed to a numba thread at a time (dynamic scheduling: a thread that the OS slows
#: down takes fewer people instead of holding the whole chunk back).
PEOPLE_PER_TASK = 8


class SolverFailure(RuntimeError):
    """The batch solver could not integrate some people (step size underflow / too many steps)."""


def solve_states(scenarios: Sequence[Scenario], params: NDArray[np.float64] | None,
                 times_d: NDArray[np.float64], rtol: float = RTOL,
                 exact_d: NDArray[np.float64] | None = None
                 ) -> tuple[object, NDArray[np.float64], NDArray[np.int64]]:
    """(batch, states (N, T + 1, n), steps per person) for ``scenarios`` at ``times_d``; the
    solver steps exactly onto the times in ``exact_d`` (default all) and interpolates the rest."""
    from osteotwin.physiology import model
    from osteotwin.physiology.states import error_scale
    from osteotwin.scale.people import prepare_batch
    from osteotwin.scale.rosenbrock import integrate
    from osteotwin.scale.structure import model_structure

    batch = prepare_batch(scenarios, params, times_d)
    times = np.asarray(times_d, dtype=np.float64)
    hard = np.concatenate([[True], np.ones(times.size, np.bool_) if exact_d is None
                           else np.isin(times, np.asarray(exact_d, dtype=np.float64))])
    with numba.parallel_chunksize(PEOPLE_PER_TASK):
        states, steps = integrate(model.rhs, batch.y0, batch.p, batch.seg_u, batch.t_out,
                                  breaks=batch.breaks(), impulses=batch.impulses(), rtol=rtol,
                                  atol=error_scale() * rtol, structure=model_structure(),
                                  hard=hard)
    if np.any(steps < 0):
        bad = np.flatnonzero(steps < 0)
        raise SolverFailure(f"the CPU solver failed for {bad.size} of {steps.size} people "
                            f"(first: person {int(bad[0])} of the chunk)")
    return batch, states, steps


class CpuSimulator:
    """``BatchSimulator`` on the CPU (see module docstring)."""

    name = "cpu"

    def __init__(self, workers: int | None = None) -> None:
        import numba

        available = int(getattr(numba.config, "NUMBA_NUM_THREADS"))  # noqa: B009
        self.threads = min(workers or os.cpu_count() or 1, available)
        numba.set_num_threads(self.threads)
        self.note = f"cpu: compiled ROS34PW2 per person, {self.threads} numba threads"
        self.steps_total = 0

    @classmethod
    @contextmanager
    def open(cls, workers: int | None = None) -> Iterator[CpuSimulator]:
        yield cls(workers)

    def simulate(self, scenarios: Sequence[Scenario], params: NDArray[np.float64] | None,
                 times_d: NDArray[np.float64], exact_d: NDArray[np.float64] | None = None
                 ) -> dict[str, NDArray[np.float64]]:
        from osteotwin.scale.people import Batch, series_from_states

        batch, states, steps = solve_states(scenarios, params, times_d, exact_d=exact_d)
        self.steps_total += int(steps.sum())
        assert isinstance(batch, Batch)
        return series_from_states(batch, states)
