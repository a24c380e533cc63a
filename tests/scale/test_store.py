"""Run folders: atomic chunk files, resume only into the same run, clear errors otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from osteotwin.errors import UserInputError
from osteotwin.scale import store
from osteotwin.scale.plan import plan_chunks


def _identity(**changes: object) -> store.RunIdentity:
    fields: dict[str, object] = {"trial_id": "t", "trial_sha256": "abc", "n": 10, "seed": 1,
                                 "chunk_size": 5, "arms": ("a", "b"), "columns": ("x@1 y",),
                                 "parameters_sha256": "p" * 64, "osteotwin_version": "0.1.0",
                                 "model_sha256": "m" * 64}
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
                                    {"chunk_size": 4}, {"parameters_sha256": "q" * 64},
                                    {"osteotwin_version": "0.2.0"}, {"model_sha256": "n" * 64}])
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


def test_a_resume_with_another_parameter_set_names_both_sets(tmp_path: Path) -> None:
    out = tmp_path / "run"
    store.open_run(out, _identity(), {"parameter_set": "fitted A",
                                      "parameters_source": "packaged (fitted_parameters.yaml)"})
    manifest = json.loads((out / store.MANIFEST).read_text())
    assert manifest["parameter_set"] == "fitted A" and manifest["parameters_sha256"] == "p" * 64
    with pytest.raises(UserInputError) as err:
        store.open_run(out, _identity(parameters_sha256="q" * 64, osteotwin_version="0.2.0"),
                       {"parameter_set": "fitted B", "parameters_source": "OSTEOTWIN_PARAMETERS=b"})
    message = err.value.one_line()
    assert "parameter set (run: 'fitted A' from packaged" in message
    assert "now: 'fitted B' from OSTEOTWIN_PARAMETERS=b, sha256 qqqqqqqqqqqq" in message
    assert "osteotwin version (0.1.0 -> 0.2.0)" in message
    assert "a new --out folder" in err.value.accepted
    # the label and source alone do not make another set: same values, another file
    store.open_run(out, _identity(), {"parameter_set": "copy", "parameters_source": "elsewhere"})


def test_a_run_folder_from_before_the_parameter_record_is_not_resumed(tmp_path: Path) -> None:
    out = tmp_path / "old"
    store.open_run(out, _identity())
    manifest = json.loads((out / store.MANIFEST).read_text())
    for key in ("parameters_sha256", "osteotwin_version", "model_sha256"):
        del manifest[key]
    (out / store.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UserInputError) as err:
        store.open_run(out, _identity())
    assert "parameter set (not recorded: the run is from an older osteotwin)" in err.value.problem
