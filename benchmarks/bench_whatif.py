"""Speed of the web what-if: ``web.whatif.run_what_if`` for the demo patient (stop the inhibitor).

Run on demand: ``.venv/bin/python benchmarks/bench_whatif.py [--repeats N] [--years Y]``. Writes
``benchmarks/results/whatif.json``. It is what a clinician waits for after "Run what-if" on an
uncached request: the current course and the alternative simulated on the daily grid with bands over
``BAND_DRAWS`` virtual people (the page answers within seconds). To compare two versions, run this
script alternately on each (``PYTHONPATH=<other checkout>/src``) on the same host.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.storage.seed import demo_record_text
from osteotwin.web.whatif import BAND_DRAWS, WhatIfRequest, run_what_if

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "whatif.json")
    args = parser.parse_args()
    record = parse_patient_document(parse_text(demo_record_text(), source="demo"))
    request = WhatIfRequest(years=args.years, aromatase_inhibitor={"drug": "none"})
    run_what_if(record, request)  # compile and warm the caches
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = run_what_if(record, request)
        times.append(time.perf_counter() - started)
    out = {
        "benchmark": f"web what-if of the demo patient, stop the inhibitor, {args.years:g} years, "
                     f"{BAND_DRAWS} band draws",
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                    "platform": platform.platform()},
        "repeats": args.repeats,
        "fastest_s": round(min(times), 3),
        "all_s": [round(t, 3) for t in times],
        "courses": [c["label"] for c in result["courses"]],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
