"""One chunk of a virtual trial: draw its people, simulate them, evaluate endpoints -> Arrow table.

This is the unit of work every backend runs (in-process, in a worker process or on a Dask worker);
it depends only on the run specification and the chunk, so results do not depend on where it ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from osteotwin.scale.columns import column_infos, with_metadata
from osteotwin.scale.endpoints import EndpointColumn
from osteotwin.scale.plan import ChunkTask
from osteotwin.trials.endpoints import ArmSimulation
from osteotwin.trials.model import BMD_SITES, Trial

if TYPE_CHECKING:
    import pyarrow as pa

    from osteotwin.physiology.fracture import FractureParameters
    from osteotwin.physiology.parameters import ModelParameters
    from osteotwin.simulate.scenario import Scenario, Subject
    from osteotwin.trials.population import ArmPeople

Series = dict[str, NDArray[np.float64]]


class BatchSimulator(Protocol):
    """Simulates many people on one output grid; each series has shape (people, len(times_d))."""

    name: str

    def simulate(self, scenarios: Sequence[Scenario], params: NDArray[np.float64] | None,
                 times_d: NDArray[np.float64],
                 exact_d: NDArray[np.float64] | None = None) -> Series:
        """``exact_d``: the output times a solver must step exactly onto (default: all); it may
        read the others off its interpolant."""


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs to compute any chunk of a run (picklable). ``parameters`` and
    ``fracture`` are the central model and fracture-hazard parameters the run records in its
    manifest, shipped to every worker so that all of them simulate with that set (None: the
    worker's own ``current_parameters()`` and packaged fracture parameters)."""

    trial: Trial
    columns: tuple[EndpointColumn, ...]
    times_d: NDArray[np.float64]
    seed: int
    parameters: ModelParameters | None = None
    fracture: FractureParameters | None = None

    @property
    def reading_times_d(self) -> NDArray[np.float64]:
        """The points the hormone columns' dosing-cycle means need that ``times_d`` lacks
        (``trials.endpoints.reading_times`` over every arm: each arm gets every column)."""
        from osteotwin.trials.endpoints import extra_times, reading_times
        from osteotwin.trials.population import arm_regimens

        regimens = {arm.id: arm_regimens(self.trial, arm) for arm in self.trial.arms}
        return extra_times(self.times_d, reading_times(
            (c.as_endpoint() for c in self.columns), regimens))

    @property
    def grid_d(self) -> NDArray[np.float64]:
        """The times simulated: ``times_d`` and the ``reading_times_d``."""
        return np.union1d(self.times_d, self.reading_times_d)


def exact_times(columns: Sequence[EndpointColumn]) -> NDArray[np.float64]:
    """Times every endpoint reads (its ``at`` and ``from``, and t = 0, the reference of every
    change): the solvers step exactly onto these; the monthly grid between them is interpolated."""
    times = [0.0, *(c.at_d for c in columns), *(c.from_d for c in columns)]
    return np.unique(np.array(times, dtype=np.float64))


def draw_chunk(spec: RunSpec, task: ChunkTask) -> tuple[ArmPeople, NDArray[np.float64]]:
    """The chunk's virtual people and their model parameters (see ``plan.py`` for the seeding;
    parameter draws are keyed by the run's seed, the person and the parameter's name)."""
    from osteotwin.physiology.parameters import parameters_for_people
    from osteotwin.trials.population import DRAW_NAMES, StandardDraws, draw_people

    normals = task.standard_normals(len(DRAW_NAMES))
    draws = StandardDraws({name: normals[:, j].copy() for j, name in enumerate(DRAW_NAMES)},
                          task.size)
    people = draw_people(spec.trial, spec.trial.arms[task.arm_index], draws)
    base = spec.parameters if spec.parameters is not None else _current_parameters()
    params = parameters_for_people(np.arange(task.start, task.stop, dtype=np.int64), task.seed,
                                   base=base)
    return people, np.asarray(params, dtype=np.float64)


