"""``osteotwin simulate`` end to end on the spec's example patient (small draws for speed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.errors import UserInputError

RUNNER = CliRunner()


def test_json_compares_regimens_side_by_side(example_patient_path: Path, tmp_path: Path) -> None:
    plot = tmp_path / "course.png"
    result = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "2",
                                 "--format", "json", "--draws", "10", "--plot", str(plot),
                                 "--what-if", "anastrozole=1mg/d",
                                 "--what-if", "anastrozole=none"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    for name in ("estradiol_pg_ml", "total_testosterone_ng_dl", "ctx_change_pct",
                 "p1np_change_pct", "lumbar_spine_bmd_change_pct", "total_hip_bmd_change_pct",
                 "femoral_neck_bmd_change_pct"):
        assert len(document["series"][name]) == len(document["times_d"])
    labels = [s["label"] for s in document["scenarios"]]
    assert labels == ["current course", "anastrozole=1mg/d", "anastrozole=none"]
    at_2y = {row["scenario"]: row for row in document["summary"] if row["at_years"] == 2.0}
    e2 = {k: v["estradiol_pg_ml"]["value"] for k, v in at_2y.items()}
    ls = {k: v["lumbar_spine_bmd_change_pct"]["value"] for k, v in at_2y.items()}
    # more aromatase inhibition -> less estradiol -> less spine BMD
    assert e2["anastrozole=1mg/d"] < e2["current course"] < e2["anastrozole=none"]
    assert ls["anastrozole=1mg/d"] < ls["current course"] < ls["anastrozole=none"]
    band = at_2y["current course"]["estradiol_pg_ml"]
    assert band["p5"] <= band["p95"]
    # 10 draws make a rough band, and the output says so (the edges move with the seed)
    assert "With 10 virtual people the band's edges are rough" in document["band_note"]
    # calculated free testosterone comes with every scenario, 1-4 % of the total (Vermeulen)
    free_t = {k: v["free_testosterone_pg_ml"]["value"] for k, v in at_2y.items()}
    total_t = {k: v["total_testosterone_ng_dl"]["value"] for k, v in at_2y.items()}
    assert all(0.01 < free_t[k] / (total_t[k] * 10.0) < 0.04 for k in free_t)
    assert plot.stat().st_size > 10_000
    # the demo man is on anastrozole: the known departures of the model come with the courses on it
    caveats = {s["label"]: {c["code"] for c in s["caveats"]} for s in document["scenarios"]}
    assert "AROMATASE_INHIBITOR_IN_MAN" in caveats["current course"]
    assert "AROMATASE_INHIBITOR_IN_MAN" not in caveats["anastrozole=none"]


def test_table_csv_and_html_plot(example_patient_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "course.html"
    table = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "1",
                                "--draws", "0", "--plot", str(page)])
    assert table.exit_code == 0, table.output
    assert "current course" in table.stdout and "LS BMD" in table.stdout
    assert "Model caveat (current course)" in table.stdout
    assert "plotly" in page.read_text(encoding="utf-8").lower()
    csv_out = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "1",
                                  "--draws", "0", "--format", "csv"])
    assert csv_out.exit_code == 0
    header = csv_out.stdout.splitlines()[0].split(",")
    assert header[:3] == ["scenario", "time_d", "estradiol_pg_ml"]


@pytest.mark.parametrize(("args", "message"), [
    (["--what-if", "anastrozole=50mg/d"], "at most 10 mg"),
    (["--what-if", "unobtainium=1mg/d"], "unknown drug"),
    (["--years", "-2"], "--years"),
    (["--plot", "figure.svg"], ".png or .html"),
    (["--workers", "-1"], "--workers"),
])
def test_bad_input_exits_2_with_one_line(example_patient_path: Path, args: list[str],
                                         message: str) -> None:
    import subprocess
    import sys

    argv = ["osteotwin", "simulate", str(example_patient_path), "--draws", "0", *args]
    code = f"import sys; sys.argv = {argv!r}; from osteotwin.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_estradiol_the_model_cannot_reproduce_is_said_so(
        tmp_path: Path, premenopausal_on_tamoxifen: dict[str, Any]) -> None:
    """The table says when the model cannot reproduce an estradiol measured on treatment (see
    the fixture); the JSON carries the match, and the scan's carry to today."""
    patient = tmp_path / "patient.json"
    patient.write_text(json.dumps(premenopausal_on_tamoxifen), encoding="utf-8")
    table = RUNNER.invoke(app, ["simulate", str(patient), "--years", "1", "--draws", "0"])
    assert table.exit_code == 0, table.output
    assert "estradiol measured on treatment (12 pg/mL, day -92) could not be" in \
        " ".join(table.stdout.split())
    document = json.loads(RUNNER.invoke(app, ["simulate", str(patient), "--years", "1",
                                              "--draws", "0", "--format", "json"]).stdout)
    match = document["estradiol_match"]
    assert match["matched"] is False and match["simulated_pg_ml"] > 1.5 * 12
    assert set(document["bmd_change_scan_to_t0_pct"]) == {"lumbar_spine"}


