"""Strict readers for fields of user documents (patient files, trial files, FHIR-derived documents).

Each reader returns the converted value or raises ``UserInputError`` naming the field path, the value
and what is accepted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from osteotwin.errors import UserInputError, shortened

T = TypeVar("T")

EARLIEST_DATE = date(1900, 1, 1)
LATEST_YEAR = 2200


def describe(raw: Any) -> str:
    """A short description of a value for error messages (its text, or its type)."""
    return type(raw).__name__ if not isinstance(raw, str | int | float) else str(raw)


def require_mapping(
    raw: Any, field: str, allowed: tuple[str, ...], *, unknown_hint: str = ""
) -> Mapping[str, Any]:
    """``raw`` as a mapping whose keys are all in ``allowed`` (unknown fields are refused)."""
    if not isinstance(raw, Mapping):
        raise UserInputError(
            field or "document",
            describe(raw),
            "a mapping with fields " + ", ".join(allowed),
            problem="not a mapping",
        )
    for key in raw:
        if key not in allowed:
            path = f"{field}.{key}" if field else str(key)
            raise UserInputError(
                path, key, ", ".join(allowed) + unknown_hint, problem="unknown field"
            )
    return raw


def optional_list(raw: Any, field: str) -> list[Any]:
    """``raw`` as a list; None (field absent) is the empty list."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise UserInputError(field, describe(raw), "a list", problem="not a list")
    return raw


def choice(raw: Any, field: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``, exactly."""
    if not isinstance(raw, str) or raw not in choices:
        raise UserInputError(field, raw, " | ".join(choices), problem="not an accepted value")
    return raw


def iso_date(raw: Any, field: str) -> date:
    """An ISO 8601 calendar date (YYYY-MM-DD) between 1900 and 2200."""
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError as exc:
            raise UserInputError(
                field, raw, "a real calendar date, ISO 8601 (YYYY-MM-DD)", problem="impossible date"
            ) from exc
    else:
        raise UserInputError(field, raw, "an ISO 8601 date (YYYY-MM-DD)", problem="not a date")
    if value < EARLIEST_DATE or value.year > LATEST_YEAR:
        raise UserInputError(
            field, raw, f"dates from {EARLIEST_DATE.isoformat()} on", problem="implausible date"
        )
    return value


def number(
    raw: Any, field: str, lo: float = -1e12, hi: float = 1e12, *, integer: bool = False
) -> float:
    """A finite number in [lo, hi] (booleans are not numbers); ``integer`` asks for a whole one."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise UserInputError(
            field, raw, "an integer" if integer else "a number", problem="not a number"
        )
    if isinstance(raw, float) and not math.isfinite(raw):
        raise UserInputError(field, str(raw), f"a finite number, {lo:g} to {hi:g}",
                             problem="not a finite number")
    if not (lo <= float(raw) <= hi):
        raise UserInputError(field, raw, f"{lo:g} to {hi:g}", problem="implausible value")
    if integer and int(raw) != raw:
        raise UserInputError(field, raw, "a whole number", problem="not a whole number")
    return float(raw)


def boolean(raw: Any, field: str) -> bool:
    """true or false (not 0/1, not "yes")."""
    if not isinstance(raw, bool):
        raise UserInputError(field, raw, "true or false", problem="not a boolean")
    return raw


#: Longest text :func:`plain_text` takes where the caller names no length (e.g. a trial's citation).
TEXT_MAX_LENGTH = 1000

