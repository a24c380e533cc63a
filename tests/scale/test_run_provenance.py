"""`osteotwin trial` records the parameter set and model it ran with, ships that set to every
worker, refuses to resume with another, and says in its summary what it assumed and in which units."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from osteotwin.errors import UserInputError
from osteotwin.physiology.parameters import INDEX, PARAMETERS_ENV, current_parameters
from osteotwin.scale import chunk
from osteotwin.scale.chunk import RunSpec, draw_chunk
from osteotwin.scale.endpoints import endpoint_columns, output_times
from osteotwin.scale.plan import plan_chunks
from osteotwin.scale.provenance import current_parameter_set, model_code_sha256
from osteotwin.scale.runner import run_trial
from osteotwin.trials.reader import load_trial_file

PACKAGED = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "model" / \
    "fitted_parameters.yaml"

TRIAL = {
    "version": 1, "id": "nmol_nulldose", "citation": "test fixture",
    "population": {"sex": "male", "age": {"mean": 68, "sd": 5},
                   "weight": {"mean": 85, "sd": 10, "unit": "kg"}},
    "arms": [
        {"id": "ai", "n": 40,
         "regimens": [{"drug": "anastrozole", "dose": None, "route": "oral", "every": "1 d",
                       "start": "0 d", "stop": "6 mo"}]},
        {"id": "placebo", "n": 40, "regimens": []},
    ],
    "endpoints": [{"arm": "ai", "quantity": "total_testosterone", "at": "3 mo", "value": 17.6,
                   "unit": "nmol/L", "sd": 4.0}],
}


@pytest.fixture
def trial_file(tmp_path: Path) -> Path:
    path = tmp_path / "nmol_nulldose.yaml"
    path.write_text(yaml.safe_dump(TRIAL), encoding="utf-8")
    return path


@pytest.fixture
def other_parameters(tmp_path: Path) -> Path:
    """The packaged fit with one value changed (anastrozole's potency)."""
    document = yaml.safe_load(PACKAGED.read_text(encoding="utf-8"))
    document["parameters"]["ai_ki_anastrozole_ng_ml"] = 2.9
    document["provenance"] = {"label": "another fit"}
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_the_parameter_set_is_identified_by_its_values(tmp_path: Path, other_parameters: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARAMETERS_ENV, raising=False)
    packaged = current_parameter_set()
    assert packaged.source.startswith("packaged") and len(packaged.sha256) == 64
    copy = tmp_path / "copy.yaml"
    shutil.copyfile(PACKAGED, copy)
    monkeypatch.setenv(PARAMETERS_ENV, str(copy))
    same = current_parameter_set()
    assert same.sha256 == packaged.sha256 and same.source == f"{PARAMETERS_ENV}={copy.resolve()}"
    monkeypatch.setenv(PARAMETERS_ENV, str(other_parameters))
    other = current_parameter_set()
    assert other.sha256 != packaged.sha256 and other.label == "another fit"
    assert len(model_code_sha256()) == 64


def test_workers_draw_around_the_run_s_parameter_set(trial_file: Path, other_parameters: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARAMETERS_ENV, raising=False)
    trial = load_trial_file(trial_file)
    columns = endpoint_columns(trial)
    task = plan_chunks(("ai", "placebo"), 4, 4, 0)[0]
    base = RunSpec(trial=trial, columns=columns, times_d=output_times(columns), seed=0)
    _, default_rows = draw_chunk(base, task)
    monkeypatch.setenv(PARAMETERS_ENV, str(other_parameters))
    chosen = current_parameter_set()
    monkeypatch.delenv(PARAMETERS_ENV)  # a worker whose environment differs
    shipped = RunSpec(trial=trial, columns=columns, times_d=output_times(columns), seed=0,
                      parameters=chosen.model, fracture=chosen.fracture)
    _, rows = draw_chunk(shipped, task)
    ki = INDEX["ai_ki_anastrozole_ng_ml"]
    assert np.all(rows[:, ki] > default_rows[:, ki])
    others = np.arange(rows.shape[1]) != ki
    np.testing.assert_array_equal(rows[:, others], default_rows[:, others])
    assert current_parameters()["ai_ki_anastrozole_ng_ml"] != 2.9  # this process: packaged


def test_the_fallback_parameter_cache_follows_the_environment(
        other_parameters: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARAMETERS_ENV, raising=False)
    packaged = chunk._current_parameters()
    monkeypatch.setenv(PARAMETERS_ENV, str(other_parameters))
    assert chunk._current_parameters().provenance == "another fit"
    monkeypatch.delenv(PARAMETERS_ENV)
    assert chunk._current_parameters().provenance == packaged.provenance


def test_summary_records_parameters_units_and_assumptions_and_resume_checks_them(
        trial_file: Path, other_parameters: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARAMETERS_ENV, raising=False)
    out = tmp_path / "run"
    result = run_trial(trial_file, n=1, seed=0, out=out, chunk_size=1, progress=False)
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    parameters = current_parameter_set()
    assert summary["parameter_set"] == parameters.label == manifest["parameter_set"]
    assert summary["parameters"] == parameters.to_json()
    assert manifest["parameters_sha256"] == parameters.sha256
    assert summary["osteotwin_version"] == manifest["osteotwin_version"]
    assert summary["model_sha256"] == manifest["model_sha256"] == model_code_sha256()
    assert summary["pass_rule"] == {"min_virtual_people": 1000, "scored": False}
    assert summary["assumed_doses"]["ai"][0]["drug"] == "anastrozole"
    assert summary["assumed_doses"]["ai"][0]["dose"] == 1.0
    assert any("anastrozole dose not given" in note for note in summary["assumptions"]["ai"])
    row = next(r for r in summary["endpoints"] if r["arm"] == "ai")
    assert row["unit"] == "ng/dL" and row["published"] == pytest.approx(507.6, abs=0.5)
    assert row["published_given"] == 17.6 and row["published_given_unit"] == "nmol/L"
    assert row["sd"] is None and row["n"] == 1  # one person: no SD
    assert row["pass"] is None and "below the 1,000" in row["pass_reason"]
    assert result.summary[0]["unit"] == "ng/dL"

    monkeypatch.setenv(PARAMETERS_ENV, str(other_parameters))
    with pytest.raises(UserInputError) as err:
        run_trial(trial_file, n=1, seed=0, out=out, chunk_size=1, progress=False)
    assert err.value.field == "--out" and "parameters_sha256" in err.value.problem
    assert "now: 'another fit' from OSTEOTWIN_PARAMETERS=" in err.value.problem
    assert "a new --out folder" in err.value.accepted
