"""Speed of ``osteotwin validate`` on the packaged training set (the calibration's inner loop).

Run on demand: ``.venv/bin/python benchmarks/bench_validate.py [--repeats N] [--out FILE]``.
Writes ``benchmarks/results/validate.json`` (or ``--out``). Case: ``osteotwin validate --format
json`` with its defaults (every training trial, 1,000 virtual people per arm, seed 0), end to end
including interpreter start, as a user runs it. Records wall-clock and CPU time (the child's user +
system, all its threads) and a digest of the predicted values, so that runs of two versions can be
checked to predict the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run() -> tuple[float, float, dict[str, object]]:
    code = ("import sys; sys.argv = ['osteotwin', 'validate', '--format', 'json']; "
            "from osteotwin.cli import main; main()")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(done.stdout)


def _digest(report: dict[str, object]) -> str:
    endpoints = report["endpoints"]
    assert isinstance(endpoints, list)
    predicted = json.dumps([e["predicted"] for e in endpoints])
    return hashlib.sha256(predicted.encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "validate.json")
    args = parser.parse_args()
    runs = [_run() for _ in range(args.repeats)]
    summary = runs[0][2]["summary"]
    assert isinstance(summary, dict)
    out = {
        "benchmark": "osteotwin validate (packaged training set, 1,000 per arm, seed 0)",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform(), "load_average_1min": os.getloadavg()[0]},
        "repeats": args.repeats,
        "wall_median_s": round(statistics.median(w for w, _, _ in runs), 1),
        "cpu_median_s": round(statistics.median(c for _, c, _ in runs), 1),
        "passed": summary["passed"],
        "total": summary["total"],
        "predictions_digest": _digest(runs[0][2]),
        "same_predictions": len({_digest(r) for _, _, r in runs}) == 1,
    }
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
