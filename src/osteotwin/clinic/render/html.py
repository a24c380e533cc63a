"""Standalone, printable HTML page of an assessment (Jinja2, autoescaped, inline CSS, no scripts)."""

from __future__ import annotations

from functools import cache

import jinja2

from osteotwin.clinic.model import Assessment
from osteotwin.clinic.render.document import to_document
from osteotwin.clinic.render.labels import FILTERS


@cache
def template_environment(package: str) -> jinja2.Environment:
    """The Jinja2 environment for the printable pages' templates in ``package``/templates:
    autoescaped, strict about missing values, with the clinical label filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def render_html(assessment: Assessment) -> str:
    """A complete HTML document a clinician can print."""
    template = template_environment("osteotwin.clinic.render").get_template("assessment.html.j2")
    return template.render(doc=to_document(assessment))
