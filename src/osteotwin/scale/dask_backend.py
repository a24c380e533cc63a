"""Dask distributed backend: chunks of people as tasks, each task writing its own Parquet file.

``--scheduler ADDRESS`` (e.g. ``tcp://10.0.0.5:8786``) connects to a running cluster whose workers
have osteotwin installed and can write to ``--out`` (a shared file system); without it a
``LocalCluster`` with one single-threaded worker process per core is started for the run. Each task
simulates one chunk with the CPU solver in the worker and writes ``people/arm=<id>/chunk-N.parquet``
atomically, so a killed run keeps every finished chunk and the rerun skips them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from osteotwin.errors import UserInputError
from osteotwin.scale import store
from osteotwin.scale.chunk import RunSpec, compute_chunk
from osteotwin.scale.plan import ChunkTask


def chunk_task(spec: RunSpec, task: ChunkTask, out: str) -> int:
    """Dask task: compute one chunk in this worker and write its Parquet file; returns its size."""
    from osteotwin.scale.cpu_backend import CpuSimulator

    with CpuSimulator.open(1) as simulator:
        table = compute_chunk(spec, task, simulator)
    store.write_chunk(Path(out), task, table)
    return task.size


def run_chunks_on_dask(spec: RunSpec, pending: list[ChunkTask], out: Path, *,
                       scheduler: str | None, workers: int | None,
                       on_done: Callable[[int], None]) -> str:
    """Run ``pending`` chunks on a Dask cluster; returns a note naming the cluster."""
    import importlib

    distributed: Any = importlib.import_module("distributed")  # untyped API: used as Any
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    cluster: Any = None
    if scheduler is None:
        n_workers = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
        note = f"dask LocalCluster ({n_workers} worker processes)"
    else:
        try:
            client = Client(scheduler, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UserInputError("--scheduler", scheduler,
                                 "the address of a running Dask scheduler (tcp://host:8786)",
                                 problem=f"cannot connect ({exc.__class__.__name__})") from exc
        note = f"dask scheduler {scheduler}"
    try:
        spec_future = client.scatter(spec, broadcast=True)
        futures = [client.submit(chunk_task, spec_future, task, str(out.resolve()),
                                 key=f"osteotwin-{spec.trial.id}-{task.arm_id}-{task.name}-"
                                     f"{spec.seed}", pure=False)
                   for task in pending]
        for future in distributed.as_completed(futures):
            on_done(int(future.result()))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return note
