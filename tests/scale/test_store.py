"""Run folders: atomic chunk files, resume only into the same run, clear errors otherwise."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from osteotwin.errors import UserInputError
from osteotwin.scale import store
from osteotwin.scale.plan import plan_chunks


def _identity(**changes: object) -> store.RunIdentity:
    fields: dict[str, object] = {"trial_id": "t", "trial_sha256": "abc", "n": 10, "seed": 1,
                                 "chunk_size": 5, "arms": ("a", "b"), "columns": ("x@1 y",)}
    fields.update(changes)
    return store.RunIdentity(**fields)  # type: ignore[arg-type]


def _table(task_start: int, size: int) -> pa.Table:
    return pa.table({"arm_index": pa.array([0] * size, pa.int16()), "arm_id": ["a"] * size,
                     "person": list(range(task_start, task_start + size)),
                     "x@1 y": [float(i) for i in range(size)]})


def test_written_chunks_are_found_and_read_back_in_order(tmp_path: Path) -> None:
    out = tmp_path / "run"
    store.open_run(out, _identity())
    tasks = plan_chunks(("a",), 10, 5, 1)
    assert not store.is_done(out, tasks[1])
    store.write_chunk(out, tasks[1], _table(5, 5))
    store.write_chunk(out, tasks[0], _table(0, 5))
    assert all(store.is_done(out, t) for t in tasks)
    people = store.read_people(out)
    assert people["person"].tolist() == list(range(10))
    assert not list(out.rglob("*.tmp"))


def test_resume_accepts_the_same_run_and_removes_partial_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    store.open_run(out, _identity())
    task = plan_chunks(("a",), 10, 5, 1)[0]
    partial = store.chunk_path(out, task).with_name(".chunk-000000.parquet.99.tmp")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half a file")
    store.open_run(out, _identity())
    assert not partial.exists()
    assert not store.is_done(out, task)


@pytest.mark.parametrize("change", [{"seed": 2}, {"n": 11}, {"trial_sha256": "other"},
                                    {"chunk_size": 4}])
def test_resume_into_a_different_run_is_refused(tmp_path: Path, change: dict[str, object]) -> None:
    out = tmp_path / "run"
    store.open_run(out, _identity())
    with pytest.raises(UserInputError) as err:
        store.open_run(out, _identity(**change))
    assert err.value.field == "--out"
    assert next(iter(change)) in err.value.problem


def test_a_non_empty_foreign_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserInputError, match="not empty"):
        store.open_run(tmp_path, _identity())
