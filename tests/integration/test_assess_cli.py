"""End to end: ``osteotwin assess`` as a user runs it (a real process), on the spec example patient."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from osteotwin.cli import main; main()",
                           "assess", *args], capture_output=True, text=True, timeout=120)


def test_text(example_patient_path: Path) -> None:
    proc = _run(str(example_patient_path))
    assert proc.returncode == 0, proc.stderr
    assert "ESTRADIOL_LOW" in proc.stdout and "Densitometry" in proc.stdout


def test_json_is_one_document_of_the_spec_shape(example_patient_path: Path) -> None:
    proc = _run(str(example_patient_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["as_of"] == "2025-06-01"
    assert {f["code"] for f in doc["findings"]} >= {"AI_USE_IN_MEN", "ESTRADIOL_LOW"}
    assert doc["actions"][0]["priority"] == 1
    assert doc["densitometry"]["femoral_neck"]["t_score"] == -1.4
    assert "model" in doc["fracture_risk"]


def test_html_to_file(example_patient_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "assessment.html"
    proc = _run(str(example_patient_path), "--format", "html", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert "<html" in page and "REVIEW_AROMATASE_INHIBITOR" in page


def test_minimal_file_gives_missing_data_findings(tmp_path: Path) -> None:
    path = tmp_path / "minimal.yaml"
    path.write_text("version: 1\nas_of: 2025-06-01\npatient: {sex: female, birth_date: 1950-03-01}\n",
                    encoding="utf-8")
    proc = _run(str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    found = {f["code"] for f in json.loads(proc.stdout)["findings"]}
    assert {"DXA_MISSING", "CALCIUM_INTAKE_NOT_RECORDED", "EXERCISE_NOT_RECORDED"} <= found


@pytest.mark.parametrize(("content", "field"), [
    ("version: 1\npatient: {sex: male, birth_date: 1970-01-01, hieght: 180 cm}\n",
     "patient.hieght"),
    ("version: 1\npatient: {sex: male, birth_date: 1970-01-01}\n"
     "labs: [{test: estradiol, value: 20, unit: mg/dL, date: 2024-01-01}]\n", "unit"),
    ("version: 1\npatient: {sex: male, birth_date: 1970-02-30}\n", "birth_date"),
    ("version: 1\npatient: [sex: male\n", "line"),
])
def test_bad_files_exit_2_with_one_line(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    proc = _run(str(path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_bad_as_of_option(example_patient_path: Path) -> None:
    proc = _run(str(example_patient_path), "--as-of", "2025-13-01")
    assert proc.returncode == 2 and "--as-of" in proc.stderr
