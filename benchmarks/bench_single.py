"""Speed of one-person simulation (fast compiled path vs scipy reference).

Run on demand: ``.venv/bin/python benchmarks/bench_single.py [--repeats N]``. Writes
``benchmarks/results/single.json``. Goal (issue 3): one 5-year simulation of one person in under
50 ms on the fast path after warm-up (compilation is cached on disk by numba). Both wall-clock and
process CPU time are reported: on a shared, loaded machine the CPU time is the fairer measure.
Scenarios:
- ``woman_anastrozole_daily``: postmenopausal woman, anastrozole 1 mg/d from t = 0 (the menopause
  history before t = 0 is simulated too);
- ``man_trt_ai_twice_weekly``: man on testosterone cypionate 100 mg/7 d and anastrozole 0.5 mg/3.5 d
  from t = 0 (explicit doses: 782 dosing events in 5 years);
- ``spec_example_patient``: the spec's example patient file (a man: his 6 years of ageing history,
  the last 2.4 of them on his regimens, then 5 years, so 11 years are integrated; his on-treatment
  estradiol is matched by a few secant re-runs of the history).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from osteotwin.physiology.parameters import current_parameters
from osteotwin.records import load_patient_file
from osteotwin.simulate import Regimen, Scenario, Subject, simulate
from osteotwin.simulate.single import start_time, steady_state

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "single.json"
GOAL_S = 0.05


def _median(fn: Callable[[], object], repeats: int,
            clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(repeats):
        started = clock()
        fn()
        times.append(clock() - started)
    return statistics.median(times)


def scenarios() -> dict[str, Scenario]:
    woman = Subject(sex="female", age_y=64.0, weight_kg=70.0, years_since_menopause=12.0)
    man = Subject(sex="male", age_y=57.0, weight_kg=86.0)
    record = load_patient_file(ROOT / "examples" / "demo_patient.yaml")
    return {
        "woman_anastrozole_daily": Scenario(woman, (Regimen("anastrozole", 1.0, every_d=1.0),),
                                            5.0),
        "man_trt_ai_twice_weekly": Scenario(man, (
            Regimen("testosterone_cypionate", 100.0, route="intramuscular", every_d=7.0),
            Regimen("anastrozole", 0.5, every_d=3.5)), 5.0),
        "spec_example_patient": Scenario.from_record(record, 5.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    params = current_parameters()
    started = time.perf_counter()
    first = simulate(next(iter(scenarios().values())), params=params)
    first_call_s = time.perf_counter() - started
    rows = {}
    for name, scenario in scenarios().items():
        trajectory = simulate(scenario, params=params)
        fast = _median(partial(simulate, scenario, params=params), args.repeats)
        fast_cpu = _median(partial(simulate, scenario, params=params), args.repeats,
                           time.process_time)
        equilibrate = _median(
            partial(steady_state, scenario.subject, params, start_time(scenario)), args.repeats)
        started = time.perf_counter()
        simulate(scenario, params=params, method="reference")
        reference = time.perf_counter() - started
        rows[name] = {
            "integrated_years": round(scenario.years - start_time(scenario) / 365.25, 2),
            "fast_median_s": round(fast, 5),
            "fast_median_cpu_s": round(fast_cpu, 5),
            "of_which_equilibration_s": round(equilibrate, 5),
            "fast_steps": trajectory.meta["steps"],
            "reference_s": round(reference, 3),
            "speedup_vs_reference": round(reference / fast, 1),
            "under_goal_wall": fast < GOAL_S,
            "under_goal_cpu": fast_cpu < GOAL_S,
        }
    document = {
        "benchmark": "one person, 5-year horizon, fast (ROS34PW2, numba) vs reference (scipy Radau)",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform(),
                    "load_average_1min": round(os.getloadavg()[0], 2)},
        "repeats": args.repeats,
        "first_call_s_including_compile_or_cache_load": round(first_call_s, 3),
        "first_call_label": first.label,
        "goal_s": GOAL_S,
        "scenarios": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
