"""Dask backend on a LocalCluster: chunks as tasks, each writing its own Parquet file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from osteotwin.scale import store
from osteotwin.scale.runner import run_trial

COLUMNS = ["estradiol@3 mo", "lumbar_spine_bmd_change_pct@6 mo",
           "total_testosterone_change_pct@6 mo"]


def test_dask_local_cluster_matches_the_cpu_backend(small_trial: Path, tmp_path: Path) -> None:
    dask = run_trial(small_trial, n=8, seed=9, backend="dask", workers=2, chunk_size=4,
                     out=tmp_path / "dask", progress=False)
    assert "LocalCluster" in dask.backend_note and dask.chunks_run == 4
    assert len(list((tmp_path / "dask" / "people").glob("arm=*/chunk-*.parquet"))) == 4
    cpu = run_trial(small_trial, n=8, seed=9, backend="cpu", chunk_size=4, out=tmp_path / "cpu",
                    progress=False)
    a = store.read_people(dask.out)[COLUMNS].to_numpy()
    b = store.read_people(cpu.out)[COLUMNS].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)
    # resume on Dask: nothing left to do
    again = run_trial(small_trial, n=8, seed=9, backend="dask", workers=2, chunk_size=4,
                      out=tmp_path / "dask", progress=False)
    assert again.chunks_run == 0 and again.people_simulated == 0
