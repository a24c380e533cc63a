"""``osteotwin simulate`` end to end on the spec's example patient (small draws for speed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from osteotwin.cli import app

RUNNER = CliRunner()


def test_json_compares_regimens_side_by_side(example_patient_path: Path, tmp_path: Path) -> None:
    plot = tmp_path / "course.png"
    result = RUNNER.invoke(app, ["simulate", str(example_patient_path), "--years", "2",
                                 "--format", "json", "--draws", "3", "--plot", str(plot),
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
