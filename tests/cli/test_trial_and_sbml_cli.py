"""`osteotwin trial` and `osteotwin export-sbml` as a user runs them: an unknown backend gives a
clear one-line refusal (the spec's `--backend ray` runs), and the help says what the outputs hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

TRIAL = {
    "version": 1, "id": "cli_trial", "citation": "test",
    "population": {"sex": "male", "age": {"mean": 68, "sd": 5}},
    "arms": [{"id": "placebo", "n": 10, "regimens": []}],
    "endpoints": [{"arm": "placebo", "quantity": "lumbar_spine_bmd_change_pct", "at": "6 mo",
                   "value": -0.5}],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from osteotwin.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "100"},
    )


def _flat(text: str) -> str:
    """Help text with the box drawing and line breaks taken out."""
    return " ".join(text.replace("│", " ").split())


def test_an_unknown_backend_is_refused_in_one_line(tmp_path: Path) -> None:
    trial = tmp_path / "t.yaml"
    trial.write_text(yaml.safe_dump(TRIAL), encoding="utf-8")
    result = run("trial", str(trial), "--n", "2", "--backend", "spark", "--out",
                 str(tmp_path / "out"))
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--backend" in lines[0] and "ray" in lines[0], result.stderr
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_trial_help_names_ray_and_the_units_honestly() -> None:
    result = run("trial", "--help")
    assert result.returncode == 0
    text = _flat(result.stdout)
    assert "cpu|jax|dask|ray" in text.replace(" ", "")
    assert "ray: chunks as Ray tasks" in text and "not available" not in text
    assert "in the trial file's units" not in text
    assert "in the model's units" in text and "published_converted" not in text
    assert "published value (`published`) are in it" in text
    assert "`published_given` and `published_given_unit`" in text
    assert "pass_reason" in text and "OSTEOTWIN_PARAMETERS" in text


def test_export_sbml_help_says_daily_oral_doses_are_not_events() -> None:
    result = run("export-sbml", "--help")
    assert result.returncode == 0
    text = _flat(result.stdout)
    assert "drug doses are events" not in text
    assert "a daily oral dose of an aromatase inhibitor" in text
    assert "assignment rule piecewise in time" in text and "they are not events" in text
    assert "Bolus doses (injections and implants" in text


def test_a_daily_oral_dose_is_exported_as_a_rate_not_as_events(tmp_path: Path) -> None:
    out = tmp_path / "model.xml"
    result = run("export-sbml", "-o", str(out))  # the default: anastrozole 1 mg daily
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert "<event" not in text
    assert '<assignmentRule variable="u_ana_rate_mg_d"' in " ".join(text.split())


def test_the_table_shows_published_in_the_model_unit_and_the_file_value_beside_it() -> None:
    from osteotwin.cli.trial import _published

    converted = {"unit": "ng/dL", "published": 507.6, "published_given": 17.6,
                 "published_given_unit": "nmol/L"}
    assert _published(converted) == "508 (17.6 nmol/L)"
    same = {"unit": "%", "published": -2.0, "published_given": -2.0,
            "published_given_unit": "%"}
    assert _published(same) == "-2"
    assert _published({"unit": "%", "published": None, "published_given": None,
                       "published_given_unit": None}) == "—"
