"""docs/model.md is generated from the code and must be up to date."""

from __future__ import annotations

from pathlib import Path

from osteotwin.physiology.document import VALIDATION_END, VALIDATION_START, render
from osteotwin.physiology.parameters import PARAMETER_TABLE
from osteotwin.physiology.states import STATE_NAMES

DOC = Path(__file__).resolve().parents[2] / "docs" / "model.md"


def test_model_doc_is_regenerated_from_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render(text) == text, "run: python -m osteotwin.physiology.document"


def test_model_doc_lists_every_parameter_and_state() -> None:
    text = render(None)
    for p in PARAMETER_TABLE:
        assert f"`{p.name}`" in text
    for name in STATE_NAMES:
        assert f"`{name}`" in text


def test_validation_section_is_kept() -> None:
    existing = render(None).replace(
        VALIDATION_START, VALIDATION_START + "\n| trial | pass |\n| x | yes |", 1)
    kept = render(existing)
    assert "| x | yes |" in kept
    assert kept.index(VALIDATION_START) < kept.index("| x | yes |") < kept.index(VALIDATION_END)
