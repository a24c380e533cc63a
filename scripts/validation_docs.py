"""Regenerate docs/validation.md, its figures and the validation section of docs/model.md.

Usage: ``.venv/bin/python scripts/validation_docs.py [--n 1000] [--seed 0] [--workers W]``
(simulates the packaged training trials, and the published results outside the training set in
``src/osteotwin/data/trials/checks``, with the packaged fitted parameter set).
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="virtual people per arm")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--record", action="store_true",
                        help="also record this run as the verification in the fitted file's provenance")
    args = parser.parse_args()

    from osteotwin.calibrate.model_access import default_simulator, parameter_module
    from osteotwin.calibrate.report import write_validation_docs
    from osteotwin.cli.validate import packaged_training_dir
    from osteotwin.trials.consistency import incompatible_pairs
    from osteotwin.trials.reader import load_trials
    from osteotwin.trials.validation import default_workers, run_validation

    trials = load_trials([packaged_training_dir()])
    checks = load_trials([packaged_training_dir().parent / "checks"])
    arms = sum(len({a for e in t.endpoints for a in e.arms}) for t in [*trials, *checks])
    simulator = default_simulator(workers=args.workers or default_workers(), people=args.n * arms)
    def progress(trial: str) -> None:
        print(f"simulating {trial}", flush=True)

    try:
        report = run_validation(trials, n=args.n, seed=args.seed, simulator=simulator,
                                progress=progress)
        outside = run_validation(checks, n=args.n, seed=args.seed, simulator=simulator,
                                 progress=progress)
    finally:
        simulator.close()
    training_ids = {t.id for t in trials}
    outside.incompatible = [pair for pair in incompatible_pairs([*trials, *checks])
                            if not {pair.first.trial, pair.second.trial} <= training_ids]
    report.parameter_set = str(parameter_module().current_parameters().provenance)
    command = "python scripts/validation_docs.py" + (f" --n {args.n}" if args.n != 1000 else "")
    for path in write_validation_docs(report, REPO / "docs", command=command, outside=outside):
        print(f"wrote {path.relative_to(REPO)}")
    print(f"passed {report.passed} of {report.total}")
    if args.record:
        from osteotwin.calibrate.fitted import load_fitted_document, write_fitted_document

        document = load_fitted_document()
        if document:
            document.setdefault("provenance", {})["verification"] = {
                "n_per_arm": args.n, "seed": args.seed, "passed": report.passed,
                "total": report.total, "pass_rate": round(report.pass_rate, 4),
                "by": "scripts/validation_docs.py --record"}
            write_fitted_document(document)
            print("recorded the verification in the fitted parameter file")


if __name__ == "__main__":
    main()
