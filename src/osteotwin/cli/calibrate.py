"""``osteotwin calibrate``: fit the model to the packaged training trials on what the pass rule scores.

Stage 1 fits the calibratable model parameters to the population means of every scored non-fracture
endpoint (``--n-anchor`` people per arm with parameter variability, as ``osteotwin validate``), by a
trust-region search on a Broyden-updated linear model whose Jacobian comes from a small population
(``--n-surrogate``); stage 2 fits the fracture model. Seeded and reproducible; bounded in wall time
(``--budget-minutes``). Writes the fitted set with its provenance to ``-o FILE.yaml`` (other commands
use it with ``OSTEOTWIN_PARAMETERS=FILE.yaml``), or with ``--install`` to the packaged
``src/osteotwin/data/model/fitted_parameters.yaml`` that every command uses by default, the set it
replaces kept beside it as ``fitted_parameters.previous.yaml``: an output must be named, so a run
never replaces the shipped set by accident. Heavy imports stay inside.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from osteotwin.errors import UserInputError
from osteotwin.trials.pass_rule import MIN_VIRTUAL_PEOPLE

if TYPE_CHECKING:
    from osteotwin.trials.validation import ParameterRows


def register(app: typer.Typer) -> None:
    @app.command("calibrate")
    def calibrate(
        n_anchor: Annotated[
            int,
            typer.Option(
                "--n-anchor",
                help="Virtual people per arm for the scored evaluations (the pass rule "
                "needs 1000).",
            ),
        ] = 1000,
        n_surrogate: Annotated[
            int,
            typer.Option(
                "--n-surrogate", help="Virtual people per arm for the finite-difference Jacobian."
            ),
        ] = 20,
        n_coarse: Annotated[
            int,
            typer.Option(
                "--n-coarse",
                help="Virtual people per arm in the coarse phase that comes first (its means "
                "shifted by the full-minus-coarse difference at the start; 0: no coarse phase).",
            ),
        ] = 250,
        coarse_fraction: Annotated[
            float,
            typer.Option("--coarse-fraction", help="Share of the budget for the coarse phase."),
        ] = 0.6,
        seed: Annotated[
            int, typer.Option("--seed", min=0, max=2**63 - 1,
                                help="Random seed (that of the scored run).")
        ] = 0,
        max_anchors: Annotated[
            int,
            typer.Option(
                "--max-anchors", help="Full-population evaluations after the start (0: no search)."
            ),
        ] = 12,
        budget_minutes: Annotated[
            float,
            typer.Option(
                "--budget-minutes",
                help="Wall time for the search; it stops before an evaluation "
                "that would exceed it (stage 2 and writing come after).",
            ),
        ] = 17.0,
        margin: Annotated[
            float,
            typer.Option(
                "--margin",
                help="Safety margin: each scoring interval is shrunk by this fraction of its "
                "half-width in the objective.",
            ),
        ] = 0.25,
        loss: Annotated[
            str,
            typer.Option(
                "--loss",
                help="Robust loss of the hinge residuals: cauchy (hopeless endpoints hardly pull) "
                "or soft_l1.",
            ),
        ] = "cauchy",
        radius: Annotated[
            float, typer.Option("--radius", help="Initial trust radius (log units per parameter).")
        ] = 0.4,
        step_rule: Annotated[
            str,
            typer.Option(
                "--step-rule",
                help="cost: each step minimises the robust hinge cost of the linear model; "
                "count: each step maximises the endpoints the model puts inside their scoring "
                "intervals, then inside the shrunk ones (mixed-integer), kept when the full "
                "population does better in that order.",
            ),
        ] = "cost",
        verify_n: Annotated[
            int,
            typer.Option(
                "--verify-n",
                help="People per arm for a separate verification run (0: the kept "
                "anchor, a validation run at --n-anchor, is the verification).",
            ),
        ] = 0,
        fracture_seeds: Annotated[
            int,
            typer.Option(
                "--fracture-seeds",
                help="Stage 2 scores the fracture trials' populations at this many seeds "
                "(--seed and the next ones) together, so the fracture model passes the same "
                "endpoints whichever seed validates it.",
            ),
        ] = 4,
        parameters: Annotated[
            list[str] | None,
            typer.Option(
                "--parameter",
                help="Fit only these calibratable parameters (repeatable); the others "
                "keep their packaged fitted values.",
            ),
        ] = None,
        output: Annotated[
            Path | None,
            typer.Option(
                "-o", "--output", help="Where to write the fitted set (a .yaml file; other "
                "commands use it with OSTEOTWIN_PARAMETERS=FILE)."
            ),
        ] = None,
        install: Annotated[
            bool,
            typer.Option(
                "--install", help="Write to the packaged set every command uses by default "
                "(the set it replaces is kept as fitted_parameters.previous.yaml)."
            ),
        ] = False,
        workers: Annotated[int | None, typer.Option("--workers", help="Worker threads.")] = None,
        literature_start: Annotated[
            bool,
            typer.Option(
                "--literature-start",
                help="Start from the literature values, not the packaged fit "
                "(values the packaged file lacks always start at the literature values).",
            ),
        ] = False,
    ) -> None:
        """Fit the model to the training trials and write the fitted parameter set.

        Example: osteotwin calibrate --step-rule count --margin 0.15 -o fitted.yaml (how the
        shipped set was fitted: docs/model.md, Calibration)
        """
        for name, value, low, high in (
            ("--n-anchor", n_anchor, 1, 100_000),
            ("--n-surrogate", n_surrogate, 1, 10_000),
            ("--max-anchors", max_anchors, 0, 10_000),
            ("--budget-minutes", budget_minutes, 0.0, 24 * 60.0),
            ("--margin", margin, 0.0, 0.9),
            ("--radius", radius, 1e-3, 5.0),
            ("--verify-n", verify_n, 0, 1_000_000),
            ("--n-coarse", n_coarse, 0, 100_000),
            ("--coarse-fraction", coarse_fraction, 0.0, 1.0),
            ("--fracture-seeds", fracture_seeds, 1, 20),
        ):
            if not low <= value <= high:
                raise UserInputError(name, value, f"{low} to {high}", problem="out of range")
        from osteotwin.calibrate.fit import STEP_RULES
        from osteotwin.calibrate.objective import LOSSES

        if loss not in LOSSES:
            raise UserInputError("--loss", loss, ", ".join(LOSSES))
        if step_rule not in STEP_RULES:
            raise UserInputError("--step-rule", step_rule, ", ".join(STEP_RULES))
        if (output is None) == (not install):
            raise UserInputError(
                "-o/--install", "both" if install else "neither",
                "-o FILE.yaml to write the fitted set to a file, or --install to replace the "
                "packaged set that assess, simulate, report and validate use",
                problem="name one output")
        if output is not None and output.suffix.lower() not in (".yaml", ".yml"):
            raise UserInputError("-o", str(output), "a file name ending in .yaml or .yml",
                                 problem="the fitted set is written as YAML")
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
        from osteotwin.trials.validation import run_validation
        from osteotwin.workers import default_workers

        if parameters:
            try:
                calibratable_bounds(parameters)
            except ValueError as exc:
                raise UserInputError(
                    "--parameter",
                    ", ".join(parameters),
                    ", ".join(calibratable_bounds()),
                    problem="not a calibratable parameter",
                ) from exc
        files = trial_files([packaged_training_dir()])
        trials = load_trials(files)
        settings = FitSettings(
            n_surrogate=n_surrogate,
            n_anchor=n_anchor,
            n_coarse=n_coarse,
            coarse_fraction=coarse_fraction,
            seed=seed,
            max_anchors=max_anchors,
            budget_s=60.0 * budget_minutes,
            names=tuple(parameters) if parameters else None,
            margin=margin,
            loss=loss,
            radius=radius,
            step_rule=step_rule,
            warm_start=not literature_start,
            fracture_seeds=fracture_seeds,
        )
        arms = sum(len({a for e in t.endpoints for a in e.arms}) for t in trials)
        simulator = default_simulator(workers=workers or default_workers(), people=n_anchor * arms)

        def log(message: str) -> None:
            typer.echo(message, err=True)

        try:
            result = fit_model(trials, simulator, settings, log)
            target = output or fitted_path()
            if install and target.is_file():  # keep the set it replaces
                target.with_name("fitted_parameters.previous.yaml").write_bytes(target.read_bytes())
            document = fitted_document(result, settings, files)
            write_fitted_document(document, target)
            verification: dict[str, object] = document["provenance"]["verification"]
            if verify_n:
                report = run_validation(
                    trials,
                    n=verify_n,
                    seed=seed,
                    simulator=simulator,
                    parameter_rows=_rows_from(target),
                    fracture=result.fracture,
                )
                verification = {
                    "n_per_arm": verify_n,
                    "seed": seed,
                    "passed": report.passed,
                    "total": report.total,
                    "pass_rate": round(report.pass_rate, 4),
                    "by": "osteotwin calibrate --verify-n",
                }
                document = fitted_document(result, settings, files, verification)
                write_fitted_document(document, target)
        finally:
            simulator.close()
        typer.echo(f"wrote {target}")
        typer.echo(
            f"stage 1 (non-fracture) at n={n_anchor}: {result.passed_start[0]}/"
            f"{result.passed_start[1]} at the start -> "
            f"{result.passed_kept}/{result.passed_start[1]} kept; "
            f"{result.evaluations} anchors, {result.wall_s:.0f} s"
        )
        n_verify = verification["n_per_arm"]
        assert isinstance(n_verify, int)
        rough = (f" (indicative: fewer than {MIN_VIRTUAL_PEOPLE:,} people per arm, the pass rule's "
                 "minimum; osteotwin validate gives the verdicts)"
                 if n_verify < MIN_VIRTUAL_PEOPLE else "")
        typer.echo(
            f"verification at n={n_verify}, seed {seed}: "
            f"{verification['passed']}/{verification['total']} endpoints pass{rough}"
        )


def _rows_from(path: Path) -> ParameterRows:
    """Per-person parameter rows around the fitted set in ``path``."""
    from osteotwin.calibrate.model_access import default_parameter_rows, parameter_module

    return default_parameter_rows(parameter_module().load_fitted_parameters(path))
