"""The web what-if: the alternative course and the simulator's cache tag."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from osteotwin.records import load_patient_file
from osteotwin.simulate import Scenario, simulate
from osteotwin.web.whatif import (
    WHAT_IF_REVISION,
    WhatIfRequest,
    alternative_scenario,
    model_version,
    run_what_if,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"


def test_lifestyle_changes_start_at_time_zero_and_show_their_effect() -> None:
    """Training and impact asked for are lived from t = 0: the person before it, and so their
    equilibrium, stay their own (applied to the whole history, as before, they showed no effect:
    spine 0.46 % at 2 years both ways)."""
    base = Scenario.from_record(load_patient_file(EXAMPLE), years=2.0)
    request = WhatIfRequest(resistance_sessions_per_week=3, resistance_intensity="high",
                            impact_sessions_per_week=3, band_draws=0)
    alternative = alternative_scenario(base, request)
    assert alternative.subject == base.subject and alternative.regimens == base.regimens
    assert alternative.lifestyle_from_t0 is not None
    assert alternative.lifestyle_from_t0.resistance_sessions_per_week == 3
    times = np.array([0.0, 730.5])
    spine = [simulate(s, times_d=times).series["lumbar_spine_bmd_change_pct"][-1]
             for s in (base, alternative)]
    assert spine[1] > spine[0] + 1.0
    unchanged = alternative_scenario(base, WhatIfRequest(band_draws=0))
    assert unchanged.lifestyle_from_t0 is None and unchanged.subject == base.subject


def test_the_result_names_the_simulator_it_came_from() -> None:
    """The cache tag carries the what-if revision and a digest of the parameter set, so neither a
    changed computation nor a re-fitted set serves stale results."""
    tag = model_version()
    assert f"+w{WHAT_IF_REVISION}+p" in tag and tag == model_version() and len(tag) <= 64
    result = run_what_if(load_patient_file(EXAMPLE),
                         WhatIfRequest(years=1, resistance_sessions_per_week=2, band_draws=10))
    assert result["model_version"] == tag
    current, changed = result["courses"]
    assert changed["label"] == "resistance 2/wk"
    band = changed["bands"]["lumbar_spine_bmd_change_pct"]
    assert band["n"] == 10 and band["high"][-1] >= band["low"][-1]
    assert changed["series"]["lumbar_spine_bmd_change_pct"][-1] > \
        current["series"]["lumbar_spine_bmd_change_pct"][-1]
    # ten virtual people make a rough band, and the result says so
    assert "With 10 virtual people the band's edges are rough" in result["bands"]["precision"]


def test_an_estradiol_the_model_cannot_reproduce_is_noted(
        premenopausal_on_tamoxifen: dict[str, Any]) -> None:
    """The what-if says when the model cannot reproduce an estradiol measured on treatment (see
    the fixture); the demo patient's is reproduced, with no note."""
    from osteotwin.records import parse_patient_document

    request = WhatIfRequest(years=1, resistance_sessions_per_week=2, band_draws=0)
    note = run_what_if(parse_patient_document(premenopausal_on_tamoxifen), request)
    assert note["estradiol_note"] is not None and "12 pg/mL" in note["estradiol_note"]
    assert run_what_if(load_patient_file(EXAMPLE), request)["estradiol_note"] is None


def test_what_the_record_left_to_assumption_is_listed_with_the_result(
        premenopausal_on_tamoxifen: dict[str, Any]) -> None:
    """A woman without a recorded menopausal status is timed by her age, and the what-if says
    so; the demo record (a hypogonadal man on testosterone) leaves only his untreated testosterone
    to assume, and says so."""
    from osteotwin.records import parse_patient_document

    request = WhatIfRequest(years=1, band_draws=0)
    document = json.loads(json.dumps(premenopausal_on_tamoxifen))
    document["patient"]["menopausal_status"] = None
    result = run_what_if(parse_patient_document(document), request)
    assert any("menopausal status not on file" in a for a in result["assumptions"])
    assert run_what_if(load_patient_file(EXAMPLE), request)["assumptions"] == [
        "hypogonadism on file without a testosterone result before treatment: untreated "
        "testosterone taken as 250 ng/dL"]


def test_an_antiresorptive_course_is_added_from_today() -> None:
    """Each offered course is the registry's regimen from t = 0 (the form's choices are the
    registry's keys); denosumab keeps the demo man's spine above his current course."""
    from typing import get_args

    from osteotwin.simulate.what_if import ANTIRESORPTIVE_COURSES
    from osteotwin.web.whatif import AntiresorptiveCourse

    assert set(get_args(AntiresorptiveCourse)) == set(ANTIRESORPTIVE_COURSES)
    base = Scenario.from_record(load_patient_file(EXAMPLE), years=1.0)
    request = WhatIfRequest(antiresorptive="denosumab_60mg_6mo", band_draws=0)
    alternative = alternative_scenario(base, request)
    added = [r for r in alternative.regimens if r not in base.regimens]
    assert [(r.drug, r.dose_mg, r.every_d, r.start_d) for r in added] == \
        [("denosumab", 60.0, 182.625, 0.0)]
    assert request.describe() == "+ denosumab 60 mg every 6 months"
    times = np.array([0.0, 365.25])
    spine = [simulate(s, times_d=times).series["lumbar_spine_bmd_change_pct"][-1]
             for s in (base, alternative)]
    assert spine[1] > spine[0] + 2.0


