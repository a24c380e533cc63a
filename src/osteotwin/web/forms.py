"""HTML form fields -> patient file v1 entries, and validation errors -> form field names.

Validation itself is the patient file reader's (``repository.validate_entry``); this module only
turns text inputs into the entry shape, maps the error's field back to the input that caused it,
and (``FormReader``) has a form come back with every input's error at once, each naming the value
typed.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from osteotwin.errors import UserInputError, shortened
from osteotwin.records.fields import not_after_today

LAB_FIELDS = ("test", "value", "unit", "date", "method")
DXA_FIELDS = ("date", "site", "bmd_value", "bmd_unit", "t_score", "z_score", "device")
MEDICATION_FIELDS = ("drug", "dose_value", "dose_unit", "route", "every_value", "every_unit", "start",
                     "stop")
PATIENT_FIELDS = ("patient_id", "sex", "birth_date", "height_value", "height_unit", "weight_value",
                  "weight_unit", "menopausal_status")

DOSE_UNITS = ("mg", "ug", "g", "IU", "mg/d", "ug/d", "IU/d")
INTERVAL_UNITS = ("d", "wk", "mo")
BMD_UNITS = ("g/cm2", "mg/cm2")
HEIGHT_UNITS = ("cm", "in")
WEIGHT_UNITS = ("kg", "lb")

T = TypeVar("T")

# error field (patient file name) -> form input name
_FIELD_TO_INPUT = {"bmd": "bmd_value", "dose": "dose_value", "every": "every_value",
                   "patient.height": "height_value", "patient.weight": "weight_value",
                   "patient.id": "patient_id", "patient.sex": "sex",
                   "patient.birth_date": "birth_date", "patient.menopausal_status": "menopausal_status"}


def form_text(form: Mapping[str, Any], key: str) -> str:
    """An input's text, stripped ("" when absent)."""
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


#: What a number input accepts, for error messages.
NUMBER_ACCEPTED = "a number written with digits and at most one decimal point or comma (1200, 12.5, 12,5)"


class AmbiguousNumber(ValueError):
    """A number typed with a thousands separator, or one that reads two ways."""


class ExponentNotation(ValueError):
    """A number typed in exponent notation ("1e3"), which ``NUMBER_ACCEPTED`` does not include."""


#: A number as ``NUMBER_ACCEPTED`` says: digits with at most one decimal point, and a sign.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
#: Words Python reads as numbers that are not finite: refused later as "not a finite number".
_NOT_FINITE = ("nan", "inf", "infinity")


def parse_decimal(text: str) -> float:
    """``text`` as a float, a decimal comma accepted ("12,5" = 12.5). Refused (``ValueError``;
    ``AmbiguousNumber`` where it reads two ways): a comma followed by exactly three digits after a
    non-zero whole part ("1,000": one thousand, or one?), a comma and a point together, more than
    one comma, and Python's digit grouping ("1_000"), so a separator never silently scales a
    value a thousandfold; anything but digits with one decimal mark and a sign (``ExponentNotation``
    for "1e3": the forms say numbers are written with digits). "nan" and "inf" are read (as not
    finite), for the callers' "not a finite number"."""
    if "_" in text:
        raise AmbiguousNumber(text)
    if "," in text:
        whole, _, fraction = text.partition(",")
        if "." in text or "," in fraction:
            raise AmbiguousNumber(text)
        if len(fraction) == 3 and fraction.isdigit() and whole.strip("+-") not in ("", "0"):
            raise AmbiguousNumber(text)
        text = f"{whole}.{fraction}"
    plain = text.strip()
    if not _DECIMAL.fullmatch(plain) and plain.lstrip("+-").lower() not in _NOT_FINITE:
        if re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+", plain):
            raise ExponentNotation(text)
        raise ValueError(text)
    return float(plain)


def number_problem(error: ValueError) -> str:
    """What is wrong with a number ``parse_decimal`` refused, in words."""
    if isinstance(error, AmbiguousNumber):
        return "ambiguous number: a thousands separator or two decimal marks"
    if isinstance(error, ExponentNotation):
        return "exponent notation: write the number out in digits (1000, not 1e3)"
    return "not a number"


