"""The ``osteotwin`` command line (spec/cli.md).

Each command lives in its own module exposing ``register(app)``; heavy imports stay inside the command
functions so that ``osteotwin --help`` is fast. User errors print one line on stderr and exit 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from osteotwin.errors import UserInputError

COMMAND_MODULES = (
    "assess",
    "plan",
    "simulate",
    "validate",
    "calibrate",
    "trial",
    "serve",
    "users",
    "fhir",
    "report",
    "export_sbml",
)

app = typer.Typer(
    name="osteotwin",
    help="Bone safety under aromatase inhibitors: simulate, assess, plan and track. "
    "Decision support only: every result names its sources and its uncertainty.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"osteotwin.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except UserInputError as err:
        typer.echo(f"osteotwin: error: {err.one_line()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("osteotwin: interrupted", err=True)
        sys.exit(130)
