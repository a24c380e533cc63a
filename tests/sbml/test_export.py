"""SBML export: valid SBML that libroadrunner loads and runs to our trajectories."""

from __future__ import annotations

from pathlib import Path

import libsbml
import numpy as np
import pytest

from osteotwin.physiology import states as S
from osteotwin.physiology.parameters import sample_parameters
from osteotwin.sbml.export import configure_roadrunner, export_scenario
from osteotwin.sbml.reference import load_roadrunner
from osteotwin.scale.cpu_backend import solve_states
from osteotwin.simulate.scenario import Regimen, Scenario, Subject

WOMAN = Scenario(Subject(sex="female", age_y=63.0, weight_kg=71.0, years_since_menopause=9.0,
                         breast_cancer=True),
                 (Regimen("anastrozole", dose_mg=1.0, every_d=1.0, start_d=0.0),), years=1.0)
MAN = Scenario(Subject(sex="male", age_y=58.0, weight_kg=92.0),
               (Regimen("testosterone_cypionate", dose_mg=100.0, every_d=7.0,
                        route="intramuscular", start_d=0.0, stop_d=120.0),
                Regimen("anastrozole", dose_mg=0.5, every_d=3.5, start_d=14.0)), years=0.5)


def test_exported_document_is_valid_sbml_l3v2() -> None:
    text, start = export_scenario(WOMAN)
    doc = libsbml.readSBMLFromString(text)
    assert doc.getLevel() == 3 and doc.getVersion() == 2
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    model = doc.getModel()
    assert model.getNumRules() >= S.N_STATES
    assert model.getParameter("start_offset_d").getValue() == pytest.approx(start)
    assert start < -365.0  # her menopause transition is part of the simulation


@pytest.mark.parametrize("scenario", [WOMAN, MAN], ids=["woman_ai", "man_trt_ai"])
def test_roadrunner_reproduces_our_trajectories(scenario: Scenario) -> None:
    params = sample_parameters(1, np.random.default_rng(7))[0]
    text, start = export_scenario(scenario, params)
    times = np.array([0.0, 10.0, 45.0, 100.0, 0.5 * 365.25])  # not on dose times
    _, ours, _ = solve_states([scenario], params[None, :], times, rtol=1e-7)
    rr = configure_roadrunner(load_roadrunner(text), rtol=1e-9)
    rr.timeCourseSelections = ["time", *S.STATE_NAMES]
    grid = np.unique(np.concatenate([[0.0], times - start]))
    result = np.asarray(rr.simulate(times=list(grid)))
    theirs = result[np.searchsorted(grid, times - start), 1:]
    scale = S.error_scale()
    # we report the pre-dose state at a dose time, SBML the post-dose one; both scenarios dose at
    # t = 0 (after the untreated lead-in day), so t = 0 is left out
    later = (times > start) & (times > 0.0)
    error = (np.abs(theirs - ours[0, 1:]) / np.maximum(np.abs(ours[0, 1:]), scale))[later]
    assert error.max() < 1e-4, S.STATE_NAMES[int(np.argmax(error.max(axis=0)))]


def test_export_sbml_command_writes_a_loadable_model(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from osteotwin.cli import app

    target = tmp_path / "model.xml"
    result = CliRunner().invoke(app, ["export-sbml", "-o", str(target), "--years", "1"])
    assert result.exit_code == 0, result.output
    rr = configure_roadrunner(load_roadrunner(target))
    rr.timeCourseSelections = ["time", "estradiol_pg_ml"]
    start = -rr["start_offset_d"]
    e2 = np.asarray(rr.simulate(times=[0.0, start - 1.0, start + 90.0]))[:, 1]
    assert e2[2] < 0.5 * e2[1]  # anastrozole lowers estradiol within 3 months
    bad = CliRunner().invoke(app, ["export-sbml", "-o", str(tmp_path / "model.txt")])
    assert bad.exit_code != 0
