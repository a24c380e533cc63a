"""Helpers shared by the command modules: output formats and safe file writing."""

from __future__ import annotations

import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from osteotwin.errors import UserInputError


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def emit_json(document: Any) -> None:
    """Write one JSON document to stdout and nothing else."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def write_output_file(path: Path, data: bytes, *, allowed_suffixes: tuple[str, ...]) -> None:
    """Write ``data`` atomically to ``path`` (temp file then rename), checking the suffix."""
    if path.suffix.lower() not in allowed_suffixes:
        raise UserInputError(
            "--output", str(path), " or ".join(allowed_suffixes), problem="unsupported file type"
        )
    if not path.parent.exists():
        raise UserInputError(
            "--output", str(path), "a path in an existing folder", problem="folder does not exist"
        )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
