"""The plan's human renderings: a reader sees session names, units and the plan's notes, not fields."""

from __future__ import annotations

import html
import re
from typing import Any

from osteotwin.plan.exercise.program import SESSION_KIND_LABELS
from osteotwin.plan.render import render_html, render_text


def test_html_plan_names_sessions_units_and_notes(persona_documents: dict[str, Any]) -> None:
    doc = persona_documents["trt_anastrozole_home"]
    page = render_html(doc)
    text = html.unescape(page)
    for day in doc["exercise"]["weekly_schedule"]:
        assert day["kind_label"] == SESSION_KIND_LABELS[day["kind"]]
        assert f"<td>{day['kind_label']}</td>" in text
    assert not any(kind in text for kind in SESSION_KIND_LABELS if "_" in kind)
    for note in doc["nutrition"]["notes"]:
        assert note in text  # the notes were missing from the HTML plan
    for target in doc["nutrition"]["target_details"]:
        if target["minimum"] is not None and not target.get("estimate"):
            assert f"at least {target['minimum']:,.0f} {target['unit']}" in text
    # day totals by label and unit (``calcium_mg 1234.5`` before)
    totals = re.findall(r"<p>Totals: ([^<]*)</p>", text)
    assert len(totals) == len(doc["nutrition"]["days"])
    assert all("calcium_mg" not in line and re.search(r"Calcium [\d,]+ mg", line) for line in totals)


def test_text_plan_names_session_kinds(persona_documents: dict[str, Any]) -> None:
    doc = persona_documents["older_vertebral_fracture_falls"]
    text = render_text(doc)
    first = doc["exercise"]["sessions"][0]
    assert f"week {first['week']} {first['day']} ({first['kind_label']}, {first['phase']})" in text


def test_substitutions_and_movements_to_avoid_read_as_exercises(
        persona_documents: dict[str, Any]) -> None:
    """A woman with a vertebral fracture is told what to avoid and what replaces a lift by the
    exercises' names, in the text and the HTML plan (the HTML left the avoid list out)."""
    doc = persona_documents["older_vertebral_fracture_falls"]
    ex = doc["exercise"]
    assert ex["avoid"] and ex["substitutions"]
    text, page = render_text(doc), html.unescape(render_html(doc))
    for item in ex["avoid"] + ex["substitutions"]:
        assert item["instead_of_name"] != item["instead_of"]  # a library name, not the id
        assert item["instead_of_name"] in text and item["instead_of_name"] in page
        for exercise_id in (item["instead_of"], item["use"]):
            if "_" in exercise_id:  # an id, not a word a message may use ("deadlift")
                assert exercise_id not in text and exercise_id not in page, exercise_id
    assert "<h3>Avoid</h3>" in page


def test_supplement_lines_read_as_words(persona_documents: dict[str, Any]) -> None:
    """A first-time user's review (item 18): "SUPPLEMENT (current_supplement_covers)" showed the
    internal status, and "SUPPLEMENT (suggested): ... — SUPPLEMENT (food cannot close the gap)"
    repeated the label."""
    lines = [line for doc in persona_documents.values()
             for line in render_text(doc).splitlines() if "SUPPLEMENT (" in line]
    assert lines
    for line in lines:
        assert "_" not in line.split(":", 1)[0], line
        assert line.count("SUPPLEMENT") == 1, line