def form_number(form: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    """An input as a finite number (``parse_decimal``), None when blank; errors name ``key``."""
    text = form_text(form, key)
    if not text:
        if required:
            raise UserInputError(key, None, "a number", problem="missing value")
        return None
    try:
        value = parse_decimal(text)
    except ValueError as exc:
        raise UserInputError(key, text, NUMBER_ACCEPTED, problem=number_problem(exc)) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise UserInputError(key, text, "a finite number", problem="not a number")
    return value


def form_quantity(form: Mapping[str, Any], value_key: str, unit_key: str) -> str | None:
    """A value input and its unit select as the patient file's quantity text ("178 cm"), or None."""
    value = form_number(form, value_key)
    if value is None:
        return None
    return f"{value:.10g} {form_text(form, unit_key)}".strip()  # as the patient file writes numbers


def drop_empty(entry: dict[str, Any]) -> dict[str, Any]:
    """``entry`` without its blank (None or "") values: blank means not recorded."""
    return {k: v for k, v in entry.items() if v not in (None, "")}


def past_date(text: str, key: str, what: str, today: dt.date | None = None) -> str:
    """``text``, refused when it is an ISO date after today (``records.fields.not_after_today``,
    the patient file reader's rule). Text that is not an ISO date is left to the patient file
    reader's message. Shared by the forms and the JSON API."""
    try:
        when = dt.date.fromisoformat(text.strip())  # as the patient file reader reads it
    except (AttributeError, TypeError, ValueError):
        return text
    not_after_today(when, key, what, today)
    return text


def _past_date(form: Mapping[str, Any], key: str, what: str, today: dt.date | None = None) -> str:
    """The date input ``key`` as text (``past_date``)."""
    return past_date(form_text(form, key), key, what, today)


def _reader(form: Mapping[str, Any], reader: FormReader | None) -> FormReader:
    return reader if reader is not None else FormReader(form)


def lab_entry(form: Mapping[str, Any], reader: FormReader | None = None) -> dict[str, Any]:
    """A lab result. Without a ``reader``, the inputs refused (every one of them) raise
    ``FormErrors``; with one, they are kept in it (as for each entry below)."""
    r = _reader(form, reader)
    entry = drop_empty({"test": form_text(form, "test"),
                        "value": r.value(lambda: form_number(form, "value", required=True)),
                        "unit": form_text(form, "unit"),
                        "date": r.value(lambda: _past_date(form, "date", "a lab result")),
                        "method": form_text(form, "method")})
    if reader is None:
        r.check()
    return entry


def dxa_entry(form: Mapping[str, Any], reader: FormReader | None = None) -> dict[str, Any]:
    """A DXA scan (its date may not be after today); a medication's start and stop may be (planned)."""
    r = _reader(form, reader)
    entry = drop_empty({"date": r.value(lambda: _past_date(form, "date", "a DXA scan")),
                        "site": form_text(form, "site"),
                        "bmd": r.value(lambda: form_quantity(form, "bmd_value", "bmd_unit")),
                        "t_score": r.value(lambda: form_number(form, "t_score")),
                        "z_score": r.value(lambda: form_number(form, "z_score")),
                        "device": form_text(form, "device")})
    if reader is None:
        r.check()
    return entry


def dxa_stand_ins(today: dt.date | None = None) -> dict[Path, Any]:
    """What a DXA entry's required inputs are read as, once what was typed in them is refused, while
    the other inputs are checked (``FormReader.parse``)."""
    return {("site",): "lumbar_spine", ("date",): (today or dt.date.today()).isoformat()}


def medication_entry(form: Mapping[str, Any], reader: FormReader | None = None) -> dict[str, Any]:
    r = _reader(form, reader)
    entry = drop_empty({"drug": form_text(form, "drug"),
                        "dose": r.value(lambda: form_quantity(form, "dose_value", "dose_unit")),
                        "route": form_text(form, "route"),
                        "every": r.value(lambda: form_quantity(form, "every_value", "every_unit")),
                        "start": form_text(form, "start"), "stop": form_text(form, "stop")})
    if reader is None:
        r.check()
    return entry


def log_entry(form: Mapping[str, Any], reader: FormReader | None = None) -> dict[str, Any]:
    r = _reader(form, reader)
    entry: dict[str, Any] = {"kind": form_text(form, "kind"),
                             "date": r.value(lambda: _past_date(form, "date", "a log entry")),
                             "note": form_text(form, "note")}
    kind = entry["kind"]

    def number(key: str) -> float | None:
        return r.value(lambda: form_number(form, key))

    if kind == "exercise":
        entry.update(activity=form_text(form, "activity"), minutes=number("minutes"),
                     intensity=form_text(form, "intensity"))
    elif kind == "intake":
        entry.update(calcium_mg=number("calcium_mg"), vitamin_d_iu=number("vitamin_d_iu"),
                     protein_g=number("protein_g"))
    elif kind == "symptom":
        entry.update(symptom=form_text(form, "symptom"), severity=number("severity"))
    if reader is None:
        r.check()
    return drop_empty(entry)


def patient_document(form: Mapping[str, Any], reader: FormReader | None = None) -> dict[str, Any]:
    """A minimal patient file v1 document from the new-patient form."""
    r = _reader(form, reader)
    patient = drop_empty({"id": form_text(form, "patient_id"), "sex": form_text(form, "sex"),
                          "birth_date": form_text(form, "birth_date"),
                          "height": r.value(lambda: form_quantity(form, "height_value", "height_unit")),
                          "weight": r.value(lambda: form_quantity(form, "weight_value", "weight_unit")),
                          "menopausal_status": form_text(form, "menopausal_status")})
    if reader is None:
        r.check()
    return {"version": 1, "patient": patient}


#: What the new-patient form's required inputs are read as, once what was typed in them is refused,
#: while the other inputs are checked (``FormReader.parse``): a woman (so that a menopausal status
#: typed is not refused as a man's) of an adult age.
PATIENT_STAND_INS: dict[Path, Any] = {("patient", "sex"): "female",
                                      ("patient", "birth_date"): "1970-01-01"}


def input_name(error: UserInputError) -> str:
    """The form input an error belongs to (``bmd`` -> ``bmd_value``, ``patient.sex`` -> ``sex``)."""
    field = error.field
    if field in _FIELD_TO_INPUT:
        return _FIELD_TO_INPUT[field]
    head = field.split(".")[0].split("[")[0]
    return _FIELD_TO_INPUT.get(head, head or "form")


def message(problem: str, value: Any, accepted: str) -> str:
    """An input's error as every form words it: the problem, the value typed and what is accepted
    ("Too high (got '99999'). Accepted: 0 up to 2500 mg/d.")."""
    got = f" (got '{shortened(str(value))}')" if value not in (None, "") else ""
    accepted_text = f" Accepted: {accepted}." if accepted else ""
    return f"{problem[:1].upper()}{problem[1:]}{got}.{accepted_text}"


def error_message(error: UserInputError, form: Mapping[str, Any] | None, name: str) -> str:
    """``message`` for ``error`` on the input ``name``: the value shown is the text typed in that
    input ("640", not the reader's "640 kg"), or the error's own value when there is no form."""
    shown = error.value if form is None else form_text(form, name)
    return message(error.problem, shown, str(error.accepted or ""))


def field_errors(error: UserInputError, form: Mapping[str, Any] | None = None,
                 name_of: Callable[[UserInputError], str] = input_name) -> dict[str, str]:
    """``{input name: message}`` for the template: every input's error (``FormErrors``), or the
    one ``error`` names, with the value typed in ``form``."""
    if isinstance(error, FormErrors):
        return dict(error.errors)
    name = name_of(error)
    return {name: error_message(error, form, name)}


def in_page_order(errors: dict[str, str], inputs: tuple[str, ...]) -> dict[str, str]:
    """``errors`` in the order of the form's ``inputs`` (others after them), as the summary lists them."""
    return dict(sorted(errors.items(), key=lambda item: inputs.index(item[0]) if item[0] in inputs
                       else len(inputs)))


# --------------------------------------------------------------------------------------------------
# Every input's error at once
# --------------------------------------------------------------------------------------------------

#: Where a field is in a document, as keys and list indices (``lifestyle.supplements[1].dose`` is
#: ``("lifestyle", "supplements", 1, "dose")``).
Path = tuple[str | int, ...]


class FormErrors(UserInputError):
    """Every input of a form that was refused: ``errors`` maps input names to messages (``first``,
    the first error found, stands for them all where one line is wanted)."""

    def __init__(self, errors: dict[str, str], first: UserInputError) -> None:
        super().__init__(first.field, first.value, first.accepted, source=first.source,
                         problem=first.problem)
        self.errors = errors


def field_path(field: str) -> Path:
    """``field`` as a ``Path`` ("" is the whole document)."""
    path: list[str | int] = []
    for part in field.split(".") if field else ():
        name, bracket, rest = part.partition("[")
        if name:
            path.append(name)
        path.extend(int(index) for index in re.findall(r"(\d+)\]", bracket + rest))
    return tuple(path)


#: A stand-in that means "no stand-in: remove the value".
REMOVE: Any = object()


def _take_out(document: Any, path: Path, stand_in: Callable[[Path], Any]) -> Path | None:
    """Take the value at ``path`` out of ``document``: replaced by its stand-in, or removed where it
    has none (a list's element is replaced whole, so that the others keep their indices). The path
    taken out, or None where there is nothing to take out."""
    cut = next((i + 1 for i, part in enumerate(path) if isinstance(part, int)), len(path))
    path = path[:cut]
    if not path:
        return None
    parent = document
    for part in path[:-1]:
        if isinstance(parent, dict) and part in parent:
            parent = parent[part]
        elif isinstance(parent, list) and isinstance(part, int) and part < len(parent):
            parent = parent[part]
        else:
            return None
    leaf, replacement = path[-1], stand_in(path)
    if isinstance(leaf, int):
        if not isinstance(parent, list) or leaf >= len(parent) or replacement is REMOVE:
            return None
        parent[leaf] = replacement
    elif not isinstance(parent, dict) or (replacement is REMOVE and leaf not in parent):
        return None
    elif replacement is REMOVE:
        del parent[leaf]
    else:
        parent[leaf] = replacement
    return path


class FormReader:
    """Reads a form so that it comes back with every input's error at once, each naming the value
    typed (as the what-if form does), rather than one error a submission.

    ``value`` keeps the error of one input's conversion (a number, a date); ``parse`` has the
    patient file reader check the document built from the inputs and, after each error, takes the
    value at fault out (or puts a stand-in in a required one) and reads it again, until it reads,
    an error comes only from what was taken out (an entry left empty), or nothing can be taken out.
    ``check`` (and ``parse``) raise ``FormErrors`` when any input was refused; ``name_of`` names the
    input of an error."""

    def __init__(self, form: Mapping[str, Any],
                 name_of: Callable[[UserInputError], str] = input_name) -> None:
        self.form = form
        self.name_of = name_of
        self.errors: dict[str, str] = {}
        self.first: UserInputError | None = None

    def add(self, error: UserInputError) -> None:
        """Keep ``error`` (an input's first error is the one kept)."""
        name = self.name_of(error)
        if name not in self.errors:
            self.errors[name] = error_message(error, self.form, name)
            self.first = self.first or error

    def value(self, read: Callable[[], T]) -> T | None:
        """``read()``, or None with its error kept."""
        try:
            return read()
        except UserInputError as err:
            self.add(err)
            return None

    def check(self) -> None:
        """Raise ``FormErrors`` when any input was refused."""
        if self.first is not None:
            raise FormErrors(self.errors, self.first)

    def parse(self, document: dict[str, Any], read: Callable[[dict[str, Any]], T],
              stand_ins: Mapping[Path, Any] | Callable[[Path], Any] | None = None, *,
              whole: str = "", limit: int = 60) -> T:
        """``read(document)`` when it and every input read; otherwise ``FormErrors`` with each
        input's error. ``stand_ins``: what a required value is read as once refused (the others
        are removed); ``whole``: an error field that means the whole document, as "" does."""
        if callable(stand_ins):
            stand_in: Callable[[Path], Any] = stand_ins
        else:
            known: Mapping[Path, Any] = stand_ins or {}
            stand_in = lambda path: known.get(path, REMOVE)  # noqa: E731
        document = copy.deepcopy(document)
        taken: list[Path] = []
        for _ in range(limit):
            try:
                result = read(document)
            except UserInputError as err:
                path = () if err.field == whole else field_path(err.field)
                if any(path[:len(done)] == done or done[:len(path)] == path for done in taken):
                    break  # refused only for what was taken out (an empty entry, a missing value)
                self.add(err)
                out = _take_out(document, path, stand_in)
                if out is None:
                    break
                taken.append(out)
                continue
            self.check()
            return result
        self.check()
        raise AssertionError("a document refused without an error kept")  # pragma: no cover
