"""User-facing errors: one line, the value echoed shortened."""

from __future__ import annotations

from osteotwin.errors import UserInputError


def test_an_error_echoes_a_long_value_shortened_in_its_message_and_its_json() -> None:
    error = UserInputError("labs[0].method", "x" * 100_000, "a short text")
    assert len(error.as_dict()["value"]) == 160 and len(error.one_line()) < 300
    assert error.as_dict()["value"].startswith("x" * 60 + "...")
