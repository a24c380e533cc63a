"""The packaged fitted parameter set (``data/model/fitted_parameters.yaml``) and its provenance.

The file is written by ``osteotwin calibrate``; it holds fitted central values of the model's
calibratable parameters (``model_parameters``, read by ``osteotwin.physiology.parameters``), of the
fracture hazard model (``fracture_parameters``) and the provenance of the fit (what was fitted, to what,
the objective, seed and date). When it is absent, defaults apply.
"""

from __future__ import annotations

from dataclasses import fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from osteotwin.physiology.fracture import FractureParameters
from osteotwin.yamlio import safe_load

FITTED_RESOURCE = ("osteotwin.data", "model/fitted_parameters.yaml")


def fitted_path() -> Path:
    """Location of the packaged fitted parameter file (it may not exist yet)."""
    package, name = FITTED_RESOURCE
    return Path(str(resources.files(package).joinpath(name)))


def load_fitted_document(path: Path | None = None) -> dict[str, Any]:
    """The fitted parameter document, or an empty one when no fit has been packaged."""
    path = path or fitted_path()
    if not path.is_file():
        return {}
    loaded = safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping")
    return loaded


def load_fracture_parameters(path: Path | None = None) -> FractureParameters:
    """Fracture model parameters: defaults overlaid with fitted values, if any."""
    document = load_fitted_document(path)
    values = document.get("fracture_parameters") or {}
    known = {f.name for f in fields(FractureParameters)}
    return replace(FractureParameters(), **{k: float(v) for k, v in values.items() if k in known})


def write_fitted_document(document: dict[str, Any], path: Path | None = None) -> Path:
    """Write the fitted parameter document (YAML, keys in the given order)."""
    path = path or fitted_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Fitted parameter set written by `osteotwin calibrate` (provenance below).\n"
        "# Do not edit by hand: re-run the calibration.\n"
    )
    path.write_text(
        header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return path
