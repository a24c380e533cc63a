"""Batch (population) solver on a repeating dosing schedule: steps and CPU time per person.

Run on demand: ``.venv/bin/python benchmarks/bench_batch_doses.py [--people N] [--repeats R]``.
Writes ``benchmarks/results/batch_doses.json``. Workload: men aged 57, 86 kg, on testosterone
cypionate 100 mg every 7 days with anastrozole 0.5 mg every 3.5 days for 5 years (782 explicit
doses: two kinds of impulse), solved by the CPU backend's compiled solver (``scale.cpu_backend.
solve_states``: inputs, steady states and the solve) at its tolerance (rtol 1e-4), monthly outputs.
The figure that matters is the step count per person (deterministic) and the process CPU time per
person (all numba threads summed; less sensitive to other users' load than wall time).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from osteotwin.scale.cpu_backend import solve_states
from osteotwin.simulate import Regimen, Scenario, Subject

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "batch_doses.json"


def scenario() -> Scenario:
    man = Subject(sex="male", age_y=57.0, weight_kg=86.0)
    return Scenario(man, (Regimen("testosterone_cypionate", 100.0, route="intramuscular",
                                  every_d=7.0),
                          Regimen("anastrozole", 0.5, every_d=3.5)), 5.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    people = [scenario()] * args.people
    times = np.arange(0.0, 5 * 365.25 + 1.0, 30.4375)
    solve_states(people[:4], None, times)  # compile or load the cached kernels
    cpu, wall = [], []
    steps = np.zeros(0, dtype=np.int64)
    for _ in range(args.repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        _, _, steps = solve_states(people, None, times)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    document = {
        "benchmark": "batch solver, men on weekly testosterone + twice-weekly anastrozole, 5 y",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
        "people": args.people,
        "repeats": args.repeats,
        "doses_per_person": 782,
        "steps_per_person": int(np.median(steps)),
        "cpu_ms_per_person": round(1000 * statistics.median(cpu) / args.people, 2),
        "wall_ms_per_person": round(1000 * statistics.median(wall) / args.people, 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
