"""`osteotwin validate` as a user runs it: --fail-under needs the pass rule's 1,000 people, and the
help explains the Monte Carlo error, borderline verdicts and hormone readings."""

from __future__ import annotations

import os
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from osteotwin.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "100"},
    )


def test_fail_under_is_refused_below_1000_people() -> None:
    """`validate --n 50 --fail-under 0.5` exited 1 on a pass rate the rule does not define."""
    result = run("validate", "--n", "50", "--fail-under", "0.5")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("osteotwin: error: --fail-under: ")
    assert "--n 50" in lines[0] and "at least 1,000" in lines[0] and "got 0.5" in lines[0]


def test_help_explains_se_borderline_and_small_n() -> None:
    result = run("validate", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.replace("│", " ").split())
    for part in ("standard error", "borderline", "2 SE", "at least 1,000", "`pass` null",
                 "dosing cycle"):
        assert part in text, part