MAN_ON_INJECTIONS = """version: 1
as_of: 2025-06-01
patient: {id: tc-ai, sex: male, birth_date: 1968-04-02, height: 178 cm, weight: 86 kg}
history: {hypogonadism: true}
medications:
  - {drug: testosterone_cypionate, dose: 100 mg, route: intramuscular, every: 7 d,
     start: 2023-01-10}
  - {drug: anastrozole, dose: 0.5 mg, route: oral, every: 3.5 d, start: 2023-03-01}
"""


def _week_mean_on_days(times: Any, values: Any) -> Any:
    """The test's own mean over the 7 days up to each whole day (trapezoid on daily points)."""
    import numpy as np

    t, x = np.asarray(times), np.asarray(values)
    days = np.isclose(t, np.round(t)) & (t > 7.0 - 1e-9)
    out = [np.trapezoid(x[(t >= d - 7.0 - 1e-9) & (t <= d + 1e-9) & np.isclose(t, np.round(t))],
                        dx=1.0) / 7.0 for d in t[days]]
    return days, np.array(out)


def test_hormone_bands_describe_the_same_7_day_mean_as_their_central_line(tmp_path: Path) -> None:
    """A man on weekly testosterone cypionate and anastrozole every 3.5 days: each hormone's band
    and its central line are the mean over the 7 days up to each time, and the central line lies
    inside its band at nearly all times (a band sampled on one phase of the dosing cycles missed
    the central value at most times)."""
    import numpy as np

    patient = tmp_path / "man.yaml"
    patient.write_text(MAN_ON_INJECTIONS, encoding="utf-8")
    args = ["simulate", str(patient), "--years", "2", "--draws", "10", "--workers", "1"]
    result = RUNNER.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    course = json.loads(result.stdout)["scenarios"][0]
    for name in ("estradiol_pg_ml", "total_testosterone_ng_dl", "free_testosterone_pg_ml"):
        band = course["bands"][name]
        assert band["quantity"] == "mean over the 7 days up to each time"
        central, low, high = (np.array(band[k]) for k in ("central", "p5", "p95"))
        days, own_mean = _week_mean_on_days(course["times_d"], course["series"][name])
        np.testing.assert_allclose(central[days], own_mean, rtol=1e-3)
        # the level itself swings over the cycle; its 7-day mean does not
        level = np.array(course["series"][name])[days]
        assert np.ptp(level[-28:]) > 5 * np.ptp(central[days][-28:])
        inside = (low - 1e-6 <= central) & (central <= high + 1e-6)
        assert inside.mean() > 0.95, (name, inside.mean())
        assert np.all(high - low > 0.0)
    bmd = course["bands"]["lumbar_spine_bmd_change_pct"]
    assert bmd["quantity"] == "value at each time"
    assert bmd["central"] == pytest.approx(course["series"]["lumbar_spine_bmd_change_pct"],
                                           abs=1e-4)
    csv_out = RUNNER.invoke(app, [*args, "--format", "csv"])
    assert csv_out.exit_code == 0, csv_out.output
    rows = csv_out.stdout.splitlines()
    header = rows[0].split(",")
    for column in ("estradiol_pg_ml", "estradiol_pg_ml_7d_mean", "estradiol_pg_ml_7d_mean_p5",
                   "estradiol_pg_ml_7d_mean_p95", "lumbar_spine_bmd_change_pct_p5"):
        assert column in header
    values = np.array([[float(v) for v in row.split(",")[1:]] for row in rows[1:]])
    mean, low, high = (values[:, header.index(c) - 1] for c in (
        "estradiol_pg_ml_7d_mean", "estradiol_pg_ml_7d_mean_p5", "estradiol_pg_ml_7d_mean_p95"))
    assert ((low <= mean * (1 + 1e-3)) & (mean <= high * (1 + 1e-3))).mean() > 0.95


