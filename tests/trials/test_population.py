"""Virtual population builder: distributions, truncation, overrides, shared random numbers."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from osteotwin.trials import parse_trial_document
from osteotwin.trials.population import (
    DRAW_NAMES,
    StandardDraws,
    age_ysm_correlation,
    check_simulable,
    draw_people,
    trial_rng,
)

DOC: dict[str, Any] = {
    "version": 1, "id": "pop", "citation": "test",
    "population": {
        "sex": "female", "menopausal_status": "postmenopausal", "breast_cancer": True,
        "age": {"mean": 64, "sd": 10, "min": 55, "max": 70},
        "weight": {"mean": 160, "sd": 20, "unit": "lb"},
        "baseline": {"estradiol": {"mean": 8, "sd": 4, "unit": "pg/mL"},
                     "total_hip": {"mean": 0.85, "sd": 0.1, "unit": "g/cm2"}},
        "lifestyle": {"dietary_calcium": "600 mg/d"},
    },
    "arms": [
        {"id": "ai", "n": 10, "lifestyle": {"resistance_sessions_per_week": 2,
                                            "resistance_intensity": "high"},
         "regimens": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "0 d"},
                      {"drug": "vitamin_d3", "dose": "800 IU", "every": "1 d", "start": "0 d"}]},
        {"id": "control", "n": 10, "population": {"baseline": {"estradiol": {"mean": 20,
                                                                          "unit": "pg/mL"}}},
         "regimens": []},
    ],
    "endpoints": [{"arm": "ai", "quantity": "total_hip_bmd_change_pct", "at": "12 mo",
                   "value": -2}],
}


def _people(doc: dict[str, Any], n: int = 2000, seed: int = 3) -> dict[str, Any]:
    trial = parse_trial_document(copy.deepcopy(doc))
    draws = StandardDraws.make(trial_rng(trial.id, seed), n, DRAW_NAMES)
    return {arm.id: draw_people(trial, arm, draws) for arm in trial.arms}


def test_distributions_truncation_and_units() -> None:
    people = _people(DOC)["ai"]
    subjects = [s.subject for s in people.scenarios]
    ages = np.array([s.age_y for s in subjects])
    assert ages.min() >= 55 and ages.max() <= 70
    assert 60 < ages.mean() < 64  # truncation at 70 pulls the mean below 64
    weights = np.array([s.weight_kg for s in subjects])
    assert weights.mean() == pytest.approx(160 * 0.45359237, rel=0.03)
    e2 = np.array([s.estradiol_pg_ml for s in subjects], dtype=float)
    assert e2.min() > 0 and e2.mean() == pytest.approx(8, rel=0.05)
    assert e2.std() == pytest.approx(4, rel=0.15)
    ysm = np.array([s.years_since_menopause for s in subjects], dtype=float)
    assert np.all(ysm >= 1.0)
    assert all(s.breast_cancer for s in subjects)
    hip = np.array([s.bmd_g_cm2["total_hip"] for s in subjects])
    assert hip.mean() == pytest.approx(0.85, rel=0.02)


def test_lifestyle_and_regimens() -> None:
    scenario = _people(DOC)["ai"].scenarios[0]
    life = scenario.subject.lifestyle  # habitual: the shared population's lifestyle
    assert life.dietary_calcium_mg_d == 600 and life.resistance_sessions_per_week == 0
    from_t0 = scenario.lifestyle_from_t0  # the arm's intervention, over the habitual lifestyle
    assert from_t0 is not None and from_t0.dietary_calcium_mg_d == 600
    assert from_t0.resistance_sessions_per_week == 2 and from_t0.resistance_intensity == "high"
    assert _people(DOC)["control"].scenarios[0].lifestyle_from_t0 is None
    assert [r.drug for r in scenario.regimens] == ["letrozole", "vitamin_d3"]
    assert scenario.regimens[1].dose_iu == 800
    assert scenario.years == pytest.approx(12 * 30.4375 / 365.25)
    scenario.validate()


def test_arms_share_random_numbers_and_override_baselines() -> None:
    arms = _people(DOC)
    ai, control = (arms[k].scenarios for k in ("ai", "control"))
    assert [s.subject.age_y for s in ai] == [s.subject.age_y for s in control]
    assert all(s.subject.estradiol_pg_ml == 20 for s in control)  # no SD -> fixed at the mean
    again = _people(DOC)["ai"].scenarios
    assert [s.subject.age_y for s in again] == [s.subject.age_y for s in ai]
    other_seed = _people(DOC, seed=4)["ai"].scenarios
    assert [s.subject.age_y for s in other_seed] != [s.subject.age_y for s in ai]


def test_assumptions_are_reported() -> None:
    doc = copy.deepcopy(DOC)
    del doc["population"]["age"], doc["population"]["weight"]
    people = _people(doc, n=10)["control"]
    assert any(a.startswith("age assumed") for a in people.assumptions)
    assert any(a.startswith("weight assumed") for a in people.assumptions)


def test_one_sided_bounds_draw_the_default_held_to_the_bound() -> None:
    """A field published only as a bound (e.g. 'aged 85 or younger') is legal trial-file input."""
    doc = copy.deepcopy(DOC)
    pop = doc["population"]
    pop["age"] = {"max": 60}
    pop["weight"] = {"min": 90, "unit": "kg"}
    pop["years_since_menopause"] = {"min": 12}
    pop["baseline"]["total_hip"] = {"max": 0.8, "unit": "g/cm2"}
    pop["baseline"]["vitamin_d_25oh"] = {"max": 20, "unit": "ng/mL"}
    people = _people(doc)["control"]
    subjects = [s.subject for s in people.scenarios]
    ages = np.array([s.age_y for s in subjects])
    weights = np.array([s.weight_kg for s in subjects])
    ysm = np.array([s.years_since_menopause for s in subjects], dtype=float)
    assert ages.max() <= 60 and 50 < ages.mean() < 58  # default 63 ± 8 y cut at 60
    assert weights.min() >= 90 and weights.mean() > 95  # default 77 ± 20 kg cut at 90
    assert ysm.min() >= 12
    assert all("total_hip" not in s.bmd_g_cm2 for s in subjects)
    assert any("at most 60 y as published" in a for a in people.assumptions)
    assert any("at least 90 kg as published" in a for a in people.assumptions)
    assert any("baseline total_hip published only as at most 0.8: not used" in a
               for a in people.assumptions)
    assert all(s.vitamin_d_25oh_ng_ml is None for s in subjects)  # population typical, noted
    assert any(a.startswith("baseline vitamin_d_25oh published only as at most 20")
               for a in people.assumptions)


def test_no_inhibitor_added_to_a_users_breast_cancer_trial_without_endocrine_therapy() -> None:
    """ER-negative survivors on zoledronic acid or placebo take what their file lists: no
    aromatase inhibitor is added behind the user's back (it was, to every such trial)."""
    doc = copy.deepcopy(DOC)
    doc["arms"][0]["regimens"] = [{"drug": "zoledronic_acid", "dose": "4 mg", "every": "6 mo"}]
    people = _people(doc, n=3)
    assert [r.drug for r in people["ai"].scenarios[0].regimens] == ["zoledronic_acid"]
    assert people["control"].scenarios[0].regimens == ()
    assert not any("background" in a for p in people.values() for a in p.assumptions)