#: Characters never accepted in text: control characters (NUL, escape, DEL, C1 controls; tab, CR
#: and LF only in multi-line text, see ``_LINE_BREAKS``) and unpaired surrogates, which a database
#: refuses (PostgreSQL: NUL, invalid UTF-8) or a page cannot show.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
#: Characters that break or indent a line, accepted only in multi-line text.
_LINE_BREAKS = frozenset("\t\n\r")
#: Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069), never
#: accepted: they reorder how the text after them is shown ("abc\u202egnp.exe" shows as
#: "abcexe.png"), so a value can pass for another.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Invisible format characters (Unicode category Cf) that multi-line free text may hold: the soft
#: hyphen, the zero-width non-joiner (Persian, Indic scripts) and joiner (emoji sequences). Every
#: other one (zero-width space U+200B, direction marks U+200E/U+200F, word joiner U+2060, byte order
#: mark U+FEFF, ...) is refused everywhere, and single-line text (ids, names, units) takes none:
#: invisible, they let two values that look the same differ.
FREE_TEXT_FORMAT_CHARACTERS = frozenset("\u00ad\u200c\u200d")


def _code_point(c: str) -> str:
    """``c`` as ``U+XXXX``."""
    return f"U+{ord(c):04X}"


def _shown(c: str) -> bool:
    """Whether ``c`` is shown as itself in an error message (else as an escape)."""
    return unicodedata.category(c) not in _REFUSED_CATEGORIES and unicodedata.category(c) != "Cf"


