"""``osteotwin plan PATIENT [--weeks N] [--format text|json|html]``: exercise program and nutrition plan."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from osteotwin.cli.common import OutputFormat, emit_json


def plan_command(
    patient: Annotated[Path, typer.Argument(help="patient file (YAML or JSON, patient file v1)")],
    weeks: Annotated[int, typer.Option("--weeks", help="program length in weeks (1-52)")] = 12,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="text, json or html")] = (
        OutputFormat.text
    ),
) -> None:
    """Exercise program (safety-screened, periodised) and a week of food-based nutrition day plans."""
    from osteotwin.plan.personal import build_personal_plan, check_weeks
    from osteotwin.plan.render import render_html, render_text
    from osteotwin.plan.serialize import plan_document
    from osteotwin.records import load_patient_file

    check_weeks(weeks)
    record = load_patient_file(patient)
    document = plan_document(build_personal_plan(record, weeks=weeks))
    if output_format is OutputFormat.json:
        emit_json(document)
    elif output_format is OutputFormat.html:
        typer.echo(render_html(document))
    else:
        typer.echo(render_text(document))


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
