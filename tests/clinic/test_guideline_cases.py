"""Guideline-derived patient cases (``guideline_cases/*.yaml``), written by a clinician-reviewer from the
sources (guidelines_risk.md, clinical_facts.md, spec/codes.yaml), not from the code.

Each file is a real patient file (read by the real reader) whose ``extra`` holds ``expect`` (codes that
must appear among findings or actions), ``forbid`` (codes that must not) and ``why`` (the sources).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteotwin.clinic import assess
from osteotwin.records import load_patient_file
from osteotwin.vocabulary import codes

CASES = sorted((Path(__file__).parent / "guideline_cases").glob("*.yaml"))


def _codes_listed(extra: dict[str, Any], key: str) -> set[str]:
    value = extra.get(key, [])
    assert isinstance(value, list), f"extra.{key} must be a list"
    return {str(code) for code in value}


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_guideline_case(path: Path) -> None:
    record = load_patient_file(path)
    expect = _codes_listed(record.extra, "expect")
    forbid = _codes_listed(record.extra, "forbid")
    assert record.extra.get("why"), "every case states its source-based reasoning"
    known = set(codes()["findings"]) | set(codes()["actions"])
    assert (expect | forbid) <= known, f"unknown codes {(expect | forbid) - known}"
    assert not expect & forbid
    result = assess(record)
    emitted = set(result.finding_codes()) | set(result.action_codes())
    missing, wrong = expect - emitted, forbid & emitted
    assert not missing and not wrong, (
        f"missing {sorted(missing)}; must not appear {sorted(wrong)}; emitted {sorted(emitted)}")
