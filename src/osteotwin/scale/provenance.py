"""Which model and parameter set a virtual trial ran with: recorded in the run folder's manifest
(a resumed run must match) and in its summary.

The parameter set is the one simulations use by default (``physiology.parameters.current_parameters``:
the file named by ``OSTEOTWIN_PARAMETERS`` when set, else the packaged fitted set) together with the
fracture hazard parameters of the packaged fitted file; its digest is taken over the values, so two
files holding the same values are the same set. The model is identified by the osteotwin version and
a digest of everything a trial run reads that turns a person into endpoint values
(``model_files``): the ``physiology``, ``simulate``, ``trials`` and ``scale`` packages, the modules
they use elsewhere (patient records and drug limits, units, vocabulary, YAML reading, the fitted
file's reader) and the packaged data files (codes, omitted-therapy rules, the fitted parameters), so
a run folder is never resumed by different model code or data.
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

#: Sub-packages whose code (every ``*.py``) decides a virtual person's endpoint values.
MODEL_PACKAGES = ("physiology", "simulate", "trials", "scale")
#: Files outside ``MODEL_PACKAGES`` that a trial run reads (paths or glob patterns relative to the
#: ``osteotwin`` package): the modules it imports and the packaged data it loads.
#: ``tests/scale/test_model_digest.py`` checks that a trial run imports and opens nothing else.
MODEL_FILES = (
    "__init__.py", "errors.py", "units.py", "vocabulary.py", "yamlio.py",
    "records/__init__.py", "records/drugs.py", "records/fields.py", "records/patient.py",
    "records/patient_file.py",
    "calibrate/__init__.py", "calibrate/fitted.py",
    "data/__init__.py", "data/codes.yaml", "data/trials/omitted_therapy.yaml", "data/model/*.yaml",
)


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


def package_root() -> Path:
    """The ``osteotwin`` package folder."""
    return Path(__file__).resolve().parents[1]


def model_files(root: Path) -> list[Path]:
    """The files of ``MODEL_PACKAGES`` and ``MODEL_FILES`` under ``root`` (an ``osteotwin`` package
    folder), sorted by relative path. A ``MODEL_FILES`` entry that matches nothing is an error: the
    digest would silently stop covering it."""
    found = {path for package in MODEL_PACKAGES for path in (root / package).rglob("*.py")}
    for pattern in MODEL_FILES:
        matches = [path for path in root.glob(pattern) if path.is_file()]
        if not matches:
            raise FileNotFoundError(f"model file {pattern!r} not found under {root}")
        found.update(matches)
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def files_sha256(root: Path) -> str:
    """SHA-256 over ``model_files(root)``: each one's relative path and contents, in order."""
    digest = hashlib.sha256()
    for path in model_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=1)
def model_code_sha256() -> str:
    """SHA-256 of the model code and data this installation runs (``files_sha256``; computed once
    per process)."""
    return files_sha256(package_root())