def test_transition_cohort_ages_follow_menopause_timing() -> None:
    doc = copy.deepcopy(DOC)
    pop = doc["population"]
    for key in ("age", "menopausal_status", "breast_cancer"):
        del pop[key]
    pop["years_since_menopause"] = {"mean": -5}
    subjects = [s.subject for s in _people(doc)["control"].scenarios]
    ysm = np.array([s.years_since_menopause for s in subjects], dtype=float)
    ages = np.array([s.age_y for s in subjects])
    assert ysm.mean() == pytest.approx(-5, abs=0.05)
    assert np.ptp(ysm) == 0.0  # a timeline anchored on each woman's own FMP: no spread
    assert ages.mean() == pytest.approx(46, abs=0.5)
    assert np.std(ages) == pytest.approx(4.0, abs=0.3)  # spread of the age at menopause


def test_every_training_population_draws_valid_scenarios() -> None:
    from pathlib import Path

    from osteotwin.trials import load_trials

    train = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "trials" / "train"
    for trial in load_trials([train]):
        draws = StandardDraws.make(trial_rng(trial.id, 0), 400, DRAW_NAMES)
        for arm in trial.arms:
            for scenario in draw_people(trial, arm, draws).scenarios:
                scenario.validate()


def test_stratified_draws_put_a_trial_population_on_its_published_mean() -> None:
    """Validation draws people as a Latin hypercube: the arm's mean age and estradiol sit on the
    truncated distributions' means whatever the seed, where independent draws wander."""
    trial = parse_trial_document(copy.deepcopy(DOC))
    arm = trial.arms[0]

    def mean_age(seed: int, stratified: bool) -> float:
        draws = StandardDraws.make(trial_rng(trial.id, seed), 200, DRAW_NAMES, stratified=stratified)
        return float(np.mean([s.subject.age_y for s in draw_people(trial, arm, draws).scenarios]))

    stratified = [mean_age(seed, True) for seed in range(12)]
    independent = [mean_age(seed, False) for seed in range(12)]
    assert np.std(stratified) < 0.1 * np.std(independent)
    assert np.mean(stratified) == pytest.approx(np.mean(independent), abs=0.5)
    plain = StandardDraws.make(np.random.default_rng(9), 5, ("a", "b"))
    rng = np.random.default_rng(9)
    assert np.array_equal(plain.get("a"), rng.standard_normal(5))  # unstratified: as drawn
    assert np.array_equal(plain.get("b"), rng.standard_normal(5))


