"""``osteotwin report PATIENT -o FILE.html|pdf [--as-of DATE] [--no-what-if]``.

The clinician/patient report: patient summary with measured trends, assessment (findings and actions
with sources), what-if trajectories, plan summary and sources. The format follows the file suffix;
the PDF is rendered off-screen (no display needed). Heavy imports happen inside the command.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from osteotwin.errors import UserInputError


def _parse_as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UserInputError("--as-of", text, "an ISO 8601 date (YYYY-MM-DD)",
                             problem="not a date") from exc


def report_command(
    patient: Annotated[Path, typer.Argument(metavar="PATIENT",
                                            help="Patient file v1 (.yaml, .yml or .json).")],
    output: Annotated[Path, typer.Option("-o", "--output",
                                         help="Report file to write: .html or .pdf.")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Report date (YYYY-MM-DD); default: the file's as_of, else today.")] = None,
    what_if: Annotated[bool, typer.Option(
        "--what-if/--no-what-if", help="Include simulated what-if trajectories.")] = True,
) -> None:
    """Write the clinician/patient report (HTML or PDF) with figures and sources."""
    from osteotwin.cli.common import write_output_file

    suffix = output.suffix.lower()
    if suffix not in (".html", ".pdf"):
        raise UserInputError("--output", str(output), ".html or .pdf", problem="unsupported file type")
    when = _parse_as_of(as_of)
    from osteotwin.records import load_patient_file
    from osteotwin.reports import build_report

    record = load_patient_file(patient)
    day = when or record.as_of or dt.date.today()
    left_out = record.after(day)
    if left_out:
        typer.echo(f"note: not in the report of {day.isoformat()}: {left_out}.", err=True)
    data = build_report(record, fmt=suffix.lstrip("."), as_of=when, what_if=what_if)
    write_output_file(output, data, allowed_suffixes=(".html", ".pdf"))
    typer.echo(f"wrote {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
