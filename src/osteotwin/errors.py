"""User-facing input errors: each names the field, the value and what is accepted."""

from __future__ import annotations

import math
from typing import Any


class UserInputError(ValueError):
    """Bad input from a user: a file, a form, an API body or a command-line option.

    The message is one line: ``<source>: <field>: <problem> (got <value>; accepted: <accepted>)``.
    """

    def __init__(
        self,
        field: str,
        value: Any,
        accepted: str,
        *,
        source: str | None = None,
        problem: str = "invalid value",
    ) -> None:
        self.field = field
        self.value = value
        self.accepted = accepted
        self.source = source
        self.problem = problem
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The error as a single line, suitable for stderr or an HTTP 422 detail."""
        shown = shortened(f"'{self.value}'" if isinstance(self.value, str) else _repr(self.value))
        prefix = f"{self.source}: " if self.source else ""
        where = f"{self.field}: " if self.field else ""
        text = f"{prefix}{where}{self.problem} (got {shown}; accepted: {self.accepted})"
        return safe_text(" ".join(text.split()))

    def with_source(self, source: str) -> UserInputError:
        """The same error, attributed to a file or request."""
        return UserInputError(
            self.field, self.value, self.accepted, source=source, problem=self.problem
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for API error bodies (a long value shortened, as in the message);
        always serialisable as strict JSON in UTF-8 (``echoed``)."""
        return {
            "field": safe_text(str(self.field)),
            "value": echoed(self.value),
            "accepted": safe_text(str(self.accepted)),
            "problem": safe_text(str(self.problem)),
            "message": self.one_line(),
        }


#: Integers from 2**53 up are echoed as text: JSON readers (JavaScript) lose their precision.
_ECHOED_INT_BITS = 53


def safe_text(text: str) -> str:
    """``text`` that always encodes as UTF-8: an unpaired surrogate (which a JSON body can carry,
    ``"\\ud800"``, but no UTF-8 output can) is shown as its escape, ``\\ud800``."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _repr(value: Any) -> str:
    """``repr(value)`` that never fails: Python refuses to print an integer of more than 4,300
    digits (such a number is described instead)."""
    try:
        return repr(value)
    except ValueError:
        if isinstance(value, int):
            return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"
        return f"a {type(value).__name__} too large to show"


def echoed(value: Any) -> Any:
    """A submitted value as an error body repeats it, always valid strict JSON in UTF-8: text
    shortened (``shortened``) with unpaired surrogates escaped; a finite number or a boolean as it
    is; NaN, infinities and integers past 2**53 as text; anything else as its (shortened) repr."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return safe_text(shortened(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, int) and abs(value) < 2 ** _ECHOED_INT_BITS:
        return value
    return safe_text(shortened(_repr(value)))


def shortened(text: str, limit: int = 160) -> str:
    """``text`` cut to ``limit`` characters keeping both ends (a file path's name is at its end)."""
    return text if len(text) <= limit else text[:60] + "..." + text[-(limit - 63):]