def test_what_the_simulator_cannot_run_names_the_trial_files_field() -> None:
    """A trial built in code past the simulator's 30-year horizon, or with a dosing interval it
    refuses: the error names ``endpoints[i].at`` or the arm's regimen field, not ``years``, and
    validation reports it under the trial's file."""
    from dataclasses import replace

    from osteotwin.errors import UserInputError
    from osteotwin.physiology.fracture import FractureParameters
    from osteotwin.trials.validation import run_validation

    trial = parse_trial_document(copy.deepcopy(DOC))
    late = replace(trial, endpoints=(replace(trial.endpoints[0], at_d=40 * 365.25, at_text="40 y"),),
                   path="late.yaml")
    with pytest.raises(UserInputError) as info:
        check_simulable(late)
    assert info.value.field == "endpoints[0].at" and info.value.value == "40 y"
    assert "30 y" in info.value.accepted

    arm = trial.arms[0]
    sparse = replace(trial, arms=(replace(arm, regimens=(replace(arm.regimens[0], every_d=5000.0),
                                                         *arm.regimens[1:])), *trial.arms[1:]))
    with pytest.raises(UserInputError) as info:
        check_simulable(sparse)
    assert info.value.field == "arms[0].regimens[0].every"

    def simulator(scenarios: Any, times: Any, params: Any) -> dict[str, Any]:
        for scenario in scenarios:  # as every population simulator does first
            scenario.validate()
        raise AssertionError("not reached: refused before simulating")

    report = run_validation([late], n=2, simulator=simulator, parameter_rows=lambda rng, n: None,
                            fracture=FractureParameters())
    assert len(report.errors) == 1 and report.errors[0].startswith("late.yaml: endpoints[0].at: ")


def _ysm_and_ages(doc: dict[str, Any], arm: str = "control") -> tuple[Any, Any]:
    subjects = [s.subject for s in _people(doc)[arm].scenarios]
    return (np.array([s.years_since_menopause for s in subjects], dtype=float),
            np.array([s.age_y for s in subjects]))


def test_postmenopausal_draws_are_after_the_menopause_at_a_plausible_age() -> None:
    """A published spread of years since menopause no longer puts 'postmenopausal' women before
    their final menstrual period, nor their menopause at 25 (independent of their age): draws are
    held to >= 0 and to a menopause at 30-65 y (the reader's range for the means)."""
    doc = copy.deepcopy(DOC)
    pop = doc["population"]
    pop["age"] = {"mean": 64, "sd": 6}
    pop["years_since_menopause"] = {"mean": 12, "sd": 5}
    ysm, ages = _ysm_and_ages(doc)
    assert ysm.min() >= 0.0
    menopause = ages - ysm
    assert menopause.min() >= 30.0 - 1e-9 and menopause.max() <= 65.0 + 1e-9
    assert ysm.mean() == pytest.approx(12, abs=0.5)  # the published mean, barely moved
    # a wide spread: many draws would fall outside; still within the bounds
    pop["years_since_menopause"] = {"mean": 3, "sd": 10}
    ysm, ages = _ysm_and_ages(doc)
    assert ysm.min() >= 0.0 and (ages - ysm).min() >= 30.0 - 1e-9


