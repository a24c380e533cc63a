"""The report's what-if scenarios and their simulation (real simulator, few parameter draws)."""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from osteotwin.records import PatientRecord, load_patient_file, parse_patient_document
from osteotwin.reports.sections import Unavailable, plan_section
from osteotwin.reports.whatif import (
    LIFESTYLE_LABEL,
    PlanTarget,
    WhatIf,
    alternatives,
    default_simulator,
    illustrative_course,
    what_if_section,
)

needs_simulator = pytest.mark.skipif(importlib.util.find_spec("osteotwin.simulate.single") is None,
                                     reason="osteotwin.simulate.single is not in this build")


@pytest.fixture(scope="module")
def example() -> PatientRecord:
    return load_patient_file(Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml")


def _plan_target(record: PatientRecord) -> PlanTarget:
    plan = plan_section(record, record.as_of or date(2025, 6, 1), weeks=1)
    assert isinstance(plan, dict), plan
    return PlanTarget.from_plan(plan)


@pytest.fixture(scope="module")
def example_plan_document(example: PatientRecord) -> dict[str, Any]:
    plan = plan_section(example, date(2025, 6, 1), weeks=1)
    assert isinstance(plan, dict), plan
    return plan


@pytest.fixture(scope="module")
def example_plan(example_plan_document: dict[str, Any]) -> PlanTarget:
    return PlanTarget.from_plan(example_plan_document)


def test_alternatives_for_the_example(example: PatientRecord, example_plan: PlanTarget) -> None:
    from osteotwin.simulate import Scenario

    base = Scenario.from_record(example, years=5)
    current, stopped, lifestyle = alternatives(base, plan=example_plan)
    assert current is base
    ai = [r for r in stopped.regimens if r.drug == "anastrozole"]
    assert len(ai) == 1 and ai[0].stop_d == 0.0  # started in the past, stops today
    assert [r for r in stopped.regimens if r.drug != "anastrozole"] == \
        [r for r in base.regimens if r.drug != "anastrozole"]
    assert lifestyle.subject == base.subject  # lived from today: the person's past is their own
    life = lifestyle.lifestyle_from_t0
    assert life is not None
    # the demo man's plan: a gym, a DXA on file, no fracture or falls: high intensity and jumping
    # cleared, two resistance-and-impact days a week; his plan's calcium and vitamin D targets
    assert (example_plan.resistance_intensity, example_plan.impact_cap) == ("high", "high")
    assert life.resistance_intensity == "high" and life.resistance_sessions_per_week == 2
    assert life.impact_sessions_per_week == 2
    assert example_plan.calcium_total_mg_d == 1000  # the plan's target; he has 1,200 already, kept
    assert life.dietary_calcium_mg_d + life.supplemental_calcium_mg_d == 1200
    assert life.vitamin_d_iu_d == max(example_plan.vitamin_d_iu_d, base.subject.lifestyle.vitamin_d_iu_d)
    assert lifestyle.regimens == base.regimens
    assert [s.label for s in alternatives(base)] == ["current course", "aromatase inhibitor stopped today"]


def test_the_lifestyle_alternative_keeps_to_the_plans_safety_screen() -> None:
    """Review: the report modelled high-intensity lifting and two impact sessions a week for a woman
    of 72 with a hip fracture and two falls, whose plan holds heavy lifting back and keeps impact to
    heel drops; it now follows her plan."""
    from osteotwin.simulate import Scenario

    record = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1953-01-01", "weight": "62 kg",
                    "height": "160 cm", "menopausal_status": "postmenopausal"},
        "history": {"breast_cancer": True, "prior_fragility_fractures": 1, "falls_last_12_months": 2,
                    "vertebral_fracture": False},
        "medications": LETROZOLE,
        "dxa": [{"date": "2025-01-10", "site": "femoral_neck", "t_score": -2.0}],
        "lifestyle": {"dietary_calcium": "700 mg/d", "resistance_sessions_per_week": 0,
                      "impact_sessions_per_week": 0, "weight_bearing_aerobic_minutes_per_week": 60}})
    plan = _plan_target(record)
    assert (plan.resistance_intensity, plan.impact_cap) == ("moderate", "low")
    base = Scenario.from_record(record, years=1)
    life = next(s for s in alternatives(base, plan=plan) if s.label == LIFESTYLE_LABEL).lifestyle_from_t0
    assert life is not None
    assert life.resistance_intensity == "moderate" and life.impact_sessions_per_week == 0
    assert life.resistance_sessions_per_week == plan.resistance_sessions_per_week >= 2
    assert life.dietary_calcium_mg_d + life.supplemental_calcium_mg_d == \
        pytest.approx(plan.calcium_total_mg_d) == 1200
    assert "at moderate intensity" in plan.describe() and "heel drops" in plan.describe()


