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


MEASURED = ("estradiol_pg_ml", "testosterone_ng_dl", "vitamin_d_ng_ml", "lowest_score",
            "lowest_t_score", "serum_calcium_mg_dl", "egfr")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_output_is_reviewable(path: Path) -> None:
    """Review points over every case: one entry per code, priority order (undated 'now' actions before
    later-dated ones of the same priority), each finding cites sources and names its data, and every
    measured value shown carries its date."""
    result = assess(load_patient_file(path))
    finding_codes, action_codes = result.finding_codes(), result.action_codes()
    assert len(finding_codes) == len(set(finding_codes))
    assert len(action_codes) == len(set(action_codes))
    keys = [(a.priority, a.due or result.as_of) for a in result.actions]
    assert keys == sorted(keys)
    for finding in result.findings:
        assert finding.evidence and finding.data, finding.code
        for point in finding.data:
            if point.name in MEASURED and point.value is not None:
                assert point.date is not None, (finding.code, point.name)
    for action in result.actions:
        assert action.evidence, action.code
        assert action.due is None or action.due >= result.as_of, action.code


def test_si_results_are_shown_with_the_value_as_reported() -> None:
    case = Path(__file__).parent / "guideline_cases" / "04_man_trt_only_estradiol_and_testosterone_high.yaml"
    high = next(f for f in assess(load_patient_file(case)).findings if f.code == "ESTRADIOL_HIGH")
    assert "51.8 pg/mL (reported 190 pmol/L)" in high.message


def test_high_haematocrit_on_testosterone_prompts_a_review_now() -> None:
    case = Path(__file__).parent / "guideline_cases" / "60_man_trt_hematocrit_high.yaml"
    result = assess(load_patient_file(case))
    review = next(a for a in result.actions if a.code == "REVIEW_TESTOSTERONE_THERAPY")
    assert review.priority == 1 and review.due == result.as_of
    assert "55 %" in review.message