def test_plot_title_shows_user_text_as_typed(example_patient_path: Path, tmp_path: Path) -> None:
    """A patient id or what-if with ``$`` is not read as matplotlib mathtext (``$\\frac$`` failed
    to parse)."""
    text = example_patient_path.read_text(encoding="utf-8").replace(
        "id: demo-001", "id: 'demo $\\frac$ 1'")
    assert "$\\frac$" in text
    patient = tmp_path / "dollar.yaml"
    patient.write_text(text, encoding="utf-8")
    plot = tmp_path / "dollar.png"
    result = RUNNER.invoke(app, ["simulate", str(patient), "--years", "1", "--draws", "0",
                                 "--plot", str(plot), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert plot.stat().st_size > 10_000


def test_help_and_table_title_say_what_is_shown(example_patient_path: Path) -> None:
    help_text = RUNNER.invoke(app, ["simulate", "--help"]).stdout.replace("│", " ")
    assert "Horizon in years (more than 0, at most 30)" in " ".join(help_text.split())
    plain = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "1",
                                "--draws", "0"])
    assert plain.exit_code == 0, plain.output
    assert "current course: value" in plain.stdout and "value [5-95 % band]" not in plain.stdout
    banded = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "1",
                                 "--draws", "10", "--workers", "1"])
    assert banded.exit_code == 0, banded.output
    assert "current course: value [5-95 % band]" in banded.stdout


def _main(*args: str) -> Any:
    import subprocess
    import sys

    code = f"import sys; sys.argv = {['osteotwin', *args]!r}; from osteotwin.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=300)


def test_a_plot_path_that_cannot_be_written_is_refused_before_simulating(
        example_patient_path: Path, tmp_path: Path) -> None:
    """A folder where the figure should go, or a 'folder' that is a file: one line, exit 2, before
    the patient file is even read (here it does not exist) and nothing left behind."""
    folder = tmp_path / "figure.png"
    folder.mkdir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    for plot, problem in ((folder, "is a folder"), (a_file / "figure.png", "cannot write")):
        result = _main("simulate", str(tmp_path / "nobody.yaml"), "--plot", str(plot))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "--plot" in lines[0] and problem in lines[0]
        assert str(plot) in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png", "notes.txt"]
    # a writable path is probed without leaving an empty file behind when the run then fails
    fine = tmp_path / "fine.png"
    assert _main("simulate", str(tmp_path / "nobody.yaml"), "--plot", str(fine)).returncode == 2
    assert not fine.exists()


@pytest.mark.parametrize("draws", ["1", "9", "1001"])
def test_too_few_draws_for_a_band_are_refused(example_patient_path: Path, draws: str) -> None:
    result = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "1", "--draws", draws])
    assert isinstance(result.exception, UserInputError)  # the entry point's one-line exit 2
    assert result.exception.field == "--draws" and "0 (no bands) or 10 to 1000" in str(result.exception)


def test_a_what_if_beyond_the_plans_safety_screen_says_so(tmp_path: Path) -> None:
    """Review: ``--what-if training=3xhigh,impact=3`` for a woman with falls, a fracture and heart
    disease showed its spine gain with no word that her plan holds that training back."""
    patient = tmp_path / "fragile.yaml"
    patient.write_text(
        "version: 1\nas_of: 2025-06-01\n"
        "patient: {sex: female, birth_date: 1953-01-01, menopausal_status: postmenopausal}\n"
        "history: {prior_fragility_fractures: 1, falls_last_12_months: 2, vertebral_fracture: false,\n"
        "          conditions: [coronary heart disease]}\n"
        "dxa:\n  - {date: 2025-01-10, site: femoral_neck, t_score: -2.0}\n", encoding="utf-8")
    args = ["simulate", str(patient), "--years", "1", "--draws", "0",
            "--what-if", "training=3xhigh,impact=3", "--what-if", "training=2xmoderate"]
    table = RUNNER.invoke(app, args)
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert "Safety (training=3xhigh,impact=3): high-intensity lifting is modelled" in text
    assert "impact training is modelled, where the plan allows" in text
    assert "Safety (training=2xmoderate)" not in text and "Safety (current course)" not in text
    document = json.loads(RUNNER.invoke(app, [*args, "--format", "json"]).stdout)
    safety = {s["label"]: s["safety"] for s in document["scenarios"]}
    assert len(safety["training=3xhigh,impact=3"]) == 2
    assert safety["training=2xmoderate"] == [] and safety["current course"] == []
    assert document["testosterone_note"] is None  # no testosterone on file


