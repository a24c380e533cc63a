"""Report review (men on testosterone): the at-a-glance summary says why each first action is proposed
(a haematocrit review read as "level outside the target range"), and a value not recorded carries no
unit ("hip fracture 10y: not recorded %")."""

from __future__ import annotations

import importlib.util
import re
from html import unescape

import pytest

from osteotwin.records import parse_patient_document
from osteotwin.reports import collect_content, render_html

HAVE_CLINIC = importlib.util.find_spec("osteotwin.clinic.render") is not None
pytestmark = pytest.mark.skipif(not HAVE_CLINIC, reason="osteotwin.clinic is not in this build")

MAN_ON_TESTOSTERONE = {
    "version": 1, "as_of": "2025-06-01",
    "patient": {"id": "men-005", "sex": "male", "birth_date": "1980-11-02", "height": "178 cm",
                "weight": "80 kg"},
    "history": {"prior_fragility_fractures": 0, "falls_last_12_months": 0, "smoking": "never",
                "hypogonadism": True},
    "medications": [{"drug": "testosterone_cypionate", "dose": "200 mg", "route": "intramuscular",
                     "every": "7 d", "start": "2022-03-01"}],
    "labs": [{"test": "total_testosterone", "value": 700, "unit": "ng/dL", "date": "2025-05-28"},
             {"test": "hematocrit", "value": 56.5, "unit": "%", "date": "2025-05-28"}],
}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _glance(html: str) -> str:
    return _text(html[html.index('id="at-a-glance"'):html.index('id="patient"')])


def test_at_a_glance_gives_the_haematocrit_as_the_reason_for_the_review() -> None:
    """p05b: Hct 56.5 %, testosterone 700 ng/dL (in range)."""
    record = parse_patient_document(MAN_ON_TESTOSTERONE)
    glance = _glance(render_html(collect_content(record, what_if=False)))
    assert "First actions to consider:" in glance
    assert "because of the haematocrit: 56.5 % on 2025-05-28 is above 54 %" in glance
    assert "(REVIEW_TESTOSTERONE_THERAPY)" in glance
    assert "level outside the target range" not in glance


def test_a_value_not_recorded_is_shown_without_its_unit() -> None:
    """An external FRAX without a hip figure: "hip fracture 10y: not recorded (2024-01-15)"."""
    record = parse_patient_document({
        "version": 1, "as_of": "2025-01-01",
        "patient": {"sex": "female", "birth_date": "1955-01-01"},
        "fracture_risk_external": {"tool": "FRAX", "major_osteoporotic_10y_pct": 25.0,
                                   "date": "2024-01-15"}})
    text = _text(render_html(collect_content(record, what_if=False)))
    assert "not recorded (2024-01-15)" in text
    assert "not recorded %" not in text
