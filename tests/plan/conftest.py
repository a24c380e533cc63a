"""Fixtures for plan tests: the three done-when personas and their plans (computed once per session)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from osteotwin.plan.personal import build_personal_plan
from osteotwin.plan.serialize import plan_document
from osteotwin.records import load_patient_file

PERSONAS_DIR = Path(__file__).resolve().parent / "personas"
PERSONAS = ("vegan_letrozole_osteopenia", "trt_anastrozole_home", "older_vertebral_fracture_falls")
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def shared_foods_dir() -> Path:
    path = SHARED / "data" / "foods"
    if not path.is_dir():
        pytest.skip(f"shared SR28 data not found at {path}")
    return path


@pytest.fixture(scope="session")
def sr28_foods() -> dict[str, dict[str, str]]:
    """The full SR28 food table from the shared folder, keyed by ndb_no (independent of the package)."""
    with (shared_foods_dir() / "sr28_foods.csv").open(newline="", encoding="utf-8") as handle:
        return {row["ndb_no"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="session")
def sr28_portions() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    with (shared_foods_dir() / "sr28_portions.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["ndb_no"], []).append(row)
    return out


@pytest.fixture(scope="session")
def persona_documents() -> dict[str, dict[str, Any]]:
    """``plan --weeks 16`` documents for the three personas."""
    docs: dict[str, dict[str, Any]] = {}
    for name in PERSONAS:
        record = load_patient_file(PERSONAS_DIR / f"{name}.yaml")
        docs[name] = plan_document(build_personal_plan(record, weeks=16))
    return docs