@needs_simulator
def test_the_lifestyle_alternative_gains_bone_over_the_current_course(
        example: PatientRecord, example_plan: PlanTarget) -> None:
    """Training, calcium and vitamin D from today on show their effect; lived through the whole
    simulated history instead (as before), the person was equilibrated on them and the
    alternative differed from the current course by less than 0.01 points."""
    from osteotwin.simulate import Scenario, simulate

    current, _, lifestyle = alternatives(Scenario.from_record(example, years=2), plan=example_plan)
    times = np.array([0.0, 365.25, 730.5])
    spine = [simulate(s, times_d=times).series["lumbar_spine_bmd_change_pct"]
             for s in (current, lifestyle)]
    assert spine[1][0] == spine[0][0] == 0.0
    assert spine[1][-1] > spine[0][-1] + 1.0


@needs_simulator
def test_stopping_the_inhibitor_raises_estradiol(example: PatientRecord,
                                                  example_plan_document: dict[str, Any]) -> None:
    section = what_if_section(example, date(2025, 6, 1), years=2,
                              simulator=default_simulator(band_draws=4), plan=example_plan_document)
    assert isinstance(section, WhatIf), section
    estradiol = dict(section.tables[0][1])
    assert section.columns == ("at 1 y", "at 2 y")
    current = float(estradiol["current course"][0].split()[0])
    stopped = float(estradiol["aromatase inhibitor stopped today"][0].split()[0])
    assert stopped > current  # aromatase inhibition lowers estradiol; stopping it restores it
    assert "(" in estradiol["current course"][0]  # a 5-95 % range is shown
    # levels to three significant figures, value and range alike; changes signed to one decimal
    assert re.fullmatch(r"\d+\.\d+ pg/mL \(\d+\.\d+ to \d+\.\d+\)", estradiol["current course"][0])
    assert all(len(re.sub(r"\D", "", number).lstrip("0")) == 3
               for number in re.findall(r"\d+\.\d+", estradiol["current course"][0]))
    spine = dict(section.tables[1][1])["current course"][0]
    assert re.fullmatch(r"[+-]\d+\.\d % \([+-]\d+\.\d to [+-]\d+\.\d\)", spine), spine
    assert len(section.figures) == 1 and section.figures[0].data_uri.startswith("data:image/png")
    assert any("clinical decision" in text for text in section.cautions)  # a man on TRT + AI
    # the model's known departures, each named with the courses it concerns: a man on an
    # inhibitor (not the course that stops it), his vitamin D supplement (every course), and the
    # recovery after the stop (that course only)
    departures = [text for text in section.cautions if text.startswith("Known model departure")]
    assert len(departures) == 3
    assert departures[0].startswith("Known model departure (current course, ")
    assert "aromatase inhibitor stopped today" not in departures[0].split(":")[0]
    assert "aromatase inhibitor stopped today" in departures[1].split(":")[0]
    assert "Vitamin D supplement" in departures[1]
    assert departures[2].startswith("Known model departure (aromatase inhibitor stopped today): "
                                    "Aromatase inhibitor stopped")
    assert all("docs/model.md" in text for text in departures)


@needs_simulator
def test_the_report_table_shows_what_the_web_what_if_shows() -> None:
    """The demo man, injecting 200 mg every 2 weeks: the report's table gives his estradiol as the
    web what-if's table does (the mean over his whole 14-day cycle before each time, not the
    curves' 28-day average), so one record reads the same on screen and on paper; the window is
    said, and on his steady course the level reads flat (review: a 7-day window had read a
    fortnightly course where the week fell)."""
    import yaml

    from osteotwin.web.whatif import WhatIfRequest, run_what_if

    text = (Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml").read_text()
    document = yaml.safe_load(text.replace("dose: 100 mg", "dose: 200 mg").replace(
        "every: 7 d  ", "every: 14 d "))
    assert document["medications"][0]["every"] == "14 d"
    example = parse_patient_document(document)
    as_of = date(2025, 6, 1)
    section = what_if_section(example, as_of, years=2, simulator=default_simulator(band_draws=10))
    assert isinstance(section, WhatIf), section
    title, rows = section.tables[0]
    assert title == "Estradiol (mean over the dosing cycle before) (pg/mL)"
    assert section.uncertainty.startswith("Hormone levels are means over the 14 days before each "
                                          "time (a whole dosing cycle")
    report = [float(cell.split()[0]) for cell in dict(rows)["current course"]]
    assert abs(report[1] / report[0] - 1.0) < 0.02, report
    web = run_what_if(example.model_copy(update={"as_of": as_of}),
                      WhatIfRequest(years=2, aromatase_inhibitor={"drug": "none"}, band_draws=10))
    table = web["courses"][0]["table"]
    assert table["years"] == [1.0, 2.0]
    for shown, value in zip(report, table["values"]["estradiol_pg_ml"], strict=True):
        assert shown == pytest.approx(value, rel=0.005)  # the report rounds to 3 figures
    low, high = (float(x) for x in re.findall(r"\d+\.\d+", dict(rows)["current course"][0])[1:])
    band = table["bands"]["estradiol_pg_ml"]
    assert low == pytest.approx(band["low"][0], rel=0.005)
    assert high == pytest.approx(band["high"][0], rel=0.005)
    # every site the web shows, the femoral neck (often the lowest T-score) included
    assert [t for t, _ in section.tables][1:] == [
        "Lumbar spine BMD (% change)", "Total hip BMD (% change)", "Femoral neck BMD (% change)"]
    neck = dict(dict(section.tables)["Femoral neck BMD (% change)"])["current course"]
    for shown, value in zip(neck, table["values"]["femoral_neck_bmd_change_pct"], strict=True):
        assert float(shown.split()[0]) == pytest.approx(value, abs=0.051)


@needs_simulator
def test_breast_cancer_stop_scenario_carries_an_oncology_caution() -> None:
    record = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1955-01-01",
                    "menopausal_status": "postmenopausal"},
        "history": {"breast_cancer": True},
        "medications": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d",
                         "start": "2024-01-01"}]})
    section = what_if_section(record, date(2025, 6, 1), years=1,
                              simulator=default_simulator(band_draws=0))
    assert isinstance(section, WhatIf), section
    assert any("oncology decision" in text for text in section.cautions)


