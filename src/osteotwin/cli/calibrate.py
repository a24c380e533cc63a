"""``osteotwin calibrate [--n-surrogate N] [--seed S] [--max-evaluations K] [--verify-n N] [-o FILE]``.

Fits the calibratable model parameters and the fracture model to the packaged training trials
(seeded and reproducible) and writes the fitted set with its provenance to
``src/osteotwin/data/model/fitted_parameters.yaml`` (or ``-o FILE``). Heavy imports stay inside.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from osteotwin.errors import UserInputError

if TYPE_CHECKING:
    from osteotwin.trials.validation import ParameterRows


def register(app: typer.Typer) -> None:
    @app.command("calibrate")
    def calibrate(
        n_surrogate: Annotated[int, typer.Option(
            "--n-surrogate", help="Virtual people per arm during the fit.")] = 4,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
        max_evaluations: Annotated[int, typer.Option(
            "--max-evaluations", help="Objective evaluations allowed in stage 1.")] = 30,
        verify_n: Annotated[int, typer.Option(
            "--verify-n", help="People per arm for the verification run (0 = skip).")] = 1000,
        parameters: Annotated[list[str] | None, typer.Option(
            "--parameter", help="Fit only these calibratable parameters (repeatable).")] = None,
        output: Annotated[Path | None, typer.Option(
            "-o", "--output", help="Where to write the fitted set (default: the packaged file).")
        ] = None,
        workers: Annotated[int | None, typer.Option("--workers", help="Worker processes.")] = None,
        variability: Annotated[bool, typer.Option(
            "--surrogate-variability", help="Surrogate people also draw model parameters.")] = False,
        warm_start: Annotated[bool, typer.Option(
            "--warm-start", help="Start from the packaged fit, not the literature values.")] = False,
    ) -> None:
        """Fit the model to the training trials and write the fitted parameter set."""
        for name, value, low, high in (("--n-surrogate", n_surrogate, 1, 10_000),
                                       ("--max-evaluations", max_evaluations, 0, 100_000),
                                       ("--verify-n", verify_n, 0, 1_000_000)):
            if not low <= value <= high:
                raise UserInputError(name, value, f"{low} to {high}", problem="out of range")
        from osteotwin.calibrate.fit import (
            FitSettings,
            calibratable_bounds,
            fit_model,
            fitted_document,
        )
        from osteotwin.calibrate.fitted import fitted_path, write_fitted_document
        from osteotwin.calibrate.model_access import default_simulator
        from osteotwin.cli.validate import packaged_training_dir
        from osteotwin.trials.reader import load_trials, trial_files
        from osteotwin.trials.validation import default_workers, run_validation

        if parameters:
            try:
                calibratable_bounds(parameters)
            except ValueError as exc:
                raise UserInputError("--parameter", ", ".join(parameters),
                                     ", ".join(calibratable_bounds()),
                                     problem="not a calibratable parameter") from exc
        files = trial_files([packaged_training_dir()])
        trials = load_trials(files)
        settings = FitSettings(n_surrogate=n_surrogate, seed=seed, max_evaluations=max_evaluations,
                               names=tuple(parameters) if parameters else None,
                               variability=variability, warm_start=warm_start)
        simulator = default_simulator(workers=workers or default_workers(), backend="auto")

        def log(message: str) -> None:
            typer.echo(message, err=True)

        try:
            result = fit_model(trials, simulator, settings, log)
            target = output or fitted_path()
            document = fitted_document(result, settings, files)
            write_fitted_document(document, target)
            verification: dict[str, object] = {}
            if verify_n:
                arms = sum(len({a for e in t.endpoints for a in e.arms}) for t in trials)
                verifier = default_simulator(workers=workers or default_workers(),
                                             people=verify_n * arms)
                try:
                    report = run_validation(trials, n=verify_n, seed=seed, simulator=verifier,
                                            parameter_rows=_rows_from(target),
                                            fracture=result.fracture)
                finally:
                    verifier.close()
                verification = {"n_per_arm": verify_n, "seed": seed, "passed": report.passed,
                                "total": report.total, "pass_rate": round(report.pass_rate, 4)}
                document = fitted_document(result, settings, files, verification)
                write_fitted_document(document, target)
        finally:
            simulator.close()
        typer.echo(f"wrote {target}")
        typer.echo(f"surrogate pass: {result.passed_start[0]}/{result.passed_start[1]} (non-fracture, "
                   f"before) -> {result.passed_end[0]}/{result.passed_end[1]} (all, after)")
        if verification:
            typer.echo(f"verification at n={verify_n}: {verification['passed']}/"
                       f"{verification['total']} endpoints pass")


def _rows_from(path: Path) -> ParameterRows:
    """Per-person parameter rows around the fitted set in ``path``."""
    from osteotwin.calibrate.model_access import default_parameter_rows, parameter_module

    return default_parameter_rows(parameter_module().load_fitted_parameters(path))
