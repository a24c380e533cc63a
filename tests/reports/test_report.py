"""The whole report: sections from the real assessment and plan, sources, self-contained HTML, PDF."""

from __future__ import annotations

import importlib.util
import io
import re
from datetime import date
from html import unescape
from pathlib import Path

import pytest

from osteotwin.errors import UserInputError
from osteotwin.records import PatientRecord, load_patient_file, parse_patient_document
from osteotwin.reports import build_report, collect_content, render_html
from osteotwin.reports.sections import Unavailable

HAVE_CLINIC = importlib.util.find_spec("osteotwin.clinic.render") is not None
HAVE_PLAN = importlib.util.find_spec("osteotwin.plan.serialize") is not None
HAVE_SIMULATOR = importlib.util.find_spec("osteotwin.simulate.single") is not None


@pytest.fixture(scope="module")
def example() -> PatientRecord:
    return load_patient_file(Path(__file__).resolve().parents[2] / "examples" / "demo_patient.yaml")


@pytest.fixture(scope="module")
def example_html(example: PatientRecord) -> str:
    return build_report(example, fmt="html").decode("utf-8")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.skipif(not HAVE_CLINIC, reason="osteotwin.clinic (assessment) is not in this build")
def test_every_finding_and_action_of_the_assessment_is_shown(example: PatientRecord,
                                                              example_html: str) -> None:
    from osteotwin.clinic import assess

    assessment = assess(example, example.as_of)
    text = _text(example_html)
    assert assessment.findings and assessment.actions
    for code in assessment.finding_codes() + assessment.action_codes():
        assert code in text
    for finding in assessment.findings:
        assert " ".join(finding.message.split()) in text
    glance = text.split("At a glance", 1)[1].split("1. Patient summary", 1)[0]
    lowest = assessment.densitometry.lowest_score
    assert f"lowest T-score {lowest}" in glance
    for finding in assessment.findings:
        assert (finding.code in glance) == (finding.severity == "high")
    for cid in assessment.citation_ids():  # every cited source is listed and linked
        assert f'id="src-{cid}"' in example_html and f'href="#src-{cid}"' in example_html


@pytest.mark.skipif(not HAVE_PLAN, reason="osteotwin.plan is not in this build")
def test_plan_summary_and_its_sources(example: PatientRecord, example_html: str) -> None:
    from osteotwin.plan.personal import build_personal_plan
    from osteotwin.plan.serialize import plan_document

    plan = plan_document(build_personal_plan(example, as_of=example.as_of))
    text = _text(example_html)
    for day in plan["exercise"]["weekly_schedule"]:
        assert f"{day['kind_label']}: {day['summary']}" in text
    from osteotwin.reports.render import SAME_SOURCE

    for key in plan["sources"]:  # listed under the assessment's id where it has the same paper
        assert f'id="src-{SAME_SOURCE.get(key, key)}"' in example_html
    assert plan["nutrition"]["days"][0]["foods"][0]["description"] in text
    for target in plan["nutrition"]["target_details"]:  # each plan item's grade, as the assessment's
        assert re.search(rf"{re.escape(target['basis'])} grade {target['evidence_grade']} \[\d+\]", text), target
    assert "Evidence grades: A randomised trials or meta-analyses;" in text


def test_sections_and_figures_are_self_contained(example_html: str) -> None:
    text = _text(example_html)
    for heading in ("1. Patient summary", "2. Assessment", "3. What if", "4. Plan summary",
                    "5. Sources", "Decision support only"):
        assert heading in text
    assert example_html.count('src="data:image/png;base64,') >= 2  # measured trends at least
    assert not re.search(r'(src|href)="(https?:)?//', example_html)  # no external assets
    assert "demo-001" in text and "2025-06-01" in text


def test_what_if_section_matches_what_is_installed(example_html: str) -> None:
    text = _text(example_html)
    if HAVE_SIMULATOR:
        assert "current course" in text and "aromatase inhibitor stopped today" in text
        assert "Lumbar spine BMD (% change)" in text and "at 5 y" in text
        assert "5-95 % range over 12 virtual people" in text
        # the exercise alternative is the report's own plan (its screen and targets), said so
        assert "bone-loading exercise, calcium and vitamin D at target" in text
        assert "follows this report's plan from today: 2 resistance sessions a week at high" in text
    else:
        assert "What-if simulations are not available yet" in text