def _escaped(text: str) -> str:
    """``text`` with its control, surrogate and format characters shown as escapes (``a\\x00b``,
    ``a\\u202eb``), for error messages."""
    return "".join(
        c if _shown(c) else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


def _refused_character(c: str, *, single_line: bool) -> str | None:
    """Why ``c`` is refused in text (single-line or not), or None if it is accepted."""
    category = unicodedata.category(c)
    if category in _REFUSED_CATEGORIES and c not in _LINE_BREAKS:
        return "contains an unpaired surrogate" if category == "Cs" else "contains a control character"
    if single_line and c in _LINE_BREAKS:
        return "contains a tab or line break"
    if c in BIDI_CONTROLS:
        return "contains a bidirectional control character"
    if category == "Cf" and (single_line or c not in FREE_TEXT_FORMAT_CHARACTERS):
        return "contains an invisible format character"
    return None


def plain_text(
    raw: Any,
    field: str,
    *,
    allow_empty: bool = False,
    max_length: int = TEXT_MAX_LENGTH,
    single_line: bool = False,
) -> str:
    """Text (numbers are accepted as their text, e.g. an id of 42); empty only if allowed.

    At most ``max_length`` characters (give the length of the column a value is stored in), without
    control characters (NUL, escape, ...), bidirectional controls (``BIDI_CONTROLS``) or invisible
    format characters; ``single_line`` (ids, names, units) also refuses tabs, line breaks and every
    format character, which multi-line text (notes, citations) may hold (line breaks, tabs and
    ``FREE_TEXT_FORMAT_CHARACTERS``).
    """
    empty = isinstance(raw, str) and raw.strip() == ""
    if (
        isinstance(raw, bool)
        or not isinstance(raw, str | int | float)
        or (empty and not allow_empty)
    ):
        raise UserInputError(
            field, describe(raw), "text" if allow_empty else "non-empty text", problem="not text"
        )
    text = str(raw)
    accepted = (
        f"{'text' if allow_empty else 'non-empty text'} of at most {max_length} characters, "
        + ("without tabs, line breaks or other control characters, bidirectional controls or "
           "invisible format characters (zero-width spaces and joiners, ...)" if single_line
           else "without control characters (line breaks and tabs are fine), bidirectional "
                "controls or invisible format characters other than the soft hyphen and the "
                "zero-width joiner and non-joiner")
    )
    for c in text:
        problem = _refused_character(c, single_line=single_line)
        if problem is not None:
            raise UserInputError(
                field, shortened(_escaped(text)), accepted,
                problem=f"{problem} ({_code_point(c)}, {_escaped(c)})",
            )
    if len(text) > max_length:
        raise UserInputError(
            field, shortened(_escaped(text)), accepted, problem=f"too long ({len(text)} characters)"
        )
    return text


def optional(raw: Mapping[str, Any], key: str, convert: Callable[[Any], T]) -> T | None:
    """``convert(raw[key])``, or None when the key is absent or null."""
    value = raw.get(key)
    return None if value is None else convert(value)


def not_after_today(when: date, field: str, what: str, today: date | None = None) -> date:
    """``when``, refused when after today: a result, scan or log entry records what has happened
    (a future date is a typo, and would be left out of every assessment). ``what`` names the entry
    ("a lab result"). No tolerance: the same rule in the files, the FHIR import and the web app."""
    today = today or date.today()
    if when > today:
        raise UserInputError(field, when.isoformat(), f"a date on or before today ({today.isoformat()})",
                             problem=f"date in the future: {what} cannot be dated after today")
    return when


def not_after_as_of(when: date, as_of: date, field: str, what: str) -> date:
    """``when``, refused when after the file's ``as_of`` (the date it is assessed on, which reads
    only what is dated by then: a later result would be left out without a word)."""
    if when > as_of:
        raise UserInputError(
            field, when.isoformat(), f"a date on or before as_of ({as_of.isoformat()}, the date "
            "the file is assessed on), or a later as_of", problem=f"{what} dated after as_of (it "
            "would be left out of the assessment)")
    return when


#: What ``json_data`` accepts, for messages.
JSON_ACCEPTED = ("JSON values: strings (without NUL, unpaired surrogates or bidirectional controls), "
                 "finite numbers, booleans, null, lists, mappings with string keys (a date as text, "
                 "e.g. '2025-01-01')")


def _json_text(text: str, field: str, what: str) -> None:
    """Refuse a key or text of JSON data holding NUL (PostgreSQL's JSONB and text refuse it), an
    unpaired surrogate (no UTF-8 form: it could be stored but never sent back) or a bidirectional
    control (``BIDI_CONTROLS``: it would reorder a page's text)."""
    for c in text:
        if c == "\x00":
            problem = "contains NUL"
        elif unicodedata.category(c) == "Cs":
            problem = "contains an unpaired surrogate"
        elif c in BIDI_CONTROLS:
            problem = "contains a bidirectional control character"
        else:
            continue
        raise UserInputError(field, shortened(_escaped(text)), JSON_ACCEPTED,
                             problem=f"{what} {problem} ({_code_point(c)}, {_escaped(c)})")


def json_data(value: Any, field: str) -> Any:
    """``value`` when it is JSON data (``JSON_ACCEPTED``), so that it is stored and exported the
    same on every database (PostgreSQL refuses NaN, SQLite turns it into null) and in FHIR; else
    ``UserInputError`` naming the first value that is not (``extra.visit[2]``). YAML can give
    what JSON cannot: a key that is not text (``1:``), a date, a set or bytes (``!!timestamp``,
    ``!!set``, ``!!binary``)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UserInputError(f"{field}.{key}", f"{type(key).__name__} {key!r}",
                                     JSON_ACCEPTED, problem="a key that is not text")
            _json_text(key, f"{field}.{_escaped(key)}", "a key that")
            json_data(item, f"{field}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            json_data(item, f"{field}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise UserInputError(field, str(value), JSON_ACCEPTED, problem="not a finite number")
    elif isinstance(value, str):
        _json_text(value, field, "text that")
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise UserInputError(field, f"{type(value).__name__} {shortened(str(value))}",
                             JSON_ACCEPTED, problem="not a JSON value")
    return value


def finite_numbers(document: Any, field: str = "") -> None:
    """Refuse NaN and infinities anywhere in ``document`` (a JSON body may carry ``NaN`` or
    ``Infinity``, YAML ``.nan`` or ``.inf``), naming the first one's field (``labs[0].value``); no
    measure, dose or count is ever one. Walks without recursion (a body's depth is not yet checked)."""
    stack: list[tuple[Any, str]] = [(document, field)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise UserInputError(path or "document", str(item), "a finite number",
                                 problem="not a finite number")
        if isinstance(item, Mapping):
            stack.extend((v, f"{path}.{k}" if path else str(k))
                         for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))
