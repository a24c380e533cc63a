"""``osteotwin validate [TRIAL_FILE_OR_DIR ...] [--format table|json] [--n N] [--seed S]``.

Simulates each trial arm as a virtual population (default 1,000 people per arm, the spec's minimum)
and compares the mean with each published endpoint under the spec's pass rule. With no argument it
runs the packaged training set. A file that cannot be read, or a trial whose input the simulator
refuses, is named on stderr (and under ``errors`` in the JSON) and skipped; the others still run,
and the exit status is then 2. Heavy imports happen inside the command.
"""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from osteotwin.errors import UserInputError

if TYPE_CHECKING:
    from osteotwin.trials.endpoints import EndpointResult
    from osteotwin.trials.model import Trial
    from osteotwin.trials.validation import PopulationSimulator, ValidationReport

#: ``trials.pass_rule.MIN_VIRTUAL_PEOPLE`` (not imported here: the CLI starts without the model).
MIN_N_FOR_PASS_RULE = 1000


class Backend(StrEnum):
    auto = "auto"
    batch = "batch"
    single = "single"


class ValidateFormat(StrEnum):
    table = "table"
    json = "json"


def packaged_training_dir() -> Path:
    """The packaged copy of the training trial files."""
    from importlib import resources

    return Path(str(resources.files("osteotwin.data").joinpath("trials/train")))


#: ``osteotwin validate --help``: one line per paragraph (the help keeps line breaks after the first).
VALIDATE_HELP = "\n\n".join((
    "Simulate published trials and compare predicted with published endpoints.",
    "Each arm is a virtual population of --n people (a Latin hypercube over their "
    "characteristics); an endpoint passes when the arm's mean lies in the published 95 % interval "
    "widened by the spec's pass rule. The rule is defined for at least 1,000 virtual people per "
    "arm: below that no endpoint gets a verdict (`pass` null, `pass_reason` says why), none counts "
    "in passed/total, and --fail-under is refused.",
    "`se` is the Monte Carlo standard error of the simulated mean (SD over the square root of n; "
    "an upper bound for the stratified draws). A verdict is marked borderline (`borderline`: "
    "true; 'pass?' or 'fail?' in the table) where the mean plus or minus 2 SE straddles an edge of "
    "the interval: another seed may turn it.",
    "Hormone levels (estradiol, testosterone, LH) are read as in `osteotwin trial` (see its "
    "--help): the mean over the dosing cycle of the arm's sex-hormone regimens ending at the "
    "endpoint's time.",
    "Background therapy a packaged trial's source left unnamed (e.g. the adjuvant aromatase "
    "inhibitor of ABCSG-18) is printed under the table; the model's known departures that apply to "
    "an arm's regimens (the caveats `osteotwin simulate` shows) are listed per arm, and under "
    "`caveats` in the JSON.",
))


def register(app: typer.Typer) -> None:
    @app.command("validate", help=VALIDATE_HELP)
    def validate(
        paths: Annotated[list[Path] | None, typer.Argument(
            metavar="TRIAL_FILE_OR_DIR",
            help="Trial files or folders of them (default: the packaged training set).")] = None,
        output_format: Annotated[ValidateFormat, typer.Option(
            "--format", help="table (Rich) or json (one document on stdout).")] = ValidateFormat.table,
        n: Annotated[int, typer.Option(
            "--n", help="Virtual people per arm (the pass rule needs at least 1,000).")] = 1000,
        seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="Random seed (reproducible).")] = 0,
        workers: Annotated[int | None, typer.Option(
            "--workers", help="Worker processes (default: OSTEOTWIN_WORKERS or all CPUs).")] = None,
        backend: Annotated[Backend, typer.Option(
            "--backend", help="Population simulator: compiled batch CPU backend, single-person fast "
            "path over processes, or auto (batch for large runs).")] = Backend.auto,
        fail_under: Annotated[float | None, typer.Option(
            "--fail-under", help="Exit 1 when the pass rate (0-1) is below this (needs --n of at "
            "least 1,000).")] = None,
    ) -> None:
        """Simulate published trials and compare predicted with published endpoints (help:
        ``VALIDATE_HELP``)."""
        if not 1 <= n <= 1_000_000:
            raise UserInputError("--n", n, "1 to 1,000,000 virtual people per arm",
                                 problem="out of range")
        if workers is not None and not 1 <= workers <= 256:
            raise UserInputError("--workers", workers, "1 to 256", problem="out of range")
        if fail_under is not None and not 0.0 <= fail_under <= 1.0:
            raise UserInputError("--fail-under", fail_under, "a pass rate from 0 to 1",
                                 problem="out of range")
        if fail_under is not None and n < MIN_N_FOR_PASS_RULE:
            raise UserInputError(
                "--fail-under", fail_under,
                f"--fail-under only with --n of at least {MIN_N_FOR_PASS_RULE:,} (the pass rule's "
                "minimum), or no --fail-under",
                problem=f"no pass rate at --n {n}: below {MIN_N_FOR_PASS_RULE:,} virtual people "
                "per arm nothing is scored")
        from osteotwin.calibrate.model_access import default_simulator
        from osteotwin.trials.reader import read_trials
        from osteotwin.trials.validation import run_validation
        from osteotwin.workers import default_workers

        trials, unreadable = read_trials(paths or [packaged_training_dir()])
        for err in unreadable:  # the other files still run; the exit status is 2 at the end
            typer.echo(f"osteotwin: error: {err.one_line()} (file skipped)", err=True)
        if trials:
            note = small_n_note(n)
            if note:
                typer.echo(note, err=True)
            people = n * sum(len({a for e in t.endpoints for a in e.arms}) for t in trials)
            simulator = default_simulator(workers=workers or default_workers(),
                                          backend=backend.value, people=people)
            try:
                if output_format is ValidateFormat.table:
                    report = _run_with_progress(trials, n, seed, simulator)
                else:
                    report = run_validation(trials, n=n, seed=seed, simulator=simulator)
            finally:
                close = getattr(simulator, "close", None)
                if close is not None:
                    close()
        else:  # every file is bad: nothing to simulate, the same report of their errors
            from osteotwin.calibrate.model_access import central_parameters
            from osteotwin.trials.validation import ValidationReport

            report = ValidationReport(trials=[], n=n, seed=seed,
                                      parameter_set=str(central_parameters().provenance))
        for message in report.errors:
            typer.echo(f"osteotwin: error: {message} (trial skipped)", err=True)
        report.errors[:0] = [err.one_line() for err in unreadable]
        if output_format is ValidateFormat.json:
            from osteotwin.cli.common import emit_json

            emit_json(report.to_json())
        else:
            print_table(report)
        if report.errors:
            raise typer.Exit(2)
        if fail_under is not None and not (report.pass_rate >= fail_under):
            raise typer.Exit(1)


