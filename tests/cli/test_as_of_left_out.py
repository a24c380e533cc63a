"""A first-time user's review (item 6): ``assess --as-of`` before the file's results dropped them
silently ("No DXA on file"), and a medicine starting after the assessment date vanished from it;
both are now said on stderr."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from osteotwin.cli import app
from osteotwin.records import load_patient_file

RUNNER = CliRunner()


def test_an_earlier_as_of_says_what_it_leaves_out(example_patient_path: Path) -> None:
    record = load_patient_file(example_patient_path)
    day = dt.date(2020, 1, 1)
    labs = sum(1 for lab in record.labs if lab.date > day)
    scans = sum(1 for scan in record.dxa if scan.date > day)
    assert labs and scans
    result = RUNNER.invoke(app, ["assess", str(example_patient_path), "--as-of", day.isoformat()])
    assert result.exit_code == 0, result.output
    note = " ".join(result.stderr.split())
    assert (f"note: not in the assessment on 2020-01-01: {labs} lab results and {scans} DXA scans "
            "dated after 2020-01-01") in note
    assert "note:" not in result.stdout


def test_a_planned_medicine_is_said_and_the_file_s_own_date_is_quiet(tmp_path: Path) -> None:
    patient = tmp_path / "planned.yaml"
    patient.write_text(
        "version: 1\nas_of: 2025-06-01\npatient: {id: p, sex: female, birth_date: 1960-02-01, "
        "menopausal_status: postmenopausal}\nhistory: {breast_cancer: true}\n"
        "medications:\n  - {drug: anastrozole, dose: 1 mg, every: 1 d, start: 2025-09-01}\n",
        encoding="utf-8")
    result = RUNNER.invoke(app, ["assess", str(patient)])
    assert result.exit_code == 0, result.output
    assert ("note: not in the assessment on 2025-06-01: 1 medicine starting after 2025-06-01 "
            "(planned, or not yet taken then).") in " ".join(result.stderr.split())
    quiet = RUNNER.invoke(app, ["assess", str(patient), "--as-of", "2025-10-01"])
    assert quiet.exit_code == 0 and "note:" not in quiet.stderr


def test_another_format_names_the_command_it_is_for(tmp_path: Path) -> None:
    """A first-time user's review (item 19): a FHIR Bundle or a trial file given to `assess` got a
    field error ('resourceType: unknown field') with no hint at the right command."""
    from osteotwin.errors import UserInputError

    bundle = tmp_path / "bundle.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}', encoding="utf-8")
    trial = Path(__file__).resolve().parents[2] / "src" / "osteotwin" / "data" / "trials" / "train" \
        / "leder_2004.yaml"
    for path, hint in ((bundle, "osteotwin fhir import FILE -o patient.yaml"),
                       (trial, "osteotwin trial FILE")):
        result = RUNNER.invoke(app, ["assess", str(path)])
        assert isinstance(result.exception, UserInputError), result.output
        line = result.exception.one_line()
        assert "not a patient file" in line and hint in line and str(path) in line
