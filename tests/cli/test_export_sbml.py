"""`osteotwin export-sbml`: the person simulate shows (estradiol match), provenance in the notes,
and the solver settings documented in --help."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import libsbml
from typer.testing import CliRunner

from osteotwin.cli import app

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml"  # spec's example


def _flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_help_documents_the_tolerances_the_match_and_the_provenance() -> None:
    result = CliRunner().invoke(app, ["export-sbml", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    text = _flat(result.output)
    for expected in ("relative tolerance 1e-6", "absolute tolerance of 1e-6 times the state's "
                     "typical magnitude", "urn:osteotwin:sbml:solver:1", "CV_CONV_FAILURE",
                     "configure_roadrunner", "matched as simulate matches it", "sha256",
                     "patient file name", "export date"):
        assert expected in text, expected


def test_export_of_the_example_patient_carries_his_estradiol_match_and_provenance(
        tmp_path: Path) -> None:
    from osteotwin.scale.provenance import current_parameter_set, osteotwin_version

    target = tmp_path / "demo.xml"
    result = CliRunner().invoke(app, ["export-sbml", str(DEMO), "-o", str(target), "--years",
                                      "0.5"])
    assert result.exit_code == 0, result.output
    assert "estradiol matched as in osteotwin simulate: 9 pg/mL on day -396" in result.output
    model = libsbml.readSBMLFromFile(str(target)).getModel()
    notes = model.getNotesString()
    params = current_parameter_set()
    today = datetime.now(UTC).date().isoformat()
    for expected in (f"osteotwin {osteotwin_version()}", params.sha256, params.label,
                     "from patient file demo_patient.yaml", today, "Peterson &amp; Riggs 2010",
                     "Estradiol matched as osteotwin simulate matches it"):
        assert expected in notes, expected
    assert str(tmp_path) not in notes  # the file's name, not where it lives
