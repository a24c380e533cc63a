"""Shared test fixtures: paths to the repository, the shared folder and the example patient."""

from __future__ import annotations

from pathlib import Path

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
