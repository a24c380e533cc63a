"""The ``osteotwin`` command line (spec/cli.md).

Each command lives in its own module exposing ``register(app)``; heavy imports stay inside the command
functions so that ``osteotwin --help`` is fast. User errors, and file-system errors on a user's
paths (``path_error``), print one line on stderr and exit 2.
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

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


def _click_exceptions() -> Any:
    """The Click exception classes Typer raises (vendored as ``typer._click`` by newer Typer)."""
    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:
        return importlib.import_module("click.exceptions")


def usage_error_line(err: Any) -> str:
    """A command-line usage error (a bad or missing option, an unknown command) as one line:
    ``<option>: <problem> (see '<command> --help')``, instead of Typer's boxed usage text."""
    param = getattr(err, "param", None)
    hint = getattr(err, "param_hint", None)
    if hint is None and param is not None:
        opts = [o for o in getattr(param, "opts", ()) if o.startswith("-")]
        hint = " / ".join(opts) or getattr(param, "metavar", None) or str(param.name).upper()
    elif hint is not None and not isinstance(hint, str):
        hint = " / ".join(hint)
    option = getattr(err, "option_name", None)  # an unknown option, or one without its value
    if hint is None and option is None:
        text = err.format_message()
    elif hint is None:
        message = err.format_message().replace(f"No such option: {option}", "no such option")
        text = f"{option}: {message[:1].lower()}{message[1:]}"
    elif getattr(err, "param_type", None) is not None or type(err).__name__ == "MissingParameter":
        kind = getattr(err, "param_type", None) or getattr(param, "param_type_name", "value")
        text = f"{hint}: required {kind} not given"
    else:
        message = str(err.message).removeprefix("Value error, ")
        text = f"{hint}: {message[:1].lower()}{message[1:]}"
    text = text.rstrip(".")
    ctx = getattr(err, "ctx", None)
    if ctx is not None:
        text = f"{text} (see '{ctx.command_path} --help')"
    return " ".join(text.split())


def main() -> None:
    """Console-script entry point."""
    errors = _click_exceptions()
    try:
        code = app(prog_name="osteotwin", standalone_mode=False)  # usage errors: one line below
        if isinstance(code, int) and code:  # typer.Exit(code) raised by a command
            sys.exit(code)
    except getattr(errors, "NoArgsIsHelpError", ()) as err:  # bare ``osteotwin``: the help
        if err.format_message().strip():  # (Rich has printed it already)
            err.show()
        sys.exit(err.exit_code)
    except errors.UsageError as err:
        typer.echo(f"osteotwin: error: {usage_error_line(err)}", err=True)
        sys.exit(err.exit_code)
    except errors.ClickException as err:
        typer.echo(f"osteotwin: error: {' '.join(err.format_message().split())}", err=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        typer.echo("osteotwin: aborted", err=True)
        sys.exit(1)
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
