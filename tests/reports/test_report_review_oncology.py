"""Oncology review, item 15: the report's "At a glance" when an aromatase inhibitor ends on denosumab.

The end of the inhibitor is when an unplanned denosumab stop (and the rebound vertebral fractures
after it) is most likely: the summary must carry the assessment's advice that denosumab needs a planned
bisphosphonate to follow it (ECTS, Tsourdi et al. 2021), which its rules give priority 1 for
denosumab. The patient is the review's p05, built here.
"""

from __future__ import annotations

import html
import re
from typing import Any

from osteotwin.records import parse_patient_document
from osteotwin.reports import collect_content, render_html
from tests.clinic.builders import AS_OF, BC, lab, make, med, scan, vitd

CODE = "REVIEW_ANTIRESORPTIVE_AT_AI_END"


def ai_ending_on_denosumab() -> dict[str, Any]:
    """p05: letrozole from 2020-06-01 stopping on the report's date after 5 years, denosumab 60 mg
    every 6 months since 2020-07-01, normal calcium and kidney function, last DXA 2023 T -1.5."""
    letrozole = {**med("letrozole", "2.5 mg"), "start": "2020-06-01", "stop": AS_OF.isoformat()}
    denosumab = {**med("denosumab", "60 mg", "6 mo", route="subcutaneous"), "start": "2020-07-01"}
    return make(sex="female", age=63, status="postmenopausal", history=BC,
                medications=[letrozole, denosumab],
                labs=[vitd(38, 151), lab("calcium", 9.3, "mg/dL", 151),
                      lab("egfr", 80, "mL/min/1.73m2", 151)],
                dxa=[scan("lumbar_spine", t=-1.9, age_days=1838), scan("femoral_neck", t=-1.6, age_days=1838),
                     scan("lumbar_spine", t=-1.5, age_days=731), scan("femoral_neck", t=-1.5, age_days=731)])


def _at_a_glance(page: str) -> str:
    section = re.search(r'<section id="at-a-glance".*?</section>', page, re.S)
    assert section is not None, "no at-a-glance section"
    return html.unescape(re.sub(r"<[^>]+>", " ", section.group(0)))


def test_at_a_glance_carries_the_planned_follow_on_when_the_inhibitor_ends_on_denosumab() -> None:
    """The review: "At a glance" showed only "3 findings (0 high severity)", the denosumab advice
    hidden at priority 2."""
    record = parse_patient_document(ai_ending_on_denosumab(), source="test")
    content = collect_content(record, AS_OF, what_if=False)
    assert isinstance(content.assessment, dict), content.assessment
    actions = [a for a in content.assessment["actions"] if a["code"] == CODE]
    assert any(a["priority"] == 1 for a in actions), actions
    glance = _at_a_glance(render_html(content))
    assert CODE in glance and "First actions to consider" in glance
    assert "bisphosphonate" in glance  # the follow-on, in the action's own words
