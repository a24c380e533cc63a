"""Clinician/patient report: HTML (Jinja2, self-contained) and PDF (WeasyPrint, same HTML).

``build_report(record, fmt="html"|"pdf", as_of=None) -> bytes``. Sections: patient summary with
measured trends, assessment (findings and actions with sources), what-if trajectories, plan summary,
and a numbered list of every source cited. A section whose module is missing or cannot compute a
result shows why instead. The PDF needs no display (WeasyPrint renders off-screen).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

from osteotwin.clinic.patient_log import LogNote, LogReview
from osteotwin.errors import UserInputError
from osteotwin.records.patient import PatientRecord
from osteotwin.reports.figures import Figure, bmd_history_figure, lab_history_figure
from osteotwin.reports.patient_summary import PatientSummary, summarize_record
from osteotwin.reports.sections import Unavailable, assessment_section, plan_section

if TYPE_CHECKING:
    from osteotwin.reports.whatif import WhatIf

ReportFormat = Literal["html", "pdf"]
FORMATS: tuple[str, ...] = ("html", "pdf")


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, computed once and rendered to HTML (and PDF from it)."""

    as_of: dt.date
    patient_id: str | None
    patient: PatientSummary
    history_figures: tuple[Figure, ...]
    assessment: dict[str, Any] | Unavailable
    what_if: WhatIf | Unavailable
    plan: dict[str, Any] | Unavailable
    #: what the patient's own log says (osteotwin.clinic.patient_log), shown after the assessment
    patient_log: tuple[LogNote, ...] = ()
    #: the reader is the patient: the log's notes in plain words (``LogNote.for_patient``)
    for_patient: bool = False

    def sources(self) -> list[tuple[str, str]]:
        """Every source cited once, numbered in order of first appearance (assessment, model, plan
        in the order its sections show them); a paper the plan or the model names under its own id
        is listed under the assessment's (``SAME_SOURCE``)."""
        out: dict[str, str] = {}
        if isinstance(self.assessment, dict):
            for cid, entry in self.assessment.get("citations", {}).items():
                out.setdefault(cid, str(entry.get("text", cid)))
        if self.patient_log:
            from osteotwin.clinic.reference import citation_text

            for note in self.patient_log:
                for cid in note.citations:
                    out.setdefault(cid, citation_text(cid))
        if not isinstance(self.what_if, Unavailable):
            from osteotwin.clinic.reference import citation_text
            from osteotwin.reports.whatif import SOURCES

            for cid in self.what_if.sources:  # the model's own, else the assessment's registry
                canonical = SAME_SOURCE.get(cid, cid)
                out.setdefault(canonical, SOURCES.get(canonical) or citation_text(canonical))
        if isinstance(self.plan, dict):
            texts = self.plan.get("sources", {})
            for cid in [*_plan_citation_order(self.plan), *texts]:
                if cid in texts:
                    canonical = SAME_SOURCE.get(cid, cid)
                    if canonical == cid:
                        out.setdefault(cid, str(texts[cid]))
                    elif canonical not in out:
                        from osteotwin.clinic.reference import citation_text

                        out[canonical] = citation_text(canonical)
        return list(out.items())


#: The same paper under another registry's id (the plan's and the what-if's ids on the left, the
#: assessment's citation registry, ``data/clinic/citations.yaml``, on the right): one entry in the
#: report's list.
SAME_SOURCE: dict[str, str] = {
    "LIFTMOR": "watson_2018", "watson_2018_liftmor": "watson_2018", "ESSA": "beck_2017",
    "TTFF14": "giangregorio_2014", "ACSM04": "kohrt_2004", "UK22": "brooke_wavell_2022",
    "HOPE": "irwin_2015", "CUMMINGS2018": "cummings_2018", "ECTS2021": "tsourdi_2021",
    "IOM2011": "iom_2011", "ASCO2019": "shapiro_asco_2019", "IOM2005": "iom_2005_protein",
    "ESCEO2018": "rizzoli_2018",
}


def _plan_citation_order(plan: dict[str, Any]) -> list[str]:
    """The plan's citations in the order the report's plan section shows them."""
    exercise, nutrition = plan.get("exercise", {}), plan.get("nutrition", {})
    rows = [*exercise.get("weekly_schedule", []), *exercise.get("safety", []),
            *nutrition.get("target_details", []), *nutrition.get("supplements", [])]
    return [str(cid) for row in rows for cid in row.get("sources", [])]


