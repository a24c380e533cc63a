"""The bridge from trials/calibration to the model (``osteotwin.simulate``, ``physiology.parameters``).

* ``default_parameter_rows()``: each virtual person's model parameters, drawn from the population
  distributions of ``osteotwin.physiology.parameters`` (around the fitted central values).
* ``default_simulator(workers)``: simulates many scenarios with the single-person fast path, over a
  process pool (spawn) when more than one worker is allowed and the population is large enough.
"""

from __future__ import annotations

import importlib
import os
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


def parameter_module() -> Any:
    """``osteotwin.physiology.parameters`` (imported lazily: it pulls in the compiled model)."""
    return importlib.import_module("osteotwin.physiology.parameters")


def simulate_function() -> Callable[..., Any]:
    """``osteotwin.simulate.single.simulate`` (imported lazily)."""
    simulate: Callable[..., Any] = importlib.import_module("osteotwin.simulate.single").simulate
    return simulate


def central_parameters(overrides: dict[str, float] | None = None) -> Any:
    """Central (fitted, else default) model parameters, with optional name -> value overrides."""
    module = parameter_module()
    params = module.default_parameters()
    if overrides:
        params = with_values(params, overrides)
    return params


def with_values(params: Any, overrides: dict[str, float]) -> Any:
    """A copy of ``params`` with some named values replaced."""
    values = np.array(params.values, dtype=float, copy=True)
    names = list(params.names)
    for name, value in overrides.items():
        values[names.index(name)] = value
    return from_row(params, values)


def from_row(template: Any, row: NDArray[np.float64]) -> Any:
    """``ModelParameters`` like ``template`` holding the values of ``row``."""
    module = parameter_module()
    maker = getattr(module, "parameters_from_vector", None)
    if maker is not None:
        return maker(np.asarray(row, dtype=float))
    import dataclasses

    return dataclasses.replace(template, values=np.asarray(row, dtype=float))


def default_parameter_rows(overrides: dict[str, float] | None = None, *, variability: bool = True
                           ) -> Callable[[np.random.Generator, int], NDArray[np.float64] | None]:
    """A sampler of per-person parameter rows (population variability around the central values).

    With ``variability=False`` every person gets the central values (rows of None -> central).
    """

    def rows(rng: np.random.Generator, n: int) -> NDArray[np.float64] | None:
        module = parameter_module()
        central = central_parameters(overrides)
        if not variability:
            return np.tile(np.asarray(central.values, dtype=float), (n, 1))
        drawn = np.asarray(module.sample_parameters(n, rng), dtype=float)
        if overrides:
            # sample_parameters draws around the packaged central values: shift to the overrides
            base = np.asarray(module.default_parameters().values, dtype=float)
            scale = np.asarray(central.values, dtype=float) / np.where(base == 0, 1.0, base)
            drawn = drawn * scale[None, :]
        return drawn

    return rows


def _simulate_chunk(payload: tuple[list[Scenario], NDArray[np.float64],
                                   NDArray[np.float64] | None]) -> dict[str, NDArray[np.float64]]:
    scenarios, times, rows = payload
    simulate = simulate_function()
    template = central_parameters()
    collected: dict[str, list[NDArray[np.float64]]] = {}
    for i, scenario in enumerate(scenarios):
        params = template if rows is None else from_row(template, rows[i])
        trajectory = simulate(scenario, params=params, method="fast", times_d=times)
        for name, values in trajectory.series.items():
            collected.setdefault(name, []).append(np.asarray(values, dtype=float))
    return {name: np.vstack(v) for name, v in collected.items() if len(v) == len(scenarios)}


def default_simulator(workers: int = 1) -> Callable[
        [Sequence[Scenario], NDArray[np.float64], NDArray[np.float64] | None],
        dict[str, NDArray[np.float64]]]:
    """Simulate scenarios with the single-person fast path (parallel over ``workers`` processes)."""

    def run(scenarios: Sequence[Scenario], times: NDArray[np.float64],
            rows: NDArray[np.float64] | None) -> dict[str, NDArray[np.float64]]:
        people = list(scenarios)
        chunks = [(people[i:i + CHUNK], times, None if rows is None else rows[i:i + CHUNK])
                  for i in range(0, len(people), CHUNK)]
        if workers <= 1 or len(people) < MIN_PEOPLE_FOR_POOL:
            parts = [_simulate_chunk(c) for c in chunks]
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                parts = list(pool.map(_simulate_chunk, chunks))
        names = set.intersection(*(set(p) for p in parts)) if parts else set()
        return {name: np.vstack([p[name] for p in parts]) for name in sorted(names)}

    return run


def cpu_count() -> int:
    return max(1, os.cpu_count() or 1)
