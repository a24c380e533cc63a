"""Run folder: a manifest and one Parquet file per chunk, written atomically so runs can resume.

Layout of ``--out DIR``::

    manifest.json                       what was run (trial hash, N, seed, chunk size, columns)
    people/arm=<arm id>/chunk-NNNNNN.parquet   per-person endpoints of one chunk
    summary.json, summary.csv           written at the end (see ``summary.py``)

A chunk file appears only once complete (written to a temporary name, then renamed), so a killed
run loses at most the chunks in flight; rerunning the same command skips the chunks already on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from osteotwin.errors import UserInputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from osteotwin.scale.plan import ChunkTask

MANIFEST = "manifest.json"
PEOPLE = "people"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class RunIdentity:
    """What makes two runs the same run (a resumed run must match on every field)."""

    trial_id: str
    trial_sha256: str
    n: int
    seed: int
    chunk_size: int
    arms: tuple[str, ...]
    columns: tuple[str, ...]
    format: int = FORMAT_VERSION


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunk_path(out: Path, task: ChunkTask) -> Path:
    return out / PEOPLE / f"arm={task.arm_id}" / f"{task.name}.parquet"


def open_run(out: Path, identity: RunIdentity) -> None:
    """Create ``out`` with its manifest, or check that it holds the same run (resume)."""
    if out.exists() and not out.is_dir():
        raise UserInputError("--out", str(out), "a folder (new, or holding an earlier run of the "
                             "same trial)", problem="not a folder")
    manifest = out / MANIFEST
    wanted = _jsonable(identity)
    if manifest.exists():
        try:
            found = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UserInputError("--out", str(out), "a folder written by `osteotwin trial`",
                                 problem=f"unreadable {MANIFEST} ({exc.__class__.__name__})") from exc
        different = sorted(k for k in wanted if found.get(k) != wanted[k])
        if different:
            raise UserInputError(
                "--out", str(out),
                "a new folder, or one holding a run with the same trial file, --n, --seed and "
                "--chunk-size", problem=f"holds a different run (differs in {', '.join(different)})")
        _remove_partials(out)
        return
    if out.exists() and any(out.iterdir()):
        raise UserInputError("--out", str(out), "an empty or new folder, or an earlier run's folder",
                             problem=f"folder is not empty and has no {MANIFEST}")
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(manifest, json.dumps(wanted, indent=2).encode())


def _jsonable(identity: RunIdentity) -> dict[str, Any]:
    data = asdict(identity)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def is_done(out: Path, task: ChunkTask) -> bool:
    return chunk_path(out, task).is_file()


def write_chunk(out: Path, task: ChunkTask, table: pa.Table) -> Path:
    """Write one chunk's table atomically (temporary file, fsync, rename)."""
    import pyarrow.parquet as pq

    path = chunk_path(out, task)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def read_people(out: Path) -> pd.DataFrame:
    """All per-person rows of a run folder, ordered by arm and person."""
    import pandas as pd
    import pyarrow.parquet as pq

    files = sorted((out / PEOPLE).glob("arm=*/chunk-*.parquet"))
    if not files:
        return pd.DataFrame()
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    return frame.sort_values(["arm_index", "person"], kind="stable").reset_index(drop=True)


def _remove_partials(out: Path) -> None:
    for tmp in (out / PEOPLE).glob("arm=*/.chunk-*.tmp"):
        tmp.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_text_atomic(path: Path, text: str) -> None:
    _atomic_write(path, text.encode("utf-8"))
