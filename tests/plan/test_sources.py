"""Every plan item names its sources and carries an evidence grade on the assessment's scale."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from osteotwin.clinic.engine import GRADE_MEANING
from osteotwin.plan.render import render_html, render_text
from osteotwin.plan.sources import SOURCE_EVIDENCE, SOURCES, evidence_grade


def _sourced(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in the document that names sources."""
    if isinstance(node, dict):
        if isinstance(node.get("sources"), list):
            yield node
        for key, value in node.items():
            if key != "sources":
                yield from _sourced(value)
    elif isinstance(node, list):
        for item in node:
            yield from _sourced(item)


def test_every_source_has_a_kind_and_a_grade_on_the_assessment_scale() -> None:
    assert set(SOURCE_EVIDENCE) == set(SOURCES)
    for key, (grade, kind) in SOURCE_EVIDENCE.items():
        assert grade is None or grade in GRADE_MEANING, key
        assert kind.strip(), key
    assert SOURCE_EVIDENCE["LIFTMOR"][0] == "A"  # a randomised trial
    assert SOURCE_EVIDENCE["SR28"][0] is None  # food composition backs a number, not advice


def test_item_grade_is_the_strongest_source_unless_the_planner_adapted_it() -> None:
    assert evidence_grade(["ESSA", "LIFTMOR"]) == "A"
    assert evidence_grade(["ESSA", "UK22"]) == "C"
    assert evidence_grade(["LIFTMOR", "OSTEOTWIN"]) == "D"  # the planner's own step: extrapolation
    assert evidence_grade(["SR28"]) is None


def test_plan_document_grades_every_sourced_item(persona_documents: dict[str, Any]) -> None:
    for name, doc in persona_documents.items():
        items = list(_sourced({"exercise": doc["exercise"], "nutrition": doc["nutrition"]}))
        assert len(items) > 20, name
        for item in items:
            assert "evidence_grade" in item, (name, item)
            if "OSTEOTWIN" in item["sources"] or item.get("code") == "EVIDENCE_GAP_AROMATASE_INHIBITOR":
                assert item["evidence_grade"] == "D", item
            elif item["evidence_grade"] is not None:
                assert item["evidence_grade"] == min(
                    SOURCE_EVIDENCE[k][0] for k in item["sources"] if SOURCE_EVIDENCE[k][0]), item
        used = {k for item in items for k in item["sources"]}
        assert used <= set(doc["source_evidence"]) and set(doc["source_evidence"]) == set(doc["sources"])
        assert doc["evidence_grades"] == GRADE_MEANING


def test_evidence_gap_on_an_inhibitor_is_graded_as_extrapolation(
        persona_documents: dict[str, Any]) -> None:
    """LIFTMOR is a randomised trial, but not in people on an aromatase inhibitor: the note that
    says the program's gains are extrapolated to them is not grade A."""
    doc = persona_documents["vegan_letrozole_osteopenia"]
    gap = [f for f in doc["exercise"]["safety"] if f["code"] == "EVIDENCE_GAP_AROMATASE_INHIBITOR"]
    assert len(gap) == 1 and "LIFTMOR" in gap[0]["sources"]
    assert gap[0]["evidence_grade"] == "D"


def test_text_and_html_show_each_items_grade_and_what_grades_mean(
        persona_documents: dict[str, Any]) -> None:
    doc = persona_documents["older_vertebral_fracture_falls"]
    text, page = render_text(doc), html.unescape(re.sub(r"<[^>]+>", "", render_html(doc)))
    rule = doc["exercise"]["progression_rules"][0]
    line = f"{rule['rule']} [{', '.join(rule['sources'])}; grade {rule['evidence_grade']}]"
    assert line in text and line in page
    for grade, meaning in GRADE_MEANING.items():
        assert f"grade {grade}: {meaning}" in text
        assert f"{grade} {meaning}" in page
    assert f"[LIFTMOR] {SOURCES['LIFTMOR']} — randomised controlled trial, grade A" in text
    assert "food composition database, reference data, not graded" in text
