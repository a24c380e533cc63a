"""Background therapy a trial file omits: the AI rule and the packaged table of omitted therapy."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from osteotwin.simulate import simulate
from osteotwin.trials import load_trial_file
from osteotwin.trials.background import background_regimens, omitted_therapy
from osteotwin.trials.model import TrialRegimen
from osteotwin.trials.population import DRAW_NAMES, StandardDraws, draw_people, trial_rng

TRAIN_DIR = Path(str(resources.files("osteotwin.data").joinpath("trials/train")))
CHECKS_DIR = TRAIN_DIR.parent / "checks"


def test_every_table_entry_names_a_packaged_trial_and_parses() -> None:
    table = omitted_therapy()
    assert table, "the packaged table is empty"
    ids = {load_trial_file(p).id for d in (TRAIN_DIR, CHECKS_DIR) for p in d.glob("*.yaml")}
    for trial_id, (regimens, reason) in table.items():
        assert trial_id in ids
        assert regimens and len(reason) > 40


@pytest.mark.parametrize(("folder", "trial_id"), [
    (TRAIN_DIR, "abcsg_18"), (TRAIN_DIR, "b_able"), (CHECKS_DIR, "nakatsukasa_2018_denosumab_ai")])
def test_trials_whose_source_names_no_inhibitor_take_anastrozole_by_id(folder: Path,
                                                                       trial_id: str) -> None:
    """The adjuvant inhibitor the sources of ABCSG-18 and B-ABLE (and one outside check) do not
    name is given by trial id, as the packaged table gives the castrating agent: the same
    anastrozole 1 mg daily from study start the old rule gave them, so validation is unchanged."""
    trial = load_trial_file(folder / f"{trial_id}.yaml")
    regimens, notes = background_regimens(trial)
    assert regimens == (TrialRegimen(drug="anastrozole", dose_mg=1.0, dose_iu=None, route="oral",
                                     every_d=1.0, start_d=0.0, stop_d=None),)
    assert notes[0].startswith("background therapy assumed (anastrozole 1 mg every 1 d): ")


def test_castration_trial_men_are_castrated_from_study_start() -> None:
    trial = load_trial_file(TRAIN_DIR / "castration_testosterone_gel_letrozole.yaml")
    regimens, notes = background_regimens(trial)
    assert [r.drug for r in regimens] == ["goserelin"]
    assert any("castrat" in note for note in notes)
    draws = StandardDraws.make(trial_rng(trial.id, 0), 3, DRAW_NAMES)
    people = draw_people(trial, trial.arm("castrate"), draws)
    assert any("background therapy assumed (goserelin 3.6 mg every 28 d)" in a
               for a in people.assumptions)
    scenario = people.scenarios[0]
    assert [r.drug for r in scenario.regimens] == ["goserelin"]
    traj = simulate(scenario)
    at_4wk = int(np.argmin(np.abs(traj.times_d - 28.0)))
    # baseline ~490 ng/dL before castration; castrate range (< 50 ng/dL) four weeks later
    assert traj.series["total_testosterone_ng_dl"][0] > 200
    assert traj.series["total_testosterone_ng_dl"][at_4wk] < 50


def test_no_background_for_a_trial_that_lists_its_therapy() -> None:
    trial = load_trial_file(TRAIN_DIR / "atac_bone_substudy.yaml")
    assert background_regimens(trial) == ((), ())
