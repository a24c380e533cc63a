"""A dose the trial file leaves out (``dose: null``) is simulated at the usual labelled dose and
listed among the assumptions: per arm, in the population's notes, in ``validate``'s JSON and table."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from osteotwin.physiology.fracture import FractureParameters
from osteotwin.trials import parse_trial_document
from osteotwin.trials.population import DRAW_NAMES, StandardDraws, assumed_doses, draw_people
from osteotwin.trials.validation import run_validation

DOC: dict[str, Any] = {
    "version": 1, "id": "nulldose", "citation": "test",
    "population": {"sex": "male", "age": {"mean": 70, "sd": 5}},
    "arms": [
        {"id": "ai", "n": 100,
         "regimens": [{"drug": "letrozole", "dose": None, "route": "oral", "every": "1 d",
                       "start": "0 d", "stop": "12 mo"},
                      {"drug": "testosterone_gel", "dose": None, "start": "0 d"}]},
        {"id": "pbo", "n": 100, "regimens": [{"drug": "anastrozole", "dose": "1 mg",
                                              "every": "1 d", "start": "0 d"}]},
    ],
    "endpoints": [{"contrast": ["ai", "pbo"], "quantity": "lumbar_spine_bmd_change_pct",
                   "at": "12 mo", "value": -2.0, "se": 0.5}],
}


def test_assumed_doses_are_the_simulators_usual_doses() -> None:
    trial = parse_trial_document(copy.deepcopy(DOC))
    letrozole, gel = assumed_doses(trial, trial.arm("ai"))
    assert (letrozole.drug, letrozole.dose, letrozole.unit, letrozole.every_d) == \
        ("letrozole", 2.5, "mg", 1.0)
    assert (gel.drug, gel.dose, gel.every_d) == ("testosterone_gel", 50.0, None)
    assert "usual labelled dose, 2.5 mg every 1 d" in letrozole.note
    assert "50 mg/d" in gel.note
    assert assumed_doses(trial, trial.arm("pbo")) == []
    draws = StandardDraws.make(np.random.default_rng(0), 2, DRAW_NAMES)
    notes = draw_people(trial, trial.arm("ai"), draws).assumptions
    assert letrozole.note in notes and gel.note in notes


def _simulator(scenarios: Any, times: Any, params: Any) -> dict[str, Any]:
    return {"lumbar_spine_bmd_change_pct": np.zeros((len(scenarios), len(times)))}


def test_validate_lists_assumed_doses_in_json_and_table(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    from osteotwin.cli.validate import print_table

    trial = parse_trial_document(copy.deepcopy(DOC))
    report = run_validation([trial], n=3, simulator=_simulator,
                            parameter_rows=lambda rng, n: None, fracture=FractureParameters())
    document = report.to_json()
    doses = document["assumed_doses"]["nulldose"]
    assert list(doses) == ["ai"]
    assert [d["drug"] for d in doses["ai"]] == ["letrozole", "testosterone_gel"]
    assert doses["ai"][0] == {"drug": "letrozole", "dose": 2.5, "unit": "mg", "every_d": 1.0,
                              "note": doses["ai"][0]["note"]}
    assert any(note.startswith("letrozole dose not given") and note.endswith("(arms: ai)")
               for note in document["assumptions"]["nulldose"])
    assert document["summary"]["indicative_only"] is True
    assert document["summary"]["pass_rule_min_n"] == 1000
    print_table(report)
    out = capsys.readouterr().out
    assert "assumed dose: nulldose, arm ai: letrozole dose not given" in " ".join(out.split())