def _current_parameters() -> ModelParameters:
    """``current_parameters()``, read again only when the parameter file it reads (the one named
    by ``OSTEOTWIN_PARAMETERS``, else the packaged fitted file) or that variable changes (parsing
    the YAML costs more than drawing a thousand people)."""
    import os
    from pathlib import Path

    from osteotwin.physiology.parameters import (
        FITTED_PARAMETERS_PATH,
        PARAMETERS_ENV,
        current_parameters,
    )

    chosen = os.environ.get(PARAMETERS_ENV) or ""
    path = Path(chosen) if chosen else FITTED_PARAMETERS_PATH
    key: tuple[object, ...]
    try:
        stat = path.stat()
        key = (chosen, stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        key = (chosen,)
    if _PARAMETERS_CACHE.get("key") != key:
        _PARAMETERS_CACHE["key"] = key
        _PARAMETERS_CACHE["value"] = current_parameters()
    return cast("ModelParameters", _PARAMETERS_CACHE["value"])


_PARAMETERS_CACHE: dict[str, object] = {}


def evaluate_chunk(spec: RunSpec, task: ChunkTask, people: ArmPeople,
                   series: Mapping[str, NDArray[np.float64]]) -> pa.Table:
    """Per-person endpoint values of a simulated chunk as an Arrow table."""
    import pyarrow as pa

    from osteotwin.trials.endpoints import add_published_levels, person_values
    from osteotwin.trials.population import arm_regimens

    series = dict(series)
    add_published_levels(series, spec.trial.arms[task.arm_index].population.baseline)
    subjects = [s.subject for s in people.scenarios]
    ages = np.array([s.age_y for s in subjects], dtype=np.float64)
    hip = [s.bmd_g_cm2.get("total_hip") for s in subjects]
    baseline_hip = (np.array(hip, dtype=np.float64)
                    if all(h is not None for h in hip) and hip else None)
    arm = spec.trial.arms[task.arm_index]
    sim = ArmSimulation(arm_id=task.arm_id, times_d=spec.grid_d, series=series,
                        ages_y=ages, sex=subjects[0].sex if subjects else "female",
                        baseline_hip_bmd_g_cm2=baseline_hip,
                        prior_fracture=people.prior_fracture if people.prior_fracture.size else None,
                        regimens=arm_regimens(spec.trial, arm),
                        reading_times_d=spec.reading_times_d)
    data: dict[str, pa.Array] = {
        "arm_index": pa.array(np.full(task.size, task.arm_index, dtype=np.int16)),
        "arm_id": pa.array([task.arm_id] * task.size, type=pa.string()),
        "person": pa.array(np.arange(task.start, task.stop, dtype=np.int64)),
        "chunk": pa.array(np.full(task.size, task.chunk_index, dtype=np.int32)),
        "age_y": pa.array(ages),
        "weight_kg": pa.array(np.array([s.weight_kg for s in subjects], dtype=np.float64)),
    }
    data.update({name: pa.array(values) for name, values in covariates(subjects, sim).items()})
    for column in spec.columns:
        values = person_values(column.as_endpoint(), sim, spec.fracture)
        data[column.name] = pa.array(np.asarray(values, dtype=np.float64))
    return with_metadata(pa.table(data), column_infos(spec.trial, spec.columns))


def covariates(subjects: Sequence[Subject], sim: ArmSimulation) -> dict[str, NDArray[np.float64]]:
    """Each person's baseline covariates (``columns.BASE_COLUMNS`` after weight, and the BMD and
    T-scores drawn for the arm): years since menopause (NaN for men), estradiol and testosterone
    at study start as simulated, the drawn BMD and T-scores."""
    from osteotwin.scale.columns import BASELINE_HORMONES, bmd_column, t_score_column

    def column(values: Sequence[float | None]) -> NDArray[np.float64]:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    found = {"years_since_menopause": column([s.years_since_menopause for s in subjects])}
    for name, (series, _, _) in BASELINE_HORMONES.items():
        if series in sim.series:
            found[name] = np.asarray(sim.at(series, 0.0), dtype=np.float64)
    first = subjects[0] if subjects else None
    for site in BMD_SITES:
        if first is not None and site in first.bmd_g_cm2:
            found[bmd_column(site)] = column([s.bmd_g_cm2.get(site) for s in subjects])
        if first is not None and site in first.t_scores:
            found[t_score_column(site)] = column([s.t_scores.get(site) for s in subjects])
    return found


def compute_chunk(spec: RunSpec, task: ChunkTask, simulator: BatchSimulator) -> pa.Table:
    """Draw, simulate and evaluate one chunk."""
    people, params = draw_chunk(spec, task)
    series = simulator.simulate(people.scenarios, params, spec.grid_d,
                                exact_d=exact_times(spec.columns))
    return evaluate_chunk(spec, task, people, series)
