"""Speed goal of issue 4: a week's nutrition plan in under 2 s.

Run on demand: ``.venv/bin/python benchmarks/bench_nutrition.py [--repeats N]``. Plans a week for the
three test personas and the example patient (food table load and targets included; exercise program
excluded) and writes ``benchmarks/results/nutrition.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

from osteotwin.plan.nutrition.plan import build_nutrition_plan, current_supplement_totals
from osteotwin.records import load_patient_file

ROOT = Path(__file__).resolve().parents[1]
PATIENTS = {
    "vegan_letrozole_osteopenia": ROOT / "tests" / "plan" / "personas" / "vegan_letrozole_osteopenia.yaml",
    "trt_anastrozole_home": ROOT / "tests" / "plan" / "personas" / "trt_anastrozole_home.yaml",
    "older_vertebral_fracture_falls":
        ROOT / "tests" / "plan" / "personas" / "older_vertebral_fracture_falls.yaml",
    "demo_patient": ROOT / "examples" / "demo_patient.yaml",
}
GOAL_S = 2.0


def time_week(path: Path) -> tuple[float, str, int, int]:
    record = load_patient_file(path)
    when = record.as_of or dt.date.today()
    life, p = record.lifestyle, record.patient
    started = time.perf_counter()
    plan = build_nutrition_plan(
        sex=p.sex, age_years=p.age_on(when), weight_kg=p.weight_kg, height_cm=p.height_cm,
        diet_pattern=life.diet_pattern, food_exclusions=life.food_exclusions,
        current_supplements=current_supplement_totals((s.name, s.dose_per_day) for s in life.supplements),
    )
    elapsed = time.perf_counter() - started
    open_gaps = sum(1 for g in plan.gaps if not g.closed_by_supplement)
    return elapsed, plan.solver_status, len(plan.gaps), open_gaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    time_week(PATIENTS["demo_patient"])  # warm-up: imports, food table cache
    cases = []
    for name, path in PATIENTS.items():
        runs = [time_week(path) for _ in range(args.repeats)]
        seconds = [r[0] for r in runs]
        cases.append({
            "patient": name, "repeats": args.repeats,
            "median_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
            "solver_status": sorted({r[1] for r in runs}),
            "targets_unmet_from_food": max(r[2] for r in runs),
            "targets_unmet_after_flagged_supplements": max(r[3] for r in runs),
            "under_goal": max(seconds) < GOAL_S,
        })
        print(f"{name}: median {cases[-1]['median_s']} s, max {cases[-1]['max_s']} s, "
              f"unmet from food {cases[-1]['targets_unmet_from_food']} "
              f"(after supplements {cases[-1]['targets_unmet_after_flagged_supplements']})")
    result = {
        "benchmark": "nutrition week plan (7 days, SR28 subset, scipy milp/HiGHS)",
        "goal_s": GOAL_S,
        "all_under_goal": all(c["under_goal"] for c in cases),
        "cases": cases,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()]},
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "benchmarks" / "results" / "nutrition.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
