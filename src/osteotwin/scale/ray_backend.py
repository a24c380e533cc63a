"""Ray backend: chunks of people as Ray tasks, each task writing its own Parquet file.

``--scheduler ADDRESS`` connects to a running Ray cluster (``ray://head:10001``, or ``auto`` for the
one this machine belongs to) whose workers have osteotwin installed and can write to ``--out`` (a
shared file system); without it a local Ray instance is started for the run with one CPU per
``--workers`` (default: every core) and no dashboard, and shut down after it (Ray's testing tips;
``local_mode`` no longer exists). When the calling process already holds a Ray session (a test
module sharing one, or a notebook), the run uses it and leaves it running.

Each task runs the same unit of work as the Dask backend (``dask_backend.chunk_task``: simulate the
chunk with the CPU solver in the worker and write ``people/arm=<id>/chunk-N.parquet`` atomically),
so the people, and the results, do not depend on the backend, and a killed run keeps every
finished chunk.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.scale.chunk import RunSpec
from osteotwin.scale.dask_backend import chunk_task
from osteotwin.scale.plan import ChunkTask


def _ray() -> Any:
    """The ``ray`` module (untyped API: used as Any), or a clear refusal when not installed."""
    try:
        return importlib.import_module("ray")
    except ImportError as exc:
        raise UserInputError("--backend", "ray", "cpu, jax or dask, or install Ray "
                             "(pip install 'osteotwin[ray]')",
                             problem="Ray is not installed") from exc


def start_session(ray: Any, scheduler: str | None, workers: int | None) -> tuple[bool, str]:
    """Connect to ``scheduler`` or start a local Ray instance, unless this process already holds
    a session; returns (whether this run started it and must shut it down, a note naming it)."""
    if ray.is_initialized():
        return False, "ray (the session already open in this process)"
    if scheduler is not None:
        try:
            ray.init(address=scheduler, log_to_driver=False)
        except (ConnectionError, OSError, RuntimeError, TimeoutError, ValueError) as exc:
            raise UserInputError("--scheduler", scheduler,
                                 "the address of a running Ray cluster (ray://host:10001 or auto)",
                                 problem=f"cannot connect ({exc.__class__.__name__})") from exc
        return True, f"ray cluster {scheduler}"
    cpus = workers or os.cpu_count() or 1
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
    return True, f"ray local instance ({cpus} CPUs)"


def run_chunks_on_ray(spec: RunSpec, pending: list[ChunkTask], out: Path, *,
                      scheduler: str | None, workers: int | None,
                      on_done: Callable[[int], None]) -> str:
    """Run ``pending`` chunks as Ray tasks (one CPU each); returns a note naming the session."""
    ray = _ray()
    started, note = start_session(ray, scheduler, workers)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(chunk_task)
        spec_ref = ray.put(spec)
        folder = str(out.resolve())
        waiting = [remote.remote(spec_ref, task, folder) for task in pending]
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            on_done(int(ray.get(done[0])))
    finally:
        if started:
            ray.shutdown()
    return note
