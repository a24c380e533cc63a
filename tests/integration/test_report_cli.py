"""``osteotwin report PATIENT -o FILE.html|pdf`` end to end, through the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

OSTEOTWIN = str(Path(sys.executable).with_name("osteotwin"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with no display at all (the PDF must render headless)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([OSTEOTWIN, *args], capture_output=True, text=True, timeout=300,
                          check=False, env=env)


def test_pdf_report(example_patient_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    done = _run("report", str(example_patient_path), "-o", str(out))
    assert done.returncode == 0, done.stderr
    reader = PdfReader(out)
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in ("Bone health report", "Patient summary", "Assessment", "What if",
                  "Plan summary", "Sources", "Decision support only", "anastrozole"):
        assert words in text
    if shutil.which("pdftoppm"):  # the first page rasterises (what a viewer would show)
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out),
                        str(tmp_path / "page")], check=True, timeout=60)
        page = next(tmp_path.glob("page*.png"))
        assert page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 5000


def test_html_report(example_patient_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = _run("report", str(example_patient_path), "-o", str(out), "--as-of", "2025-07-01",
                "--no-what-if")
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "report date 2025-07-01" in html
    assert "What-if simulations were not requested" in html


@pytest.mark.parametrize(("args", "expected"), [
    (("-o", "report.docx"), ".html or .pdf"),
    (("-o", "report.html", "--as-of", "July"), "--as-of"),
])
def test_bad_options_exit_2_with_one_line(example_patient_path: Path, tmp_path: Path,
                                          args: tuple[str, ...], expected: str) -> None:
    fixed = [str(tmp_path / a) if a.startswith("report.") else a for a in args]
    done = _run("report", str(example_patient_path), *fixed)
    assert done.returncode == 2 and expected in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_bad_patient_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("version: 1\npatient: {sex: other, birth_date: 1960-01-01}\n", encoding="utf-8")
    done = _run("report", str(bad), "-o", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "patient.sex" in done.stderr
    assert not (tmp_path / "r.html").exists()
