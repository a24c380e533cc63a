"""Validation runs: no verdict below the pass rule's 1,000 people, Monte Carlo errors and borderline
verdicts, background therapy and caveats reported per trial and arm."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from osteotwin.physiology.fracture import FractureParameters
from osteotwin.trials import parse_trial_document
from osteotwin.trials.validation import run_validation

DOC: dict[str, Any] = {
    "version": 1, "id": "toy", "citation": "test",
    "population": {"sex": "female", "menopausal_status": "postmenopausal",
                   "age": {"mean": 65, "sd": 5}},
    "arms": [{"id": "ai", "n": 100, "regimens": [{"drug": "anastrozole", "dose": "1 mg",
                                                 "every": "1 d", "start": "0 d"}]},
             {"id": "pl", "n": 100, "regimens": []}],
    "endpoints": [
        {"arm": "ai", "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo", "value": -2.0,
         "ci95": [-3.0, -1.0]},
        {"arm": "pl", "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo", "value": -0.2},
        {"contrast": ["ai", "pl"], "quantity": "lumbar_spine_bmd_change_pct", "at": "12 mo",
         "value": -1.9, "se": 0.4},
    ],
}


def _simulator(scenarios: Any, times: Any, params: Any) -> dict[str, Any]:
    """Spine change -2 % a year on an inhibitor, 0 without; each woman 0.1 % per year of age
    above 65 lower (a spread, so that the mean has a sampling error)."""
    ai = np.array([bool(s.regimens) for s in scenarios], dtype=float)
    age = np.array([s.subject.age_y for s in scenarios])
    rate = -2.0 * ai - 0.1 * (age - 65.0)
    return {"lumbar_spine_bmd_change_pct": rate[:, None] * np.asarray(times)[None, :] / 365.25}


def _validate(n: int) -> Any:
    return run_validation([parse_trial_document(copy.deepcopy(DOC))], n=n, simulator=_simulator,
                          parameter_rows=lambda rng, n: None, fracture=FractureParameters())


def test_below_1000_people_validate_gives_no_verdict_and_counts_nothing() -> None:
    """As `osteotwin trial` does: pass null with the reason, not in passed/total (it scored
    4 of 17 'passes' at --n 200)."""
    report = _validate(50)
    assert all(e.passed is None and not e.scored for e in report.endpoints)
    assert all(e.pass_reason == "unscored: 50 virtual people, below the 1,000 the pass rule needs"
               for e in report.endpoints)
    summary = report.to_json()["summary"]
    assert (summary["passed"], summary["total"], summary["pass_rate"]) == (0, 0, None)
    assert summary["unscored_below_min_n"] == 3 and summary["indicative_only"] is True
    first = report.to_json()["endpoints"][0]
    assert first["pass"] is None and first["borderline"] is None
    assert first["predicted"] == pytest.approx(-2.0, abs=0.2)  # still predicted and reported


def test_validate_reports_the_standard_error_and_borderline_verdicts() -> None:
    report = _validate(1000)
    ai, pl, contrast = report.endpoints
    assert report.total == 3 and ai.pass_reason is None
    assert ai.se == pytest.approx(0.1 * 5.0 / np.sqrt(1000), rel=0.1)  # SD of 0.1·age / √n
    assert ai.borderline is False and ai.passed is True
    # placebo: -0.0 against -0.2 ± 0.5, far from either edge
    assert pl.borderline is False
    # the same women in both arms: their difference is exactly -2, no sampling error
    assert contrast.se == pytest.approx(0.0, abs=1e-12) and contrast.borderline is False
    document = report.to_json()
    assert document["endpoints"][0]["se"] == pytest.approx(ai.se, abs=1e-4)
    assert document["summary"]["borderline"] == 0 and document["summary"]["borderline_se"] == 2.0


def test_validate_reads_a_weekly_injection_as_its_cycle_mean_at_any_visit_name() -> None:
    """The validation grid holds each hormone window's points, so '3 mo' and '13 wk' of weekly
    testosterone read the same cycle mean (they read a peak and a trough, 72 % apart)."""
    doc = {"version": 1, "id": "trt", "citation": "test",
           "population": {"sex": "male", "age": {"mean": 50, "sd": 5}},
           "arms": [{"id": "trt", "n": 100, "regimens": [
               {"drug": "testosterone_cypionate", "dose": "100 mg", "route": "intramuscular",
                "every": "7 d", "start": "0 d"}]}],
           "endpoints": [{"arm": "trt", "quantity": "total_testosterone", "at": at, "value": 700,
                          "unit": "ng/dL"} for at in ("91 d", "13 wk", "3 mo", "94 d")]}

    def simulator(scenarios: Any, times: Any, params: Any) -> dict[str, Any]:
        since = np.mod(np.asarray(times), 7.0)
        level = 500.0 + 1200.0 * (np.exp(-since / 1.5) - np.exp(-since / 0.5))
        return {"total_testosterone_ng_dl": np.repeat(level[None, :], len(scenarios), axis=0)}

    report = run_validation([parse_trial_document(doc)], n=4, simulator=simulator,
                            parameter_rows=lambda rng, n: None, fracture=FractureParameters())
    predicted = [e.predicted for e in report.endpoints]
    assert max(predicted) - min(predicted) < 0.005 * min(predicted)