def _references(numbers: dict[str, int]) -> Any:
    """``refs(ids)`` for the template: (anchor, number) per source, each paper once, in order."""

    def refs(ids: list[str]) -> list[tuple[str, int | str]]:
        seen: dict[str, int | str] = {}
        for cid in ids:
            canonical = SAME_SOURCE.get(cid, cid)
            seen.setdefault(canonical, numbers.get(canonical, cid))
        return list(seen.items())

    return refs


def collect_content(record: PatientRecord, as_of: dt.date | None = None, *,
                    what_if: bool = True, patient_log: LogReview | None = None,
                    for_patient: bool = False) -> ReportContent:
    """Compute every section for ``record`` on ``as_of`` (default: the record's, else today).

    ``patient_log`` is the web tracker's log read on that date (a patient file has none): the
    patient summary shows the record as kept, the assessment, what-if and plan read it with the
    logged falls counted, and the log's notes follow the assessment."""
    when = as_of or record.as_of or dt.date.today()
    stored, record = record, (patient_log.apply(record) if patient_log is not None else record)
    figures = tuple(f for f in (lab_history_figure(record, when), bmd_history_figure(record, when))
                    if f is not None)
    plan = plan_section(record, when)
    if what_if:
        from osteotwin.reports.whatif import what_if_section

        simulated: WhatIf | Unavailable = what_if_section(
            record, when, plan=plan if isinstance(plan, dict) else None)
    else:
        simulated = Unavailable("What-if simulations were not requested for this report.")
    return ReportContent(
        as_of=when,
        patient_id=record.patient.id,
        patient=summarize_record(stored, when),
        history_figures=figures,
        assessment=assessment_section(record, when),
        what_if=simulated,
        plan=plan,
        patient_log=patient_log.notes if patient_log is not None else (),
        for_patient=for_patient,
    )


def render_html(content: ReportContent) -> str:
    """The report as one self-contained HTML page (figures embedded, no external assets)."""
    from osteotwin import __version__
    from osteotwin.clinic.engine import GRADE_MEANING
    from osteotwin.clinic.render.html import template_environment
    from osteotwin.clinic.render.plain import plain_language

    css = resources.files("osteotwin.reports").joinpath("templates/report.css").read_text("utf-8")
    sources = content.sources()

    def section(value: Any) -> tuple[Any, str | None]:
        return (None, value.reason) if isinstance(value, Unavailable) else (value, None)

    assessment, assessment_unavailable = section(content.assessment)
    what_if, what_if_unavailable = section(content.what_if)
    plan, plan_unavailable = section(content.plan)
    return template_environment("osteotwin.reports").get_template("report.html.j2").render(
        css=css, version=__version__, as_of=content.as_of.isoformat(),
        patient_id=content.patient_id, patient=content.patient,
        history_figures=content.history_figures,
        assessment=assessment, assessment_unavailable=assessment_unavailable,
        what_if=what_if, what_if_unavailable=what_if_unavailable,
        plan=plan, plan_unavailable=plan_unavailable, patient_log=content.patient_log,
        for_patient=content.for_patient, code_text=_code_text(), plain=plain_language(),
        sources=sources, grade_meaning=GRADE_MEANING,
        references=_references({cid: i + 1 for i, (cid, _) in enumerate(sources)}),
    )


def _code_text() -> dict[str, str]:
    """Each finding's and action's definition from ``data/codes.yaml``, for the summary's words."""
    from osteotwin.vocabulary import codes

    vocabulary = codes()
    return {str(code): " ".join(str(text).split())
            for section in ("findings", "actions") for code, text in vocabulary[section].items()}


def html_to_pdf(html: str) -> bytes:
    """PDF bytes from the report HTML (WeasyPrint; no display or network needed)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf


def build_report(record: PatientRecord, *, fmt: str = "html", as_of: dt.date | None = None,
                 what_if: bool = True, patient_log: LogReview | None = None,
                 for_patient: bool = False) -> bytes:
    """The report for ``record`` (as stored) as UTF-8 HTML or PDF bytes; ``patient_log`` adds the
    web tracker's log (``collect_content``), in plain words when the reader is the patient."""
    if fmt not in FORMATS:
        raise UserInputError("format", fmt, " or ".join(FORMATS), problem="unsupported format")
    html = render_html(collect_content(record, as_of, what_if=what_if, patient_log=patient_log,
                                       for_patient=for_patient))
    return html.encode("utf-8") if fmt == "html" else html_to_pdf(html)