def test_minimal_record_reports_missing_data_without_guessing() -> None:
    record = parse_patient_document({"version": 1, "as_of": "2025-01-01",
                                     "patient": {"sex": "female", "birth_date": "1955-01-01"}})
    content = collect_content(record, what_if=False)
    assert content.history_figures == ()
    assert isinstance(content.what_if, Unavailable)
    text = _text(render_html(content))
    assert "No DXA scan on record" in text and "No laboratory results on record" in text
    assert "not recorded" in text
    if HAVE_CLINIC:
        assert "DXA_MISSING" in text
        assert "At a glance Bone density: no DXA result on file" in text


def test_report_date_defaults_and_override(example: PatientRecord) -> None:
    assert collect_content(example, what_if=False).as_of == date(2025, 6, 1)
    later = collect_content(example, date(2026, 1, 15), what_if=False)
    assert later.as_of == date(2026, 1, 15)
    assert "(68 years)" not in dict(later.patient.person)["Birth date (age)"]


def test_html_is_escaped() -> None:
    record = parse_patient_document({
        "version": 1, "as_of": "2025-01-01",
        "patient": {"id": "<script>alert(1)</script>", "sex": "male", "birth_date": "1960-01-01"},
        "history": {"conditions": ["<b>gout</b>"]}})
    html = render_html(collect_content(record, what_if=False))
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>gout</b>" not in html


def test_pdf_renders_without_display(example: PatientRecord) -> None:
    from pypdf import PdfReader

    pdf = build_report(example, fmt="pdf", what_if=False)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert "Bone health report" in text and "Sources" in text and "demo-001" in text


def test_unknown_format_is_refused(example: PatientRecord) -> None:
    with pytest.raises(UserInputError, match="unsupported format"):
        build_report(example, fmt="docx")


@pytest.mark.skipif(not HAVE_CLINIC, reason="osteotwin.clinic (assessment) is not in this build")
def test_at_a_glance_reads_as_the_assessment_in_words(example: PatientRecord) -> None:
    """Review: the summary printed FRAX to whole percent (19.5 read "20 %" beside a 20 % "high"
    threshold), left out the hip figure, and listed bare codes; the plan's supplement statuses and
    nutrient keys were printed as internal names."""
    from osteotwin.records.patient_file import record_to_document

    record = parse_patient_document({**record_to_document(example), "fracture_risk_external": {
        "tool": "FRAX", "major_osteoporotic_10y_pct": 19.5, "hip_10y_pct": 2.0,
        "date": "2025-05-01"}})
    html = render_html(collect_content(record, what_if=False))
    glance = _text(html[html.index('id="at-a-glance"'):html.index('id="patient"')])
    assert "19.5 % major osteoporotic fracture; 2.0 % hip fracture in 10 years" in glance
    assert "20 %" not in glance
    assert "estradiol below the bone-protective range" in glance and "(ESTRADIOL_LOW)" in glance
    # each first action by its own message (why for this person), not the code's definition
    assert ("First actions to consider: Clinician to review whether the aromatase inhibitor "
            "(anastrozole) is needed at all") in glance
    assert "In plain words" in glance and "Talk with your care team" in glance
    assert "current_supplement_covers" not in html and "vitamin d iu" not in _text(html)


def test_each_source_is_listed_once_in_order_of_first_citation(example_html: str) -> None:
    """Review: LIFTMOR, the ESSA statement, ACSM 2004, ASCO 2019 and IOM 2011 were each listed
    twice (the plan's ids beside the assessment's), and the plan's sources were numbered
    alphabetically; every reference now resolves to one entry, numbered as first cited."""
    from osteotwin.reports.render import SAME_SOURCE

    listed = re.findall(r'<li id="src-([^"]+)">', example_html)
    assert len(listed) == len(set(listed)) and not set(listed) & set(SAME_SOURCE)
    body = example_html[:example_html.index('id="sources"')]
    cited = re.findall(r'<a href="#src-([^"]+)">\[(\d+)\]</a>', body)
    assert cited and {anchor for anchor, _ in cited} <= set(listed)
    assert all(listed[int(number) - 1] == anchor for anchor, number in cited)
    first_seen: list[int] = []
    for _, number in cited:
        if int(number) not in first_seen:
            first_seen.append(int(number))
    assert first_seen == sorted(first_seen)  # numbered in order of first citation
    assert "watson_2018" in listed and "LIFTMOR" not in listed
