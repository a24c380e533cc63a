"""The console script as a user runs it: help, every command registered, one-line errors."""

from __future__ import annotations

import json
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


def test_an_output_folder_the_file_system_refuses_is_one_line_exit_2(tmp_path: Path) -> None:
    """``trial --out`` under a file (the run folder cannot be made): one line naming the path,
    exit 2, no traceback."""
    import osteotwin

    trial_file = Path(osteotwin.__file__).parent / "data" / "trials" / "checks" / \
        "greenspan_2005_adt.yaml"
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x", encoding="utf-8")
    result = run("trial", str(trial_file), "--n", "10", "--quiet", "--out", str(a_file / "run"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(a_file / "run") in lines[0] and "not a directory" in lines[0]


def test_only_file_system_errors_on_a_path_become_user_errors() -> None:
    import errno

    from osteotwin.cli import path_error

    refused = path_error(PermissionError(errno.EACCES, "Permission denied", "/srv/out.png"))
    assert refused is not None
    assert refused.one_line().startswith("path: permission denied (got '/srv/out.png'")
    # no path, or an errno that is not about a user's path: a programming error, shown as such
    assert path_error(OSError(errno.EACCES, "Permission denied")) is None
    assert path_error(OSError(errno.EBADF, "Bad file descriptor", "/srv/out.png")) is None


def test_validate_with_every_file_bad_lists_every_error_and_writes_json(tmp_path: Path) -> None:
    """As when some files are good: each bad file's one-line error, the JSON document listing
    them, exit 2 (it was the first error alone and no JSON)."""
    bad_unit = tmp_path / "a_bad_unit.yaml"
    bad_unit.write_text(
        "version: 1\nid: a\npopulation: {sex: male}\narms: [{id: x, n: 10}]\nendpoints:\n"
        "  - {arm: x, quantity: estradiol_change_pct, at: 1 fortnight, value: -50}\n",
        encoding="utf-8")
    no_arms = tmp_path / "b_no_arms.yaml"
    no_arms.write_text("version: 1\nid: b\nendpoints: []\n", encoding="utf-8")
    result = run("validate", str(tmp_path), "--format", "json", "--n", "10")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert str(bad_unit) in lines[0] and "endpoints[0].at" in lines[0]
    assert str(no_arms) in lines[1] and "arms" in lines[1]
    document = json.loads(result.stdout)
    assert document["endpoints"] == [] and document["summary"]["total"] == 0
    assert [e.split(":")[0] for e in document["errors"]] == [str(bad_unit), str(no_arms)]


@pytest.mark.parametrize(("args", "parts"), [
    (["simulate", "x.yaml", "--years", "abc"], ["--years", "number", "osteotwin simulate --help"]),
    (["validate", "--format", "xml"], ["--format", "'xml'", "'table', 'json'"]),
    (["trial", "x.yaml"], ["--n", "required option"]),
    (["validate", "--bogus"], ["--bogus", "no such option"]),
    (["simulate", "x.yaml", "--seed", "-5"], ["--seed", "greater than or equal to 0"]),
    (["validate", "--seed", "-1"], ["--seed", "greater than or equal to 0"]),
    (["calibrate", "--seed", str(2**63)], ["--seed", "less than or equal to"]),
])
def test_usage_errors_are_one_line_exit_2(args: list[str], parts: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("osteotwin: error: ")
    for part in parts:
        assert part in lines[0]
