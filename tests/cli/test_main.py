"""The console script as a user runs it: help, every command registered, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from osteotwin.cli import COMMAND_MODULES

COMMANDS = [name.replace("_", "-") for name in COMMAND_MODULES]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from osteotwin.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", ["assess", "plan", "simulate", "report"])
def test_missing_patient_file_is_one_line_exit_2(command: str, tmp_path: Path) -> None:
    args = [command, str(tmp_path / "nobody.yaml")]
    if command == "report":
        args += ["-o", str(tmp_path / "r.html")]
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nobody.yaml" in lines[0]
    assert result.stdout == ""


def test_unit_error_names_file_field_value_and_accepted(tmp_path: Path) -> None:
    patient = tmp_path / "p.yaml"
    patient.write_text(
        "version: 1\npatient: {sex: male, birth_date: 1960-01-01}\n"
        "labs:\n  - {test: estradiol, value: 20, unit: ng/dL, date: 2024-01-01}\n",
        encoding="utf-8",
    )
    result = run("assess", str(patient), "--format", "json")
    assert result.returncode == 2 and result.stdout == ""
    message = result.stderr.strip()
    for part in (str(patient), "labs[0].unit", "ng/dL", "pg/mL", "pmol/L"):
        assert part in message
