"""Random persons and what-ifs: every course simulates, and compared courses give what each gives
alone (a seeded sweep over sexes, ages, drugs started before, at or after t = 0, scans and
estradiol results on random days; it found a crash once, see ``test_single``)."""

from __future__ import annotations

import random

import numpy as np

from osteotwin.physiology.parameters import default_parameters
from osteotwin.simulate import Regimen, Scenario, Subject, simulate
from osteotwin.simulate.single import simulate_alike
from osteotwin.simulate.what_if import apply_what_if, parse_what_if

P = default_parameters()
DRUGS = (("anastrozole", 1.0, 1.0, "oral"), ("anastrozole", 0.5, 3.5, "oral"),
         ("letrozole", 2.5, 1.0, "oral"), ("exemestane", 25.0, 1.0, "oral"),
         ("tamoxifen", 20.0, 1.0, "oral"),
         ("testosterone_cypionate", 100.0, 7.0, "intramuscular"),
         ("testosterone_gel", 50.0, None, "transdermal"),
         ("zoledronic_acid", 4.0, 182.6, "intravenous"),
         ("denosumab", 60.0, 182.6, "subcutaneous"), ("goserelin", 10.8, 84.0, "subcutaneous"),
         ("alendronate", 70.0, 7.0, "oral"))
WHAT_IFS = ("anastrozole=stop", "letrozole=none", "training=2xhigh,impact=2",
            "calcium=1000,vitamin_d=2000", "zoledronic_acid=4mg/182.6d",
            "denosumab=60mg/182.6d", "exemestane=25mg/d", "anastrozole=0.5mg/3.5d")


def _person(rng: random.Random) -> Scenario:
    male = rng.random() < 0.5
    scan = rng.choice([None, 0.0, -rng.uniform(1.0, 3000.0)])
    lab = rng.choice([None, (-rng.choice([0.0, 7.0, 100.0, 400.0]), rng.uniform(3.0, 40.0))])
    subject = Subject(
        sex="male" if male else "female", age_y=rng.uniform(40.0, 80.0),
        weight_kg=rng.uniform(55.0, 110.0),
        years_since_menopause=None if male else rng.uniform(-4.0, 25.0),
        bmd_g_cm2={"lumbar_spine": 0.9} if scan is not None else {},
        t_scores={"femoral_neck": -1.5} if scan is not None else {},
        bmd_scan_d={"lumbar_spine": scan, "femoral_neck": scan} if scan is not None else {},
        estradiol_on_treatment=lab)
    regimens = []
    for _ in range(rng.randint(0, 3)):
        drug, dose, every, route = rng.choice(DRUGS)
        start = rng.choice([0.0, -rng.uniform(1.0, 1500.0), -7.0, -3.5])
        stop = rng.choice([None, None, rng.uniform(1.0, 900.0), 0.0 if start < 0 else None])
        regimens.append(Regimen(drug, dose, route=route, every_d=every, start_d=start,
                                stop_d=stop))
    return Scenario(subject, tuple(regimens), rng.choice([1.0, 2.0]))


def _applies(base: Scenario, what_if: str) -> bool:
    """A stop applies only to a drug taken at t = 0 (``apply_what_if`` refuses the others)."""
    drug, _, value = what_if.partition("=")
    return value not in ("stop", "none") or any(
        r.drug == drug and (r.stop_d is None or r.stop_d > 0.0) for r in base.regimens)


def test_random_persons_and_what_ifs_simulate_and_compare_as_alone() -> None:
    rng = random.Random(3)
    times = np.linspace(0.0, 365.25, 5)
    for _ in range(16):
        base = _person(rng)
        courses = [base, *(apply_what_if(base, parse_what_if(w)) for w in rng.sample(WHAT_IFS, 2)
                           if _applies(base, w))]
        together = simulate_alike(courses, params=P, times_d=times)
        for course, trajectory in zip(courses, together, strict=True):
            alone = simulate(course, params=P, times_d=times)
            for name, values in alone.series.items():
                assert np.all(np.isfinite(values)), name
                np.testing.assert_array_equal(trajectory.series[name], values, err_msg=name)