def test_the_default_bands_are_the_reports_and_the_web_what_ifs(example_patient_path: Path) -> None:
    """Review: the same prediction read +0.2 % in ``osteotwin simulate`` and +0.3 % in the report,
    with different bands (40 virtual people against 12, and a value rounded twice in the table);
    by default the three now draw the same people and round once."""
    import re

    from osteotwin.cli.simulate import DEFAULT_DRAWS
    from osteotwin.records import load_patient_file
    from osteotwin.reports.whatif import WhatIf, default_simulator, what_if_section
    from osteotwin.simulate.what_if import BAND_DRAWS

    assert DEFAULT_DRAWS == BAND_DRAWS
    result = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "2"],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert f"5-95 % of {BAND_DRAWS} virtual people" in " ".join(result.stdout.split())
    record = load_patient_file(example_patient_path)
    section = what_if_section(record, record.as_of, years=2, simulator=default_simulator())
    assert isinstance(section, WhatIf), section
    report = dict(dict(section.tables)["Lumbar spine BMD (% change)"])["current course"]
    for year, shown in zip((1, 2), report, strict=True):
        row = next(line for line in result.stdout.splitlines()
                   if re.match(rf"\W*{year} \u2502", line))
        spine = row.split("\u2502")[4].strip()  # year | E2 | T | LS
        value, low, high = re.fullmatch(r"(\S+) \[(\S+), (\S+)\]", spine).groups()  # type: ignore[union-attr]
        assert shown == f"{value} % ({low} to {high})"


def _enanthate_man(tmp_path: Path, as_of: str) -> Path:
    """The reviewer's man on testosterone enanthate 200 mg every 14 days since 2021."""
    path = tmp_path / f"enanthate_{as_of}.yaml"
    path.write_text(
        f"version: 1\nas_of: {as_of}\n"
        "patient: {sex: male, birth_date: 1968-02-10, height: 176 cm, weight: 90 kg}\n"
        "history: {hypogonadism: true}\n"
        "medications:\n  - {drug: testosterone_enanthate, dose: 200 mg, route: intramuscular, "
        "every: 14 d, start: 2021-05-01}\n"
        "labs:\n  - {test: total_testosterone, value: 600, unit: ng/dL, date: 2025-05-20}\n"
        "  - {test: estradiol, value: 30, unit: pg/mL, date: 2025-05-20, method: lc-ms/ms}\n",
        encoding="utf-8")
    return path


def test_a_steady_fortnightly_course_reads_flat_whatever_the_date(tmp_path: Path) -> None:
    """Review: the same steady enanthate course read 867 → 739 → 556 ng/dL at 1, 2 and 5 years,
    and 840 → 968 → 1152 from a date a week later (a 7-day mean of a 14-day cycle). Hormone
    levels are means over the whole cycle, and the footer says which."""
    levels = []
    for as_of in ("2025-06-01", "2025-06-08"):
        args = ["simulate", str(_enanthate_man(tmp_path, as_of)), "--years", "5", "--draws", "0"]
        document = json.loads(RUNNER.invoke(app, [*args, "--format", "json"]).stdout)
        rows = document["summary"]
        assert [row["hormone_window_d"] for row in rows] == [14.0, 14.0, 14.0]
        t = [row["total_testosterone_ng_dl"]["value"] for row in rows]
        assert max(t) - min(t) < 0.02 * min(t), t
        levels.append(t)
        table = RUNNER.invoke(app, args)
        assert table.exit_code == 0, table.output
        assert ("Hormone levels are means over the 14 days before each time (a whole dosing cycle"
                in " ".join(table.stdout.split()))
    assert abs(levels[1][0] / levels[0][0] - 1.0) < 0.02, levels


def test_equal_weekly_amounts_compare_alike(example_patient_path: Path) -> None:
    """Review: the demo regimen's 100 mg weekly read 899 ng/dL, 200 mg every 2 weeks 810: a week
    of a fortnight's cycle. Each course is read over its own cycle, and the footer says so."""
    args = ["simulate", str(example_patient_path), "--years", "1", "--draws", "0",
            "--what-if", "testosterone_cypionate=200mg/2wk"]
    document = json.loads(RUNNER.invoke(app, [*args, "--format", "json"]).stdout)
    rows = {row["scenario"]: row for row in document["summary"]}
    weekly, fortnightly = rows["current course"], rows["testosterone_cypionate=200mg/2wk"]
    assert (weekly["hormone_window_d"], fortnightly["hormone_window_d"]) == (7.0, 14.0)
    ratio = (fortnightly["total_testosterone_ng_dl"]["value"]
             / weekly["total_testosterone_ng_dl"]["value"])
    assert abs(ratio - 1.0) < 0.03, ratio
    text = " ".join(RUNNER.invoke(app, args).stdout.split())
    assert "current course: 7 days; testosterone_cypionate=200mg/2wk: 14 days." in text


