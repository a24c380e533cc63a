"""Run folder: a manifest and one Parquet file per chunk, written atomically so runs can resume.

Layout of ``--out DIR``::

    manifest.json                       what was run (trial hash, N, seed, chunk size, columns,
                                        parameter-set digest, osteotwin version, model-code digest)
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
    """What makes two runs the same run (a resumed run must match on every field): the trial file,
    the run's settings, the parameter set's digest (``provenance.parameters_digest``), the osteotwin
    version and the digest of the model code (``provenance.model_code_sha256``)."""

    trial_id: str
    trial_sha256: str
    n: int
    seed: int
    chunk_size: int
    arms: tuple[str, ...]
    columns: tuple[str, ...]
    parameters_sha256: str
    osteotwin_version: str
    model_sha256: str
    format: int = FORMAT_VERSION


#: What each identity field is, in the message refusing a resume.
_FIELD_NAMES = {
    "trial_id": "trial id", "trial_sha256": "trial file contents", "n": "--n", "seed": "--seed",
    "chunk_size": "--chunk-size", "arms": "arms", "columns": "endpoint columns",
    "parameters_sha256": "parameter set", "osteotwin_version": "osteotwin version",
    "model_sha256": "model code", "format": "run-folder format",
}
#: Identity fields whose old and new values the message shows (the others are long digests).
_SHOWN = ("trial_id", "n", "seed", "chunk_size", "osteotwin_version", "format")


def _parameter_set(info: dict[str, Any], digest: Any) -> str:
    label = info.get("parameter_set")
    source = info.get("parameters_source")
    return (f"'{label}'" if label else "a parameter set") + (f" from {source}" if source else "") \
        + f", sha256 {str(digest)[:12]}"


def _difference(key: str, found: Any, wanted: Any, found_info: dict[str, Any],
                wanted_info: dict[str, Any]) -> str:
    name = _FIELD_NAMES.get(key, key)
    if found is None:
        return f"{name} (not recorded: the run is from an older osteotwin)"
    if key == "parameters_sha256":
        return (f"{name} (run: {_parameter_set(found_info, found)}; now: "
                f"{_parameter_set(wanted_info, wanted)})")
    if key == "model_sha256":
        return f"{name} (the code that simulates people changed since the run)"
    if key in _SHOWN:
        return f"{name} ({found} -> {wanted})"
    return name


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunk_path(out: Path, task: ChunkTask) -> Path:
    return out / PEOPLE / f"arm={task.arm_id}" / f"{task.name}.parquet"


def open_run(out: Path, identity: RunIdentity, info: dict[str, Any] | None = None) -> None:
    """Create ``out`` with its manifest, or check that it holds the same run (resume).

    ``info`` is written to a new manifest beside the identity but not compared (e.g. the parameter
    set's label and source: the same values from another file are the same parameter set)."""
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
        if not isinstance(found, dict):
            raise UserInputError("--out", str(out), "a folder written by `osteotwin trial`",
                                 problem=f"{MANIFEST} is not a run manifest")
        different = [k for k in wanted if found.get(k) != wanted[k]]
        if different:
            changes = "; ".join(_difference(k, found.get(k), wanted[k], found, info or {})
                                for k in different)
            raise UserInputError(
                "--out", str(out),
                "a new --out folder for this run, or the folder of a run with the same trial file, "
                "--n, --seed, --chunk-size, parameter set and osteotwin version (its results "
                "cannot be mixed with this run's)",
                problem=f"holds a different run (differs in {', '.join(different)}: {changes})")
        _remove_partials(out)
        return
    if out.exists() and any(out.iterdir()):
        raise UserInputError("--out", str(out), "an empty or new folder, or an earlier run's folder",
                             problem=f"folder is not empty and has no {MANIFEST}")
    out.mkdir(parents=True, exist_ok=True)
    _atomic_write(manifest, json.dumps({**(info or {}), **wanted}, indent=2).encode())


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
