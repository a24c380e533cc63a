"""Speed of ``osteotwin simulate`` with uncertainty bands, one process against parallel workers.

Run on demand: ``.venv/bin/python benchmarks/bench_simulate_cli.py [--repeats N]``. Writes
``benchmarks/results/simulate_cli.json``. Case: the README's what-if example (demo patient, 5
years, current course and stopping anastrozole, 40 virtual people per scenario for the 5-95 %
bands), end to end including interpreter start, with ``--workers 1`` and with the default (one per
usable CPU). Also checks that both print the same table.
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

from osteotwin.workers import default_workers

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "demo_patient.yaml"


def _run(workers: int) -> tuple[float, str]:
    argv = ["osteotwin", "simulate", str(EXAMPLE), "--years", "5", "--what-if", "anastrozole=stop",
            "--workers", str(workers)]
    code = f"import sys; sys.argv = {argv!r}; from osteotwin.cli import main; main()"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    parallel = default_workers()
    serial_runs = [_run(1) for _ in range(args.repeats)]
    parallel_runs = [_run(0) for _ in range(args.repeats)]
    serial_s = statistics.median(t for t, _ in serial_runs)
    parallel_s = statistics.median(t for t, _ in parallel_runs)
    out = {
        "benchmark": "osteotwin simulate, README what-if example, 2 scenarios x (1 + 40) people",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform(), "load_average_1min": os.getloadavg()[0]},
        "repeats": args.repeats,
        "workers_default": parallel,
        "serial_median_s": round(serial_s, 2),
        "parallel_median_s": round(parallel_s, 2),
        "speedup": round(serial_s / parallel_s, 2),
        "same_output": all(out == serial_runs[0][1] for _, out in serial_runs + parallel_runs),
    }
    target = ROOT / "benchmarks" / "results" / "simulate_cli.json"
    target.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