def test_a_man_under_50_is_shown_no_t_score(tmp_path: Path) -> None:
    """Review: a man of 38 was shown a femoral-neck T-score trajectory (a women's reference) where
    his assessment reads a Z-score (ISCD, under 50). The table has no T-score column, no line
    about T-scores, and says why."""
    patient = tmp_path / "young_man.yaml"
    patient.write_text(
        "version: 1\nas_of: 2025-06-01\n"
        "patient: {sex: male, birth_date: 1987-03-15, weight: 92 kg}\n"
        "medications:\n  - {drug: testosterone_cypionate, dose: 100 mg, every: 7 d, "
        "start: 2023-09-01}\n"
        "dxa:\n  - {date: 2025-02-10, site: femoral_neck, bmd: 0.820 g/cm2, z_score: -0.9, "
        "device: hologic}\n", encoding="utf-8")
    table = RUNNER.invoke(app, ["simulate", str(patient), "--years", "1", "--draws", "0"])
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert "T-score" not in text.replace("no T-score projected", "")
    assert ("no T-score projected: man under 50 (ISCD: Z-score; osteoporosis not diagnosed by BMD "
            "alone)") in text


def test_a_bisphosphonate_below_its_kidney_limit_carries_the_label_limit(tmp_path: Path) -> None:
    """The recorded eGFR reaches the simulator's notes: a what-if of zoledronic acid 5 mg for a
    woman with an eGFR of 25 says the label contraindicates it below 35 mL/min (it had said nothing)."""
    patient = tmp_path / "ckd.yaml"
    patient.write_text(
        "version: 1\npatient: {id: ckd, sex: female, birth_date: 1950-03-01, "
        "menopausal_status: postmenopausal}\nas_of: 2025-06-01\n"
        "medications:\n  - {drug: letrozole, dose: 2.5 mg, every: 1 d, start: 2023-01-01}\n"
        "labs:\n  - {test: egfr, value: 25, unit: mL/min/1.73m2, date: 2025-05-01}\n",
        encoding="utf-8")
    args = ["simulate", str(patient), "--years", "1", "--draws", "0",
            "--what-if", "zoledronic_acid=5mg/1y"]
    document = json.loads(RUNNER.invoke(app, [*args, "--format", "json"]).stdout)
    caveats = {s["label"]: {c["code"]: c["kind"] for c in s["caveats"]} for s in document["scenarios"]}
    assert caveats["zoledronic_acid=5mg/1y"]["BISPHOSPHONATE_KIDNEY_LIMIT_RECLAST"] == "label_limit"
    assert "BISPHOSPHONATE_KIDNEY_LIMIT_RECLAST" not in caveats["current course"]
    table = RUNNER.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "Label limit (zoledronic_acid=5mg/1y): Kidney function" in " ".join(table.stdout.split())


def test_band_precision_is_said_below_the_steady_number_of_draws() -> None:
    from osteotwin.simulate.what_if import STABLE_BAND_DRAWS, band_precision

    assert band_precision(0) == "" and band_precision(STABLE_BAND_DRAWS) == ""
    assert "--draws 100 or more" in band_precision(STABLE_BAND_DRAWS - 1)


def test_a_scan_carried_a_few_days_reads_no_negative_zero(tmp_path: Path) -> None:
    """A first-time user's review (item 18): a scan 2 days before today, carried along letrozole,
    printed "lumbar spine -0.0 %"."""
    patient = tmp_path / "recent_scan.yaml"
    patient.write_text(
        "version: 1\npatient: {id: w, sex: female, birth_date: 1958-03-01, "
        "menopausal_status: postmenopausal}\nas_of: 2025-06-01\n"
        "history: {breast_cancer: true}\n"
        "medications:\n  - {drug: letrozole, dose: 2.5 mg, every: 1 d, start: 2023-01-01}\n"
        "dxa:\n  - {date: 2025-05-30, site: lumbar_spine, bmd: 0.95 g/cm2, t_score: -1.8, "
        "device: hologic}\n", encoding="utf-8")
    table = RUNNER.invoke(app, ["simulate", str(patient), "--years", "1", "--draws", "0"])
    assert table.exit_code == 0, table.output
    text = " ".join(table.stdout.split())
    assert "carried to today along the simulated course since: lumbar spine +0.0 %" in text
