"""Which model and parameter set a virtual trial ran with: recorded in the run folder's manifest
(a resumed run must match) and in its summary.

The parameter set is the one simulations use by default (``physiology.parameters.current_parameters``:
the file named by ``OSTEOTWIN_PARAMETERS`` when set, else the packaged fitted set) together with the
fracture hazard parameters of the packaged fitted file; its digest is taken over the values, so two
files holding the same values are the same set. The model is identified by the osteotwin version and
a digest of the code that turns a person into endpoint values (``physiology``, ``simulate``,
``trials``, ``scale``), so a run folder is never resumed by different model code.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osteotwin.physiology.fracture import FractureParameters
    from osteotwin.physiology.parameters import ModelParameters

#: Sub-packages whose code decides a virtual person's endpoint values.
MODEL_PACKAGES = ("physiology", "simulate", "trials", "scale")


@dataclass(frozen=True)
class ParameterSet:
    """The parameters a run simulates with (shipped to every worker) and how to name them."""

    model: ModelParameters
    fracture: FractureParameters
    sha256: str
    label: str
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "sha256": self.sha256, "source": self.source}


def parameters_digest(model: ModelParameters, fracture: FractureParameters) -> str:
    """SHA-256 over every parameter's name and exact value (model and fracture hazard)."""
    document = {
        "model": {name: float(value).hex() for name, value in zip(model.names, model.values,
                                                                   strict=True)},
        "fracture": {name: float(value).hex() if isinstance(value, int | float) else repr(value)
                     for name, value in sorted(asdict(fracture).items())},
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def current_parameter_set() -> ParameterSet:
    """The parameter set this process simulates with, its digest, label and source."""
    from osteotwin.calibrate.fitted import fitted_path, load_fracture_parameters
    from osteotwin.physiology.parameters import PARAMETERS_ENV, current_parameters

    model = current_parameters()
    fracture = load_fracture_parameters()
    chosen = os.environ.get(PARAMETERS_ENV)
    packaged = fitted_path()
    source = (f"{PARAMETERS_ENV}={Path(chosen).resolve()}" if chosen
              else f"packaged ({packaged.name})" if packaged.is_file()
              else "literature defaults (no fitted file)")
    return ParameterSet(model=model, fracture=fracture, sha256=parameters_digest(model, fracture),
                        label=str(model.provenance), source=source)


def osteotwin_version() -> str:
    import osteotwin

    return str(osteotwin.__version__)


@lru_cache(maxsize=1)
def model_code_sha256() -> str:
    """SHA-256 over the source of ``MODEL_PACKAGES`` (relative paths and contents, sorted)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in MODEL_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