def test_what_the_record_left_to_assumption_is_a_caution() -> None:
    """The medicines are named as a reader knows them (review: "medications[0] (letrozole): no
    dosing interval on file" showed the file's index notation to patients)."""
    record = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1958-01-01"},
        "medications": [{"drug": "letrozole", "dose": "2.5 mg"}]})
    section = what_if_section(record, date(2025, 6, 1), years=1,
                              simulator=default_simulator(band_draws=0))
    assert isinstance(section, WhatIf), section
    assumed = [text for text in section.cautions if text.startswith("Assumed where")]
    assert len(assumed) == 1
    assert "taken as postmenopausal at 67 y" in assumed[0]
    assert "letrozole 2.5 mg: no start on file" in assumed[0]
    assert "letrozole 2.5 mg: no dosing interval on file, taken as a daily dose" in assumed[0]
    assert "medications[" not in assumed[0]


def test_bad_scenario_is_reported_not_raised(example: PatientRecord) -> None:
    section = what_if_section(example, date(2025, 6, 1), years=-1)
    assert isinstance(section, Unavailable)
    assert "could not be computed" in section.reason


@needs_simulator
def test_an_estradiol_the_model_cannot_reproduce_is_a_caution(
        premenopausal_on_tamoxifen: dict[str, Any]) -> None:
    record = parse_patient_document(premenopausal_on_tamoxifen)
    section = what_if_section(record, date(2025, 6, 1), years=1,
                              simulator=default_simulator(band_draws=0))
    assert isinstance(section, WhatIf), section
    assert "could not be reproduced" in section.cautions[0]


def _woman(medications: list[dict[str, Any]], t_score: float, **history: Any) -> PatientRecord:
    return parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1956-01-01",
                    "menopausal_status": "postmenopausal"},
        "history": history, "medications": medications,
        "dxa": [{"date": "2025-01-10", "site": "femoral_neck", "t_score": t_score},
                {"date": "2025-01-10", "site": "lumbar_spine", "t_score": t_score}]})


DENOSUMAB_STOPPED = [{"drug": "denosumab", "dose": "60 mg", "route": "subcutaneous",
                      "every": "6 mo", "start": "2022-03-01", "stop": "2024-06-01"}]
LETROZOLE = [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-01-01"}]


def test_the_antiresorptive_shown_follows_the_assessment(example: PatientRecord) -> None:
    from osteotwin.clinic.reference import citation_text
    from osteotwin.reports.whatif import ILLUSTRATIVE_COURSES

    # each illustration's source is in the assessment's citation registry (the report's list)
    assert all(citation_text(source).startswith(("Tsourdi", "Coleman", "LeBoff", "Amgen"))
               for _, source in ILLUSTRATIVE_COURSES.values())
    when = date(2025, 6, 1)
    assert illustrative_course(_woman(DENOSUMAB_STOPPED, -1.2), when) == "after_denosumab"
    assert illustrative_course(_woman(LETROZOLE, -2.1, breast_cancer=True), when) == \
        "aromatase_inhibitor"
    assert illustrative_course(_woman([], -2.7), when) == "other"
    assert illustrative_course(_woman(LETROZOLE, -0.5, breast_cancer=True), when) is None
    assert illustrative_course(example, when) is None  # the demo man: no antiresorptive to discuss


@needs_simulator
def test_a_follow_on_bisphosphonate_after_denosumab_keeps_bone_the_stop_loses() -> None:
    from osteotwin.simulate import Scenario, simulate

    base = Scenario.from_record(_woman(DENOSUMAB_STOPPED, -1.2), years=2)
    scenarios = alternatives(base, "after_denosumab")
    follow_on = scenarios[-1]
    assert follow_on.label == "zoledronic acid 5 mg yearly from today (illustration)"
    added = [r for r in follow_on.regimens if r not in base.regimens]
    assert [(r.drug, r.dose_mg, r.start_d) for r in added] == [("zoledronic_acid", 5.0, 0.0)]
    times = np.array([0.0, 365.25])
    spine = [simulate(s, times_d=times).series["lumbar_spine_bmd_change_pct"][-1]
             for s in (base, follow_on)]
    assert spine[1] > spine[0] + 1.0  # the rebound after the stop is partly prevented
