"""Shared test fixtures: paths to the repository, the shared folder and example patients."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLE_PATIENT = REPO / "examples" / "demo_patient.yaml"


@pytest.fixture
def example_patient_path() -> Path:
    """The spec's example patient file (copied verbatim from shared/spec/patient-file.md)."""
    return EXAMPLE_PATIENT


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the shared folder is not beside the repository ({SHARED})")
    return SHARED


#: A premenopausal woman on tamoxifen with a low estradiol measured on it: her estradiol is mostly
#: ovarian, which the simulator's on-treatment match (of extra-ovarian production) cannot lower
#: that far, so every surface must say the measured value was not reproduced.
_PREMENOPAUSAL_ON_TAMOXIFEN: dict[str, Any] = {
    "version": 1, "as_of": "2025-06-01",
    "patient": {"sex": "female", "birth_date": "1982-03-01", "weight": "64 kg",
                "menopausal_status": "premenopausal"},
    "history": {"breast_cancer": True},
    "medications": [{"drug": "tamoxifen", "dose": "20 mg", "route": "oral", "every": "1 d",
                     "start": "2024-01-10"}],
    "labs": [{"test": "estradiol", "value": 12, "unit": "pg/mL", "date": "2025-03-01"}],
    "dxa": [{"date": "2024-01-05", "site": "lumbar_spine", "bmd": "1.05 g/cm2", "t_score": 0.1}],
}


@pytest.fixture
def premenopausal_on_tamoxifen() -> dict[str, Any]:
    """A patient document (``_PREMENOPAUSAL_ON_TAMOXIFEN``), a fresh copy per test."""
    return copy.deepcopy(_PREMENOPAUSAL_ON_TAMOXIFEN)