def small_n_note(n: int) -> str | None:
    """The stderr note for fewer virtual people per arm than the pass rule asks for, else None."""
    if n >= MIN_N_FOR_PASS_RULE:
        return None
    return (f"osteotwin: note: --n {n} is below the {MIN_N_FOR_PASS_RULE:,} virtual people per arm "
            "the pass rule asks for; results are indicative only, with no pass/fail")


def _run_with_progress(trials: list[Trial], n: int, seed: int,
                       simulator: PopulationSimulator) -> ValidationReport:
    """Run the validation with a transient Rich progress bar on stderr."""
    from rich.console import Console
    from rich.progress import Progress

    from osteotwin.trials.validation import run_validation

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("simulating trials", total=len(trials))

        def step(trial_id: str) -> None:
            progress.update(task, description=f"simulating {trial_id}")
            progress.advance(task)

        return run_validation(trials, n=n, seed=seed, simulator=simulator, progress=step)


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def verdict_text(e: EndpointResult) -> str:
    """The table's verdict: pass or fail (with '?' when borderline), 'reported' for an endpoint
    reported but not scored, 'not scored' below the pass rule's minimum number of people."""
    if e.pass_reason is not None:
        return "not scored"
    if not e.scored:
        return "reported"
    mark = "?" if e.borderline else ""
    return f"[green]pass{mark}[/]" if e.passed else f"[red]fail{mark}[/]"


def print_table(report: ValidationReport) -> None:
    """Predicted vs published, one row per endpoint, and the summary."""
    from rich.console import Console
    from rich.table import Table

    from osteotwin.trials.caveats import caveat_lines
    from osteotwin.trials.endpoints import not_simulated_note
    from osteotwin.trials.pass_rule import BORDERLINE_SE

    table = Table(title=f"Validation: {report.n} virtual people per arm, seed {report.seed}",
                  show_lines=False)
    for column in ("trial", "arm / contrast", "quantity", "at", "observed", "interval",
                   "predicted", "SE", "95% of people", "pass"):
        table.add_column(column, justify="right" if column in ("observed", "predicted", "SE")
                         else "left")
    for e in report.endpoints:
        arm = " − ".join(e.contrast) if e.contrast else (e.arm or "")
        table.add_row(e.trial, arm, e.quantity, e.when, _fmt(e.observed),
                      f"[{_fmt(e.interval[0])}, {_fmt(e.interval[1])}]", _fmt(e.predicted),
                      _fmt(e.se, 3),
                      f"[{_fmt(e.prediction_interval[0])}, {_fmt(e.prediction_interval[1])}]",
                      verdict_text(e))
    console = Console(width=None if sys.stdout.isatty() else 220)
    console.print(table)
    rate = "—" if not report.total else f"{100 * report.pass_rate:.1f} %"
    console.print(f"passed {report.passed} of {report.total} scored endpoints ({rate}); "
                  f"{len(report.endpoints) - report.total} reported, not scored")
    borderline = sum(1 for e in report.endpoints if e.borderline)
    if borderline:
        console.print(f"{borderline} verdict(s) borderline ('pass?'/'fail?'): the mean ± "
                      f"{BORDERLINE_SE:g} SE straddles an interval edge", highlight=False)
    for reason in sorted({e.pass_reason for e in report.endpoints if e.pass_reason}):
        console.print(f"[yellow]{reason}[/]", highlight=False)
    missing = report.not_simulated
    if missing:
        console.print(f"[yellow]{len(missing)} scored endpoint(s) the model does not simulate, "
                      f"counted as failures: {not_simulated_note(e.quantity for e in missing)}[/]")
    if report.incompatible:
        from osteotwin.trials.consistency import forced_failures_line

        console.print(f"[yellow]{forced_failures_line(report.incompatible)} (the same inputs, "
                      "published intervals apart):[/]")
        for pair in report.incompatible:
            console.print(f"  {pair.describe()}", highlight=False)
    for result in report.trials:
        for note in result.background:
            console.print(f"[yellow]{result.trial}, every arm: {note}[/]", highlight=False)
        for arm, doses in result.assumed_doses.items():
            for dose in doses:
                console.print(f"[yellow]assumed dose: {result.trial}, arm {arm}: {dose.note}[/]",
                              highlight=False)
    for result in report.trials:
        for line in caveat_lines(result.caveats):
            console.print(f"[yellow]caveat, {result.trial}: {line}[/]", highlight=False)
    if report.errors:
        console.print(f"[red]{len(report.errors)} trial file(s) not validated (bad input, see "
                      "the errors above); their endpoints are not counted[/]")
