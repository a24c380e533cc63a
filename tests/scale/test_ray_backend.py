"""Ray backend: chunks as Ray tasks on a local instance, the same people as the CPU backend.

One Ray session for the module (Ray's testing tips: fixed num_cpus, shared, shut down at the end);
the runner uses a session the process already holds and leaves it open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from osteotwin.scale import store
from osteotwin.scale.runner import run_trial

ray = pytest.importorskip("ray")

COLUMNS = ["estradiol@3 mo", "lumbar_spine_bmd_change_pct@6 mo",
           "total_testosterone_change_pct@6 mo"]


@pytest.fixture(scope="module", autouse=True)
def ray_session() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_matches_the_cpu_backend_and_resumes(small_trial: Path, tmp_path: Path) -> None:
    """`--backend ray` is in the CLI contract and exited 2; it now runs the chunks as Ray tasks,
    person for person as the cpu backend does for the same seed."""
    on_ray = run_trial(small_trial, n=8, seed=9, backend="ray", chunk_size=4,
                       out=tmp_path / "ray", progress=False)
    assert on_ray.backend == "ray" and on_ray.chunks_run == 4
    assert "session already open" in on_ray.backend_note
    assert len(list((tmp_path / "ray" / "people").glob("arm=*/chunk-*.parquet"))) == 4
    cpu = run_trial(small_trial, n=8, seed=9, backend="cpu", chunk_size=4, out=tmp_path / "cpu",
                    progress=False)
    a = store.read_people(on_ray.out)[COLUMNS].to_numpy()
    b = store.read_people(cpu.out)[COLUMNS].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12)
    again = run_trial(small_trial, n=8, seed=9, backend="ray", chunk_size=4,
                      out=tmp_path / "ray", progress=False)
    assert again.chunks_run == 0
    assert ray.is_initialized()  # the module's session is left open for the next test


def test_a_scheduler_is_refused_for_a_local_backend(small_trial: Path, tmp_path: Path) -> None:
    from osteotwin.errors import UserInputError

    with pytest.raises(UserInputError) as info:
        run_trial(small_trial, n=2, backend="cpu", scheduler="ray://nowhere:10001",
                  out=tmp_path / "x", progress=False)
    assert info.value.field == "--scheduler" and "dask or ray" in info.value.accepted
