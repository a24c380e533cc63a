"""``osteotwin assess PATIENT [--format text|json|html]``: findings, actions, densitometry, fracture risk."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from osteotwin.cli.common import OutputFormat


def register(app: typer.Typer) -> None:
    """Add the ``assess`` command to the application."""
    app.command("assess", help="Cited bone-health assessment of one patient file: findings, "
                "actions, densitometry and fracture risk.")(assess_command)


def assess_command(
    patient: Annotated[Path, typer.Argument(help="Patient file (YAML or JSON, spec v1).")],
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", help="text (terminal), json (one document on stdout) or html (a page).",
        case_sensitive=False)] = OutputFormat.text,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Assessment date YYYY-MM-DD (default: the file's as_of, else today).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Assess one patient file."""
    import datetime as dt

    from osteotwin.cli.common import emit_json, write_output_file
    from osteotwin.clinic import assess
    from osteotwin.clinic.render import render_html, render_text, to_document
    from osteotwin.errors import UserInputError
    from osteotwin.records import load_patient_file

    when: dt.date | None = None
    if as_of is not None:
        try:
            when = dt.date.fromisoformat(as_of)
        except ValueError:
            raise UserInputError("--as-of", as_of, "a date YYYY-MM-DD") from None
    record = load_patient_file(patient)
    day = when or record.as_of or dt.date.today()
    left_out = record.after(day)
    if left_out:  # said, not silent: an earlier --as-of, or medicines planned after the file's date
        typer.echo(f"note: not in the assessment on {day.isoformat()}: {left_out}.", err=True)
    result = assess(record, day)
    if output_format is OutputFormat.json:
        if output is not None:
            import json

            text = json.dumps(to_document(result), indent=2, ensure_ascii=False)
            write_output_file(output, text.encode("utf-8"), allowed_suffixes=(".json",))
        else:
            emit_json(to_document(result))
        return
    if output_format is OutputFormat.html:
        page = render_html(result)
        if output is not None:
            write_output_file(output, page.encode("utf-8"), allowed_suffixes=(".html", ".htm"))
        else:
            typer.echo(page)
        return
    if output is not None:
        write_output_file(output, render_text(result).encode("utf-8"),
                          allowed_suffixes=(".txt", ".text"))
    else:
        import shutil
        import sys

        tty = sys.stdout.isatty()
        width = max(100, shutil.get_terminal_size((110, 40)).columns) if tty else 110
        typer.echo(render_text(result, width=width, color=tty), nl=False)