def test_the_table_reads_as_osteotwin_simulate_does() -> None:
    """The web what-if's table and `osteotwin simulate`'s summary give the same values and
    5-95 % bands for the same record, draws and seed: both band each virtual person's own week
    mean (the CLI had banded the week means of its percentile curves: the demo man's estradiol at
    1 year 8.15-8.95 pg/mL, where the virtual people's own week means spread 8.45-8.67)."""
    from typer.testing import CliRunner

    from osteotwin.cli import app
    from osteotwin.simulate.what_if import BAND_DRAWS, BAND_SEED

    cli = CliRunner().invoke(app, ["simulate", str(EXAMPLE), "--years", "2", "--format", "json",
                                   "--draws", str(BAND_DRAWS), "--seed", str(BAND_SEED),
                                   "--workers", "1"])
    assert cli.exit_code == 0, cli.output
    summary = {row["at_years"]: row for row in json.loads(cli.stdout)["summary"]
               if row["scenario"] == "current course"}
    table = run_what_if(load_patient_file(EXAMPLE),
                        WhatIfRequest(years=2, resistance_sessions_per_week=2))["courses"][0]["table"]
    assert table["years"] == [1.0, 2.0]
    for name in ("estradiol_pg_ml", "total_testosterone_ng_dl", "lumbar_spine_bmd_change_pct",
                 "total_hip_bmd_change_pct"):
        for i, years in enumerate(table["years"]):
            cell = summary[years][name]
            web = (table["values"][name][i], table["bands"][name]["low"][i],
                   table["bands"][name]["high"][i])
            # levels within 0.5 %, changes within 0.02 points (the grids between the windows differ)
            tolerance = 0.02 if name.endswith("_pct") else 0.005 * abs(cell["value"])
            assert np.allclose((cell["value"], cell["p5"], cell["p95"]), web, rtol=0,
                               atol=tolerance), (name, years, cell, web)
    estradiol = summary[1.0]["estradiol_pg_ml"]
    assert estradiol["p5"] <= estradiol["value"] <= estradiol["p95"]


def test_training_beyond_the_plans_safety_screen_is_named() -> None:
    """The web what-if names training this person's plan holds back; the demo man (cleared) has none."""
    from osteotwin.records import parse_patient_document

    fragile = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"sex": "female", "birth_date": "1953-01-01", "menopausal_status": "postmenopausal"},
        "history": {"prior_fragility_fractures": 1, "falls_last_12_months": 2,
                    "vertebral_fracture": False, "conditions": ["coronary heart disease"]},
        "dxa": [{"date": "2025-01-10", "site": "femoral_neck", "t_score": -2.0}]})
    heavy = WhatIfRequest(years=1, resistance_sessions_per_week=3, resistance_intensity="high",
                          impact_sessions_per_week=3, band_draws=0)
    safety = run_what_if(fragile, heavy)["safety"]
    assert len(safety) == 2 and "holds back" in safety[0] and "coronary heart disease" in safety[0]
    demo = run_what_if(load_patient_file(EXAMPLE), heavy)
    assert demo["safety"] == [] and demo["testosterone_note"] is None  # his result is a year old
    calcium = WhatIfRequest(years=1, supplemental_calcium_mg_d=500, band_draws=0)
    assert run_what_if(fragile, calcium)["safety"] == []


def test_the_table_averages_each_course_over_its_dosing_cycle() -> None:
    """Review: the table's hormone levels were 7-day means whatever the interval, so a steady
    fortnightly course read a trend. The demo man switched to 200 mg every 2 weeks: his table is
    read over 14 days, flat on his steady course, and the result says the window used."""
    import yaml

    from osteotwin.records import parse_patient_document

    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8").replace(
        "dose: 100 mg", "dose: 200 mg").replace("every: 7 d  ", "every: 14 d "))
    result = run_what_if(parse_patient_document(document),
                         WhatIfRequest(years=2, resistance_sessions_per_week=2, band_draws=0))
    table = result["courses"][0]["table"]
    assert table["windows_d"] == [14.0, 14.0]
    level = table["values"]["total_testosterone_ng_dl"]
    assert abs(level[1] / level[0] - 1.0) < 0.02, level
    assert result["windows_note"].startswith("Hormone levels are means over the 14 days before")


def test_a_bisphosphonate_below_its_kidney_limit_is_named_a_label_limit(tmp_path: Path) -> None:
    """The record's eGFR reaches the what-if's notes: zoledronic acid 5 mg for a woman with an
    eGFR of 25 carries the Reclast label's limit (it had carried none), marked as a label limit."""
    from osteotwin.records import parse_patient_document

    record = parse_patient_document({
        "version": 1, "as_of": "2025-06-01",
        "patient": {"id": "ckd", "sex": "female", "birth_date": "1950-03-01",
                    "menopausal_status": "postmenopausal"},
        "medications": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2023-01-01"}],
        "labs": [{"test": "egfr", "value": 25, "unit": "mL/min/1.73m2", "date": "2025-05-01"}]})
    result = run_what_if(record, WhatIfRequest(years=1, antiresorptive="zoledronic_acid_5mg_yearly",
                                               band_draws=0))
    limits = [c for c in result["caveats"] if c["kind"] == "label_limit"]
    assert [c["code"] for c in limits] == ["BISPHOSPHONATE_KIDNEY_LIMIT_RECLAST"]
    assert limits[0]["courses"] == [result["courses"][1]["label"]]
    assert result["bands"]["precision"] == ""  # no band, nothing to say of it
