"""Clinician/patient reports: HTML and PDF with figures, assessment, what-if, plan and sources."""

from osteotwin.reports.render import FORMATS as FORMATS
from osteotwin.reports.render import ReportContent as ReportContent
from osteotwin.reports.render import build_report as build_report
from osteotwin.reports.render import collect_content as collect_content
from osteotwin.reports.render import render_html as render_html
