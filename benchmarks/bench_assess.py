"""Speed of the assessment: ``assess()`` per record and the ``osteotwin assess`` command end to end.

Run on demand: ``.venv/bin/python benchmarks/bench_assess.py [--repeats N]``. Writes
``benchmarks/results/assess.json``. Goal: an assessment in well under 50 ms once loaded (the web app
assesses on every page view of a patient) and the command under 2 s including interpreter start.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from osteotwin.clinic import assess
from osteotwin.clinic.render import render_html, render_text, to_document
from osteotwin.records import load_patient_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "demo_patient.yaml"
GOAL_ASSESS_S = 0.05
GOAL_COMMAND_S = 2.0


def _median(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    record = load_patient_file(EXAMPLE)
    result = assess(record)  # warm caches (rules, citations)
    assess_s = _median(lambda: assess(record), args.repeats)
    json_s = _median(lambda: to_document(result), args.repeats)
    text_s = _median(lambda: render_text(result), max(5, args.repeats // 20))
    html_s = _median(lambda: render_html(result), max(5, args.repeats // 20))
    command = [sys.executable, "-c", "from osteotwin.cli import main; main()", "assess",
               str(EXAMPLE), "--format", "json"]
    command_s = _median(lambda: subprocess.run(command, capture_output=True, check=True), 3)
    out = {
        "benchmark": "assessment of the spec example patient",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform()},
        "repeats": args.repeats,
        "assess_median_s": round(assess_s, 5),
        "to_document_median_s": round(json_s, 5),
        "render_text_median_s": round(text_s, 5),
        "render_html_median_s": round(html_s, 5),
        "command_json_median_s": round(command_s, 3),
        "goal_assess_s": GOAL_ASSESS_S,
        "goal_command_s": GOAL_COMMAND_S,
        "under_goal": assess_s < GOAL_ASSESS_S and command_s < GOAL_COMMAND_S,
    }
    target = ROOT / "benchmarks" / "results" / "assess.json"
    target.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
