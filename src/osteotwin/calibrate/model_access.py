"""The bridge from trials/calibration to the model (``osteotwin.simulate``, ``physiology.parameters``).

* ``default_parameter_rows()``: each virtual person's model parameters, drawn from the population
  distributions of ``osteotwin.physiology.parameters`` (around the fitted central values).
* ``default_simulator(workers)``: simulates many scenarios with the single-person fast path, over a
  process pool (spawn) when more than one worker is allowed and the population is large enough.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np
from numpy.typing import NDArray

from osteotwin.simulate.scenario import Scenario

#: People per task sent to a worker process (each task should carry >= ~100 ms of work).
CHUNK = 50
#: Below this many people the pool's start-up costs more than it saves.
MIN_PEOPLE_FOR_POOL = 200
#: Below this many people in a run, the batch backend's compile time outweighs its speed.
BATCH_MIN_PEOPLE = 3000


def parameter_module() -> Any:
    """``osteotwin.physiology.parameters`` (imported lazily: it pulls in the compiled model)."""
    return importlib.import_module("osteotwin.physiology.parameters")


def simulate_function() -> Callable[..., Any]:
    """``osteotwin.simulate.single.simulate`` (imported lazily)."""
    simulate: Callable[..., Any] = importlib.import_module("osteotwin.simulate.single").simulate
    return simulate


def central_parameters(overrides: dict[str, float] | None = None, *, fitted: bool = True) -> Any:
    """Central model parameters (the packaged fit, or the literature defaults when ``fitted`` is
    False), with optional name -> value overrides."""
    module = parameter_module()
    params = module.current_parameters() if fitted else module.default_parameters()
    return params.replace(**overrides) if overrides else params


def from_row(template: Any, row: NDArray[np.float64]) -> Any:
    """``ModelParameters`` like ``template`` holding the values of ``row``."""
    return type(template)(np.asarray(row, dtype=float), template.names, template.provenance)


def default_parameter_rows(
    base: Any | None = None, *, variability: bool = True
) -> Callable[[np.random.Generator, int], NDArray[np.float64] | None]:
    """A sampler of per-person parameter rows: population variability around ``base`` (default:
    the packaged fitted set), the people of one call forming a Latin hypercube over the parameters
    (validation means then barely depend on the seed). With ``variability=False`` every person gets
    the central values."""

    def rows(rng: np.random.Generator, n: int) -> NDArray[np.float64] | None:
        module = parameter_module()
        central = base if base is not None else module.current_parameters()
        if not variability:
            return np.tile(np.asarray(central.values, dtype=float), (n, 1))
        drawn: NDArray[np.float64] = np.asarray(
            module.sample_parameters(n, rng, central, stratified=True), dtype=float
        )
        return drawn

    return rows


def _simulate_chunk(
    payload: tuple[list[Scenario], NDArray[np.float64], NDArray[np.float64] | None],
) -> dict[str, NDArray[np.float64]]:
    scenarios, times, rows = payload
    simulate = simulate_function()
    # with rows, the template only supplies names: the literature set (never fails to load)
    template = central_parameters() if rows is None else parameter_module().default_parameters()
    collected: dict[str, list[NDArray[np.float64]]] = {}
    for i, scenario in enumerate(scenarios):
        params = template if rows is None else from_row(template, rows[i])
        trajectory = simulate(scenario, params=params, method="fast", times_d=times)
        for name, values in trajectory.series.items():
            collected.setdefault(name, []).append(np.asarray(values, dtype=float))
    return {name: np.vstack(v) for name, v in collected.items() if len(v) == len(scenarios)}


class PoolSimulator:
    """Simulates scenarios with the single-person fast path, over a process pool (spawn) kept open
    between calls when ``workers`` > 1; call ``close()`` when done."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __call__(
        self,
        scenarios: Sequence[Scenario],
        times: NDArray[np.float64],
        rows: NDArray[np.float64] | None,
    ) -> dict[str, NDArray[np.float64]]:
        people = list(scenarios)
        size = max(1, min(CHUNK, -(-len(people) // max(self.workers, 1))))
        chunks = [
            (people[i : i + size], times, None if rows is None else rows[i : i + size])
            for i in range(0, len(people), size)
        ]
        if self.workers <= 1 or len(people) < MIN_PEOPLE_FOR_POOL:
            parts = [_simulate_chunk(c) for c in chunks]
        else:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=get_context("spawn")
                )
            parts = list(self._pool.map(_simulate_chunk, chunks))
        names = set.intersection(*(set(p) for p in parts)) if parts else set()
        return {name: np.vstack([p[name] for p in parts]) for name in sorted(names)}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class BatchBackendSimulator:
    """Adapter for a batch backend with ``simulate(scenarios, params, times_d)`` (the SCALE
    helper's compiled CPU backend, ``osteotwin.scale.cpu_backend.CpuSimulator``)."""

    def __init__(self, backend: Any, workers: int = 1) -> None:
        self.backend = backend
        self.note = str(getattr(backend, "note", getattr(backend, "name", "batch")))
        self.single = PoolSimulator(workers)
        #: whether the backend honours ``Scenario.lifestyle_from_t0`` (it says so by an attribute)
        self.lifestyle_changes = bool(getattr(backend, "supports_lifestyle_from_t0", False))

    def __call__(
        self,
        scenarios: Sequence[Scenario],
        times: NDArray[np.float64],
        rows: NDArray[np.float64] | None,
    ) -> dict[str, NDArray[np.float64]]:
        if any(s.lifestyle_from_t0 is not None for s in scenarios) and not self.lifestyle_changes:
            # the batch backend equilibrates and runs on one lifestyle: use the single-person path
            return self.single(scenarios, times, rows)
        series: dict[str, NDArray[np.float64]] = self.backend.simulate(scenarios, rows, times)
        return series

    def close(self) -> None:
        self.single.close()


def default_simulator(
    workers: int = 1, *, backend: str = "auto", people: int | None = None
) -> PoolSimulator | BatchBackendSimulator:
    """The population simulator.

    ``batch``: the compiled batch CPU backend (about 10x faster per person, but ~30 s to compile in
    each new process); ``single``: the single-person fast path over ``workers`` processes;
    ``auto``: batch when installed and the run simulates at least ``BATCH_MIN_PEOPLE`` people in all.
    """
    if backend == "auto" and people is not None and people < BATCH_MIN_PEOPLE:
        backend = "single"
    if backend in ("auto", "batch"):
        try:
            module = importlib.import_module("osteotwin.scale.cpu_backend")
        except ImportError:
            if backend == "batch":
                raise
        else:
            return BatchBackendSimulator(module.CpuSimulator(workers), workers)
    return PoolSimulator(workers)

