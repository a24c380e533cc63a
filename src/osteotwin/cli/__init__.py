"""The ``osteotwin`` command line (spec/cli.md).

Each command lives in its own module exposing ``register(app)``; heavy imports stay inside the command
functions so that ``osteotwin --help`` is fast. User errors, and file-system errors on a user's
paths (``path_error``), print one line on stderr and exit 2.
"""

from __future__ import annotations

import errno
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


#: Errors of the file system a user's paths run into (a missing or read-only folder, no permission,
#: a folder where a file should go, a full disk): one line and exit 2, not a traceback.
PATH_ERRNOS = frozenset(getattr(errno, name) for name in (
    "ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EROFS", "ENOSPC", "EDQUOT", "EEXIST",
    "EFBIG", "ENAMETOOLONG", "ENOTEMPTY", "ELOOP") if hasattr(errno, name))


def path_error(err: OSError) -> UserInputError | None:
    """The one-line error for an OSError on a user's path (it names the path and its errno is one
    of ``PATH_ERRNOS``), or None for any other (shown as a traceback: a programming error)."""
    if err.filename is None or err.errno not in PATH_ERRNOS:
        return None
    paths = " -> ".join(str(p) for p in (err.filename, err.filename2) if p is not None)
    return UserInputError("path", paths, "a path in a folder that exists and that you may write "
                          "to (a file, not a folder, where a file goes)",
                          problem=(err.strerror or type(err).__name__).lower())


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except UserInputError as err:
        typer.echo(f"osteotwin: error: {err.one_line()}", err=True)
        sys.exit(2)
    except OSError as err:
        user_error = path_error(err)
        if user_error is None:
            raise
        typer.echo(f"osteotwin: error: {user_error.one_line()}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("osteotwin: interrupted", err=True)
        sys.exit(130)
