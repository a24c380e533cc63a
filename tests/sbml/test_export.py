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


DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"  # spec's example


def demo_scenario(years: float) -> Scenario:
    """The spec's example patient: a man on TRT and anastrozole with an on-treatment estradiol."""
    from osteotwin.records import load_patient_file

    return Scenario.from_record(load_patient_file(DEMO), years)


def test_export_is_the_person_simulate_shows_after_the_estradiol_match() -> None:
    """simulate matches his own estradiol production to his lab (9 pg/mL on treatment); the
    export must carry the same match. Tolerance: levels within 1 % and BMD changes within 0.05
    points of simulate's fast path (rtol 1e-3; measured: 0.1 % and 0.002 points), at times off
    the dose days over the export's default 5 years."""
    from osteotwin.simulate.single import simulate

    scenario = demo_scenario(5.0)
    text, start = export_scenario(scenario)
    times = np.array([0.0, 30.3, 100.3, 365.3, 2 * 365.25 + 0.3, 5 * 365.25 - 0.7])
    ours = simulate(scenario, times_d=times)
    assert ours.meta["estradiol_match"]["matched"]
    rr = configure_roadrunner(load_roadrunner(text))
    rr.timeCourseSelections = ["time", "estradiol_pg_ml", "total_testosterone_ng_dl", "bmd_ls",
                               "bmd_th"]
    grid = np.unique(np.concatenate([[0.0], times - start]))
    theirs = np.asarray(rr.simulate(times=list(grid)))[np.searchsorted(grid, times - start)]
    for column, name in ((1, "estradiol_pg_ml"), (2, "total_testosterone_ng_dl")):
        np.testing.assert_allclose(theirs[:, column], ours.series[name], rtol=0.01, err_msg=name)
    for column, name in ((3, "lumbar_spine_bmd_change_pct"), (4, "total_hip_bmd_change_pct")):
        change = 100.0 * (theirs[:, column] / theirs[0, column] - 1.0)
        np.testing.assert_allclose(change, ours.series[name], atol=0.05, err_msg=name)


def test_export_reports_the_match_in_its_notes() -> None:
    from osteotwin.sbml.export import Provenance, export_person

    provenance = Provenance("0.0", "label", "ab" * 32, "packaged", "2026-01-02", "a man",
                            "demo_patient.yaml")
    exported = export_person(demo_scenario(0.5), provenance=provenance)
    match = exported.match["estradiol_match"]
    assert match["matched"] and match["measured_pg_ml"] == 9.0
    notes = libsbml.readSBMLFromString(exported.text).getModel().getNotesString()
    factor = float(exported.match["aromatization_factor"])
    assert f"{factor:.4g} times the typical" in notes and "9 pg/mL measured" in notes
    woman = export_person(WOMAN, provenance=provenance)
    assert woman.match == {"aromatization_factor": 1.0}  # no lab to match
    assert "Estradiol matched" not in woman.text


def test_tolerances_are_in_the_file_and_let_roadrunner_run_the_example() -> None:
    """The per-state absolute tolerances travel in the annotation; with them libroadrunner runs
    the example's 5 years (1,000+ dose events); at its defaults it stops before t = 0."""
    from osteotwin.sbml.export import RTOL, absolute_tolerances, read_tolerances

    text, start = export_scenario(demo_scenario(5.0))
    with pytest.raises(RuntimeError, match="CV_CONV_FAILURE"):  # as --help says
        load_roadrunner(text).simulate(0.0, -start, 20)
    rtol, absolute = read_tolerances(text)
    assert rtol == RTOL and absolute == absolute_tolerances(RTOL)
    assert set(absolute) == set(S.STATE_NAMES) and absolute["den_sc"] == pytest.approx(1.0)
    scales = np.array(list(absolute.values())) / rtol
    assert 5e-5 < scales.min() < 2e-4 and scales.max() == pytest.approx(1e6)  # as --help says
    rr = load_roadrunner(text)
    rr.integrator.relative_tolerance = rtol
    for sid, value in absolute.items():
        rr.integrator.setIndividualTolerance(sid, value)
    result = np.asarray(rr.simulate(0.0, 5 * 365.25 - start, 50))
    assert np.all(np.isfinite(result))


def test_notes_hold_provenance_and_the_model_papers() -> None:
    from osteotwin.physiology.parameters import PR10, PR12, R12
    from osteotwin.sbml.export import Provenance, export_person

    provenance = Provenance("9.9.9", "fitted to 21 training trials", "c0ffee" + "0" * 58,
                            "packaged (fitted_parameters.yaml)", "2026-12-07",
                            "the person in p.yaml", "p.yaml")
    text = export_person(WOMAN, provenance=provenance).text
    notes = libsbml.readSBMLFromString(text).getModel().getNotesString()
    for expected in ("osteotwin 9.9.9", "2026-12-07", "from patient file p.yaml",
                     "fitted to 21 training trials", "c0ffee" + "0" * 58,
                     "packaged (fitted_parameters.yaml)", PR10.replace("&", "&amp;"),
                     R12.replace("&", "&amp;"), PR12.replace("&", "&amp;"),
                     "setIndividualTolerance", "start_offset_d"):
        assert expected in notes, expected


def test_match_words_say_when_the_match_did_not_reach_the_lab() -> None:
    from osteotwin.sbml.export import estradiol_match_words

    assert estradiol_match_words({"aromatization_factor": 1.0}) is None
    words = estradiol_match_words({"aromatization_factor": 10.0, "estradiol_match": {
        "day": -30.0, "measured_pg_ml": 80.0, "simulated_pg_ml": 20.0, "matched": False}})
    assert words is not None and "10 times the typical" in words
    assert "20 pg/mL against the 80 pg/mL measured" in words and "did not reach" in words
