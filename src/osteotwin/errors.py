"""User-facing input errors: each names the field, the value and what is accepted."""

from __future__ import annotations

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
        shown = shortened(repr(self.value) if not isinstance(self.value, str) else f"'{self.value}'")
        prefix = f"{self.source}: " if self.source else ""
        where = f"{self.field}: " if self.field else ""
        text = f"{prefix}{where}{self.problem} (got {shown}; accepted: {self.accepted})"
        return " ".join(text.split())

    def with_source(self, source: str) -> UserInputError:
        """The same error, attributed to a file or request."""
        return UserInputError(
            self.field, self.value, self.accepted, source=source, problem=self.problem
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form for API error bodies (a long value shortened, as in the message)."""
        value = self.value if isinstance(self.value, int | float | str | None) else repr(self.value)
        return {
            "field": self.field,
            "value": shortened(value) if isinstance(value, str) else value,
            "accepted": self.accepted,
            "problem": self.problem,
            "message": self.one_line(),
        }


def shortened(text: str, limit: int = 160) -> str:
    """``text`` cut to ``limit`` characters keeping both ends (a file path's name is at its end)."""
    return text if len(text) <= limit else text[:60] + "..." + text[-(limit - 63):]
