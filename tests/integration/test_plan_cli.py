"""``osteotwin plan`` end to end through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PERSONAS = Path(__file__).resolve().parents[1] / "plan" / "personas"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from osteotwin.cli import main; main()", "plan", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_json_is_one_document_with_the_issue_shape() -> None:
    result = _run(str(PERSONAS / "trt_anastrozole_home.yaml"), "--weeks", "6", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    ex, nu = doc["exercise"], doc["nutrition"]
    assert {"weekly_schedule", "sessions", "safety"} <= ex.keys()
    assert {s["week"] for s in ex["sessions"]} == set(range(1, 7))
    first = ex["sessions"][0]
    assert first["day"] == "Mon" and {"exercise_id", "sets", "reps", "intensity", "notes"} <= \
        first["exercises"][0].keys()
    assert {"targets", "days", "supplements"} <= nu.keys()
    assert nu["targets"]["calcium_mg"] == 1000
    food = nu["days"][0]["foods"][0]
    assert {"ndb_no", "description", "grams", "portion"} <= food.keys()
    assert "calcium_mg" in nu["days"][0]["totals"]


def test_text_and_html() -> None:
    text = _run(str(PERSONAS / "older_vertebral_fracture_falls.yaml"), "--weeks", "2")
    assert text.returncode == 0 and "SAFETY" in text.stdout and "vertebral fracture" in text.stdout
    html = _run(str(PERSONAS / "vegan_letrozole_osteopenia.yaml"), "--weeks", "1", "--format", "html")
    assert html.returncode == 0 and html.stdout.lstrip().startswith("<!doctype html>")
    assert "Soymilk" in html.stdout or "Tofu" in html.stdout or "Beans" in html.stdout


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    weeks = _run(str(PERSONAS / "trt_anastrozole_home.yaml"), "--weeks", "99")
    assert weeks.returncode == 2 and "--weeks" in weeks.stderr and "Traceback" not in weeks.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text((PERSONAS / "trt_anastrozole_home.yaml").read_text().replace(
        "food_exclusions: [shellfish, gluten]", "food_exclusions: [shellfish, chocolate]"))
    result = _run(str(bad))
    assert result.returncode == 2 and "chocolate" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