def test_premenopausal_draws_are_before_the_menopause() -> None:
    doc = copy.deepcopy(DOC)
    pop = doc["population"]
    pop.update(menopausal_status="premenopausal", breast_cancer=False,
               age={"mean": 44, "sd": 4}, years_since_menopause={"mean": -4, "sd": 3})
    doc["arms"][0]["regimens"] = []
    ysm, ages = _ysm_and_ages(doc)
    assert ysm.max() <= 0.0
    assert (ages - ysm).max() <= 65.0 + 1e-9


def test_postmenopausal_cohort_timed_by_menopause_has_no_premenopausal_women() -> None:
    """Ages derived from the menopause (no age published): the years drawn are held to the
    status too."""
    doc = copy.deepcopy(DOC)
    pop = doc["population"]
    del pop["age"]
    pop["years_since_menopause"] = {"mean": 1, "sd": 2}
    ysm, ages = _ysm_and_ages(doc)
    assert ysm.min() >= 0.0
    assert np.all(ages >= 35.0)


def test_ysm_bounds_let_the_status_win_over_an_implausible_age() -> None:
    from osteotwin.trials.population import ysm_bounds

    low, high = ysm_bounds("postmenopausal", np.array([25.0, 50.0, 90.0]))
    assert list(low) == [0.0, 0.0, 25.0]
    assert list(high) == [0.0, 20.0, 60.0]
    low, high = ysm_bounds(None, np.array([40.0]))
    assert (low[0], high[0]) == (-20.0, 10.0)


def test_truncated_normal_takes_one_bound_per_draw() -> None:
    from osteotwin.trials.population import truncated_normal

    z = np.linspace(-3, 3, 7)
    per_draw = truncated_normal(z, 0.0, 1.0, np.full(7, -1.0), np.full(7, 1.0))
    assert np.array_equal(per_draw, truncated_normal(z, 0.0, 1.0, -1.0, 1.0))
    mixed = truncated_normal(z, 0.0, 1.0, np.array([-1.0] * 6 + [5.0]), np.array([1.0] * 6 + [5.0]))
    assert mixed[-1] == 5.0 and np.all(np.abs(mixed[:-1]) <= 1.0)


def test_years_since_menopause_follow_age() -> None:
    """Published spreads of age and of years since menopause are drawn jointly: the older women
    are the longer past their menopause, whose age then spreads about ± 4 y (drawn independently,
    age 64 ± 8 and 12 ± 7 years since put about one woman in eight at a menopause before 40)."""
    doc = copy.deepcopy(DOC)
    pop = doc["population"]
    pop["age"] = {"mean": 64, "sd": 8}
    pop["years_since_menopause"] = {"mean": 12, "sd": 7}
    ysm, ages = _ysm_and_ages(doc)
    assert np.corrcoef(ages, ysm)[0, 1] > 0.75
    menopause = ages - ysm
    assert menopause.std() == pytest.approx(4.0, abs=1.0)
    assert np.mean(menopause < 40.0) < 0.02
    # held after the menopause (>= 0), the mean rises a little above the published 12 y
    assert 12.0 < ysm.mean() < 13.5 and ysm.std() == pytest.approx(7, rel=0.15)
    people = _people(doc)["control"]
    assert any("correlation 0.87 to age" in note for note in people.assumptions)


def test_age_ysm_correlation_from_the_spreads() -> None:
    assert age_ysm_correlation(8.0, 7.0) == pytest.approx(97 / 112)
    assert age_ysm_correlation(8.0, 0.5) == 1.0  # the nearest feasible
    assert age_ysm_correlation(3.0, 2.0) == 0.0  # spreads narrower than the menopause's own
    assert age_ysm_correlation(8.0, 0.0) == 0.0
