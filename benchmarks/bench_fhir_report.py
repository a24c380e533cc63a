"""Speed of FHIR export/import and of report building (run on demand, not in the test suite).

``.venv/bin/python benchmarks/bench_fhir_report.py [--repeats N]`` times, on the example patient:
FHIR export (record -> validated Bundle), import (Bundle -> record), and the report as HTML and PDF
with and without what-if simulations (after one warm-up build, so numba compilation and imports are
excluded). Writes ``benchmarks/results/fhir_report.json``. Goals: a round trip well under 1 s (an API
request), a full PDF report within 30 s on a laptop (a download the user waits for).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from osteotwin.records import load_patient_file
from osteotwin.records.fhir import bundle_to_record, record_to_bundle
from osteotwin.reports import build_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "demo_patient.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "fhir_report.json"
GOALS_S = {"fhir_round_trip": 1.0, "report_pdf_with_what_if": 30.0}


def _times(run: Callable[[], Any], repeats: int) -> dict[str, float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(samples), 4), "min_s": round(min(samples), 4),
            "max_s": round(max(samples), 4), "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    record = load_patient_file(EXAMPLE)
    bundle = record_to_bundle(record)
    build_report(record, fmt="pdf")  # warm-up: imports, numba compilation, font cache
    results = {
        "fhir_export": _times(lambda: record_to_bundle(record), args.repeats * 10),
        "fhir_import": _times(lambda: bundle_to_record(bundle), args.repeats * 10),
        "fhir_round_trip": _times(lambda: bundle_to_record(record_to_bundle(record)),
                                  args.repeats * 10),
        "report_html_no_what_if": _times(lambda: build_report(record, fmt="html", what_if=False),
                                         args.repeats),
        "report_html_with_what_if": _times(lambda: build_report(record, fmt="html"), args.repeats),
        "report_pdf_with_what_if": _times(lambda: build_report(record, fmt="pdf"), args.repeats),
    }
    document = {
        "benchmark": "fhir_report", "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(),
                    "load_average_1m": round(os.getloadavg()[0], 2)},
        "patient": str(EXAMPLE.relative_to(ROOT)), "bundle_entries": len(bundle["entry"]),
        "results": results,
        "goals_s": GOALS_S,
        "goals_met": {k: results[k]["median_s"] <= v for k, v in GOALS_S.items()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
