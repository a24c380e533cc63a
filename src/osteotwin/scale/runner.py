"""Run a virtual trial: plan chunks, skip those already on disk, run the rest on a backend, summarise.

Backends: ``cpu`` (compiled solver over a process pool, every core), ``jax`` (batched float64
implicit solver; GPU when present, else CPU), ``dask`` (chunks as tasks on a Dask cluster) and
``ray`` (chunks as Ray tasks), the distributed two writing one Parquet file per task. The same seed
gives the same people on every backend.

The run simulates with one parameter set (``provenance.current_parameter_set``), shipped to every
worker; its digest, the osteotwin version and the model code's digest are in the run folder's
manifest (a resume with any other is refused) and, with the set's label and source, in the summary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osteotwin.errors import UserInputError
from osteotwin.scale import store
from osteotwin.scale.chunk import BatchSimulator, RunSpec, compute_chunk
from osteotwin.scale.columns import column_infos, manifest_info
from osteotwin.scale.endpoints import endpoint_columns, horizon_d, output_times
from osteotwin.scale.plan import DEFAULT_CHUNK_SIZE, ChunkTask, check_run_size, plan_chunks
from osteotwin.scale.progress import Advance, people_progress
from osteotwin.scale.provenance import current_parameter_set, model_code_sha256, osteotwin_version
from osteotwin.scale.summary import summarise, summary_csv
from osteotwin.trials.background import background_regimens
from osteotwin.trials.caveats import arm_caveats, caveats_json
from osteotwin.trials.pass_rule import MIN_VIRTUAL_PEOPLE

if TYPE_CHECKING:
    from osteotwin.simulate.caveats import Caveat
    from osteotwin.trials.model import Trial

BACKENDS = ("cpu", "jax", "dask", "ray")
#: Backends that run the chunks as tasks on a cluster (``--scheduler`` names one).
DISTRIBUTED = ("dask", "ray")


@dataclass
class RunResult:
    """What a run did and found."""

    out: Path
    trial_id: str
    backend: str
    n: int
    seed: int
    arms: tuple[str, ...]
    chunks_total: int
    chunks_run: int
    people_simulated: int
    seconds: float
    horizon_y: float
    summary: list[dict[str, Any]] = field(default_factory=list)
    assumptions: dict[str, list[str]] = field(default_factory=dict)
    backend_note: str = ""
    #: The parameter set simulated with: label, sha256 and source (``provenance.ParameterSet``).
    parameters: dict[str, Any] = field(default_factory=dict)
    osteotwin_version: str = ""
    model_sha256: str = ""
    #: Per arm, the usual doses filled in where the trial file gives ``dose: null``.
    assumed_doses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Background therapy added to every arm (``trials.background``), one note per entry.
    background: tuple[str, ...] = ()
    #: Per arm with any, the model's known departures that apply to it (``trials.caveats``).
    caveats: dict[str, tuple[Caveat, ...]] = field(default_factory=dict)

    @property
    def person_years_per_s(self) -> float | None:
        if self.people_simulated == 0 or self.seconds <= 0:
            return None
        return self.people_simulated * self.horizon_y / self.seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "trial": self.trial_id, "backend": self.backend, "backend_note": self.backend_note,
            "n_per_arm": self.n, "seed": self.seed, "arms": list(self.arms), "out": str(self.out),
            "chunks": {"total": self.chunks_total, "run": self.chunks_run,
                       "resumed": self.chunks_total - self.chunks_run},
            "people_simulated": self.people_simulated, "seconds": round(self.seconds, 3),
            "horizon_y": self.horizon_y, "person_years_per_s": self.person_years_per_s,
            "parameter_set": self.parameters.get("label"),
            "parameters": self.parameters,
            "osteotwin_version": self.osteotwin_version, "model_sha256": self.model_sha256,
            "pass_rule": {"min_virtual_people": MIN_VIRTUAL_PEOPLE,
                          "scored": self.n >= MIN_VIRTUAL_PEOPLE},
            "assumptions": self.assumptions, "assumed_doses": self.assumed_doses,
            "background_therapy": list(self.background),
            "caveats": caveats_json(self.caveats),
            "endpoints": self.summary,
        }


def run_trial(trial_path: Path, *, n: int, backend: str = "cpu", seed: int = 0,
              out: Path | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
              scheduler: str | None = None, workers: int | None = None,
              progress: bool = True) -> RunResult:
    """Run (or resume) a virtual trial of ``n`` people per arm and write people and summary to ``out``."""
    from osteotwin.trials.population import check_simulable
    from osteotwin.trials.reader import load_trial_file

    if backend not in BACKENDS:
        raise UserInputError("--backend", backend, " | ".join(BACKENDS), problem="unknown backend")
    if scheduler is not None and backend not in DISTRIBUTED:
        raise UserInputError("--scheduler", scheduler, "only with --backend dask or ray",
                             problem="scheduler given for a local backend")
    if workers is not None and not 1 <= workers <= 1024:
        raise UserInputError("--workers", workers, "1 to 1024")
    check_run_size(n, chunk_size, seed)
    trial = load_trial_file(trial_path)
    try:
        check_simulable(trial)  # before any worker starts: errors name the file's field
    except UserInputError as err:
        raise err.with_source(str(trial_path)) from None
    columns = endpoint_columns(trial)
    parameters = current_parameter_set()
    spec = RunSpec(trial=trial, columns=columns, times_d=output_times(columns), seed=seed,
                   parameters=parameters.model, fracture=parameters.fracture)
    arms = tuple(arm.id for arm in trial.arms)
    out = out if out is not None else Path(f"trial-{trial.id}-n{n}-seed{seed}")
    identity = store.RunIdentity(trial_id=trial.id, trial_sha256=store.file_sha256(trial_path),
                                 n=n, seed=seed, chunk_size=chunk_size, arms=arms,
                                 columns=tuple(c.name for c in columns),
                                 parameters_sha256=parameters.sha256,
                                 osteotwin_version=osteotwin_version(),
                                 model_sha256=model_code_sha256())
    store.open_run(out, identity, {"parameter_set": parameters.label,
                                   "parameters_source": parameters.source,
                                   **manifest_info(column_infos(trial, columns))})
    tasks = plan_chunks(arms, n, chunk_size, seed)
    pending = [t for t in tasks if not store.is_done(out, t)]
    done_people = sum(t.size for t in tasks) - sum(t.size for t in pending)
    note = ""
    started = time.perf_counter()
    with people_progress(n * len(arms), done_people, f"{trial.id} [{backend}]",
                         enabled=progress) as advance:
        if pending:
            note = _execute(spec, pending, out, backend, scheduler, workers, advance)
    seconds = time.perf_counter() - started
    people = store.read_people(out)
    rows = summarise(people, trial, columns)
    result = RunResult(out=out, trial_id=trial.id, backend=backend, n=n, seed=seed, arms=arms,
                       chunks_total=len(tasks), chunks_run=len(pending),
                       people_simulated=sum(t.size for t in pending), seconds=seconds,
                       horizon_y=horizon_d(columns) / 365.25, summary=rows,
                       assumptions=_assumptions(spec), backend_note=note,
                       parameters=parameters.to_json(), osteotwin_version=identity.osteotwin_version,
                       model_sha256=identity.model_sha256,
                       assumed_doses=_assumed_doses(trial),
                       background=background_regimens(trial)[1],
                       caveats=arm_caveats(trial, arms))
    store.write_text_atomic(out / "summary.json", json.dumps(result.to_json(), indent=2))
    store.write_text_atomic(out / "summary.csv", summary_csv(rows))
    return result


def _execute(spec: RunSpec, pending: list[ChunkTask], out: Path, backend: str,
             scheduler: str | None, workers: int | None, advance: Advance) -> str:
    """Run the pending chunks on ``backend``; returns a note on where it ran."""
    if backend == "dask":
        from osteotwin.scale.dask_backend import run_chunks_on_dask

        return run_chunks_on_dask(spec, pending, out, scheduler=scheduler, workers=workers,
                                  on_done=advance)
    if backend == "ray":
        from osteotwin.scale.ray_backend import run_chunks_on_ray

        return run_chunks_on_ray(spec, pending, out, scheduler=scheduler, workers=workers,
                                 on_done=advance)
    factory = _simulator_factory(backend)
    with factory(workers) as simulator:
        for task in pending:
            table = compute_chunk(spec, task, simulator)
            store.write_chunk(out, task, table)
            advance(task.size)
        return str(getattr(simulator, "note", simulator.name))


def _simulator_factory(backend: str) -> Callable[[int | None], Any]:
    if backend == "jax":
        from osteotwin.scale.jax_backend import JaxSimulator

        return JaxSimulator.open
    from osteotwin.scale.cpu_backend import CpuSimulator

    return CpuSimulator.open


def _assumed_doses(trial: Trial) -> dict[str, list[dict[str, Any]]]:
    """Per arm with any, the usual doses filled in for regimens the trial file gives no dose."""
    from osteotwin.trials.population import assumed_doses

    found = {arm.id: [d.to_json() for d in assumed_doses(trial, arm)] for arm in trial.arms}
    return {arm: doses for arm, doses in found.items() if doses}


def _assumptions(spec: RunSpec) -> dict[str, list[str]]:
    """What the population builder assumed for each arm (reported with every result)."""
    import numpy as np

    from osteotwin.trials.endpoints import published_level_notes
    from osteotwin.trials.population import DRAW_NAMES, StandardDraws, draw_people

    notes: dict[str, list[str]] = {}
    for arm in spec.trial.arms:
        draws = StandardDraws.make(np.random.default_rng(0), 1, DRAW_NAMES)
        notes[arm.id] = [*draw_people(spec.trial, arm, draws).assumptions,
                         *published_level_notes(arm.population.baseline)]
    return notes


__all__ = ["BACKENDS", "BatchSimulator", "RunResult", "run_trial"]
